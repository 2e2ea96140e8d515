package output

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// visible returns the escape shown in place of r, or "" when r may be
// written as it is. Tab stays: it is whitespace to the runner and to a
// terminal, and stack traces are full of it. keepLF lets a newline through
// for sinks made of many lines (markdown, annotation messages).
func visible(r rune, keepLF bool) string {
	switch {
	case r == '\n' && keepLF, r == '\t':
		return ""
	case r == '\n':
		return `\n`
	case r == '\r':
		return `\r`
	case r < 0x20, r == 0x7f:
		// C0 controls and DEL: ESC starts every ANSI sequence.
		return fmt.Sprintf(`\x%02x`, r)
	case r >= 0x80 && r <= 0x9f:
		// C1 controls: some terminals read U+009B as CSI.
		return fmt.Sprintf(`\u%04x`, r)
	case r == '\u2028', r == '\u2029', r == '\u0085':
		// Line and paragraph separators and NEL: a line break to some
		// readers.
		return fmt.Sprintf(`\u%04x`, r)
	case r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069', r == '\u200e', r == '\u200f':
		// Bidirectional overrides reorder what a reader sees.
		return fmt.Sprintf(`\u%04x`, r)
	}
	return ""
}

// escapeControls replaces every character visible names, and every byte
// that is not UTF-8, with its visible escape.
func escapeControls(s string, keepLF bool) string {
	clean := true
	for i, r := range s {
		if (r == utf8.RuneError && !strings.HasPrefix(s[i:], "\uFFFD")) || visible(r, keepLF) != "" {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for len(s) > 0 {
		r, n := utf8.DecodeRuneInString(s)
		switch {
		case r == utf8.RuneError && n == 1:
			fmt.Fprintf(&b, `\x%02x`, s[0])
		case visible(r, keepLF) != "":
			b.WriteString(visible(r, keepLF))
		default:
			b.WriteString(s[:n])
		}
		s = s[n:]
	}
	return b.String()
}

// defuse keeps a line from being read as a workflow command. The runner
// (actions/runner ActionCommand.cs) runs a "::name::" command when the line
// starts with "::" after leading whitespace is trimmed, and a legacy
// "##[name]" command wherever "##[" appears in the line.
func defuse(line string) string {
	if strings.Contains(line, "##[") {
		line = strings.ReplaceAll(line, "##[", `#\#[`)
	}
	rest := strings.TrimLeftFunc(line, func(r rune) bool {
		// Zero-width format characters are skipped too: they are invisible,
		// and being stricter than the runner costs one backslash.
		return unicode.IsSpace(r) || unicode.Is(unicode.Cf, r)
	})
	if strings.HasPrefix(rest, "::") {
		at := len(line) - len(rest)
		line = line[:at] + `\` + line[at:]
	}
	return line
}

// neutralLine makes s one safe log line: controls (newlines included) shown
// as escapes, then defused.
func neutralLine(s string) string {
	return defuse(escapeControls(s, false))
}

// neutralLines makes each line of s safe and keeps the line breaks: for our
// own multi-line text, where outside strings sit inside lines. A CR before
// an LF is shown, not swallowed: our text never holds one.
func neutralLines(s string) string {
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = neutralLine(l)
	}
	return strings.Join(lines, "\n")
}

// neutralMarkdown is for the summary and the comment body: report has
// escaped the markdown already; what is left to do is to keep control
// characters from reaching GitHub's renderer. Workflow commands mean nothing
// there, so "::" and "##[" are left as they are.
func neutralMarkdown(s string) string {
	return escapeControls(s, true)
}

// cut shortens s to at most max bytes on a rune boundary, saying how much it
// cut. It runs after redaction, so a cut can never leave part of a secret.
func cut(s string, max int) string {
	if len(s) <= max {
		return s
	}
	note := fmt.Sprintf("… (%d bytes cut)", len(s))
	keep := max - len(note)
	if keep < 0 {
		keep = 0
	}
	for keep > 0 && !utf8.RuneStart(s[keep]) {
		keep--
	}
	note = fmt.Sprintf("… (%d bytes cut)", len(s)-keep)
	return s[:keep] + note
}

// cutLines shortens a multi-line text to at most max bytes, cutting at a
// line end when one is near so markdown is not left mid-line, and ending
// with note.
func cutLines(s string, max int, note string) string {
	if len(s) <= max {
		return s
	}
	// Room for the note, its line break and one added after a mid-line cut.
	keep := max - len(note) - 2
	if keep < 0 {
		return cut(note, max)
	}
	for keep > 0 && !utf8.RuneStart(s[keep]) {
		keep--
	}
	if nl := strings.LastIndexByte(s[:keep], '\n'); nl >= 0 && keep-nl < 4096 {
		keep = nl + 1
	}
	head := s[:keep]
	if head != "" && !strings.HasSuffix(head, "\n") {
		head += "\n"
	}
	return head + note + "\n"
}
