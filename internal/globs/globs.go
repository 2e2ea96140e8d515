// Package globs parses newline-separated glob lists, the one way the inputs
// that hold them (files, functions, results-files) are read: one doublestar
// pattern per line, blank lines and lines starting with '#' ignored, CRLF or
// a lone CR ending a line, surrounding spaces trimmed (YAML block scalars
// leave them), a leading '!' excluding, a leading "./" or "/" dropped
// (patterns are always relative), and ".." refused. Callers get typed rules
// with their line numbers, so an error can point at the line, and nothing
// after the parse reads the text again.
package globs

import (
	"errors"
	"fmt"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// Rule is one line of a glob list.
type Rule struct {
	Pattern string // doublestar pattern, relative, slash-separated
	Exclude bool   // the line started with '!'
	Line    int    // 1-based line in the parsed text; 0 for a rule built in code
}

// List is the rules of a glob list, in the order written.
type List []Rule

// LineError is one bad line.
type LineError struct {
	Line int    // 1-based; 0 for a rule built in code
	Text string // the line as written, trimmed
	Msg  string // what is wrong and how to fix it
}

func (e *LineError) Error() string {
	if e.Line == 0 {
		return fmt.Sprintf("%q: %s", e.Text, e.Msg)
	}
	return fmt.Sprintf("line %d %q: %s", e.Line, e.Text, e.Msg)
}

// Messages, shared by Parse and Validate.
const (
	msgEmpty   = `empty pattern (write a glob such as "src/**", or "!pattern" to exclude)`
	msgParent  = `patterns cannot leave the directory they are relative to (remove "..")`
	msgInvalid = `invalid glob (doublestar syntax: *, **, ?, [abc], {a,b}; escape a literal with \)`
)

// Parse reads a glob list. The error, when some lines are bad, is one
// *LineError, or errors.Join of one per bad line: every mistake is reported
// at once. A list of only blank lines and comments is empty and valid; what
// an empty list means (everything, nothing) is the caller's to say.
func Parse(text string) (List, error) {
	var list List
	var errs []error
	// A lone CR ends a line too (old Mac editors); no file name needs one.
	text = strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n")
	for i, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r, msg := parseRule(line)
		if msg != "" {
			errs = append(errs, &LineError{Line: i + 1, Text: line, Msg: msg})
			continue
		}
		r.Line = i + 1
		list = append(list, r)
	}
	switch len(errs) {
	case 0:
		return list, nil
	case 1:
		return nil, errs[0]
	}
	return nil, errors.Join(errs...)
}

// parseRule reads one trimmed, non-comment line; msg says what is wrong.
func parseRule(line string) (r Rule, msg string) {
	if rest, ok := strings.CutPrefix(line, "!"); ok {
		r.Exclude = true
		line = rest
	}
	// "./!name" and "./#name" are how a file starting with '!' or '#' is
	// named, so the prefixes go only after the '!' and comment checks.
	for {
		line = strings.TrimSpace(line)
		if rest, ok := strings.CutPrefix(line, "./"); ok {
			line = rest
		} else if rest, ok := strings.CutPrefix(line, "/"); ok {
			line = rest
		} else {
			break
		}
	}
	r.Pattern = line
	return r, check(line)
}

// check returns what is wrong with a pattern, or "".
func check(p string) string {
	switch {
	case p == "" || p == ".":
		return msgEmpty
	case p == ".." || strings.HasPrefix(p, "../") || strings.Contains(p, "/../") || strings.HasSuffix(p, "/.."):
		return msgParent
	case !doublestar.ValidatePattern(p):
		return msgInvalid
	}
	return ""
}

// Validate checks a list built in code as Parse checks text, and also
// refuses what Parse would have trimmed away (a leading "/" or "./",
// surrounding spaces, line breaks), which would never match. Errors are as
// Parse's, with Line taken from the rule.
func (l List) Validate() error {
	var errs []error
	for _, r := range l {
		msg := check(r.Pattern)
		if msg == "" && (r.Pattern != strings.TrimSpace(r.Pattern) || strings.HasPrefix(r.Pattern, "/") ||
			strings.HasPrefix(r.Pattern, "./") || strings.ContainsAny(r.Pattern, "\r\n")) {
			msg = `pattern not in parsed form (no leading "/" or "./", surrounding spaces or line breaks: build lists with globs.Parse)`
		}
		if msg != "" {
			errs = append(errs, &LineError{Line: r.Line, Text: r.String(), Msg: msg})
		}
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return errors.Join(errs...)
}

// String is the rule as a line Parse reads back to the same rule: a pattern
// starting with '!' or '#' gets "./" so that it is not read as an exclude or
// a comment.
func (r Rule) String() string {
	p := r.Pattern
	if strings.HasPrefix(p, "!") || strings.HasPrefix(p, "#") {
		p = "./" + p
	}
	if r.Exclude {
		return "!" + p
	}
	return p
}

// Strings lists the rules as written back by String, for messages.
func (l List) Strings() []string {
	out := make([]string, len(l))
	for i, r := range l {
		out[i] = r.String()
	}
	return out
}

// Match applies the list to one slash path: the last rule whose pattern
// matches decides. matched is false when no rule matches; exclude tells
// whether the deciding rule excludes. For callers that select directories
// (functions) or result files; pack layers its built-in excludes on top
// and has a matcher of its own.
func (l List) Match(name string) (matched, exclude bool) {
	for i := len(l) - 1; i >= 0; i-- {
		if ok, err := doublestar.Match(l[i].Pattern, name); ok && err == nil {
			return true, l[i].Exclude
		}
	}
	return false, false
}
