// Package expect is the invoke-expect input: what a smoke test's response
// must contain. It is parsed once, when the inputs are read (so a bad
// expectation stops the run before anything is deployed), and checked
// against each response.
package expect

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"regexp/syntax"
	"strings"
)

// Expectation is a JSON value that must be a subset of the response, or a
// regular expression the response must match. The zero value (and nil)
// accepts every response.
type Expectation struct {
	text string
	re   *regexp.Regexp
	json any
	set  bool
}

// Parse reads invoke-expect: "" (no expectation), "/regexp/" (RE2), or a JSON
// value. The error says what is wrong without the input's name; the caller
// adds it.
func Parse(s string) (*Expectation, error) {
	if s == "" {
		return &Expectation{}, nil
	}
	if len(s) >= 2 && strings.HasPrefix(s, "/") && strings.HasSuffix(s, "/") {
		expr := s[1 : len(s)-1]
		if expr == "" {
			return nil, errors.New("is an empty regexp (it would match anything: give a pattern such as /ok/)")
		}
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("is not a valid regexp (RE2 syntax; use (?i) for case-insensitive): %s", reason(err))
		}
		return &Expectation{text: s, re: re, set: true}, nil
	}
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		if json.Valid([]byte(s)) {
			// Valid syntax that Go cannot hold, such as 1e999: it could never
			// be matched, so the smoke test would fail a good deploy.
			return nil, fmt.Errorf("holds a JSON number out of range (%v): give a value a response can contain", err)
		}
		return nil, errors.New(`is neither JSON nor /regexp/ (quote a string as JSON, "\"ok\"", or write a regexp, /ok/)`)
	}
	return &Expectation{text: s, json: v, set: true}, nil
}

// String is the expectation as the user wrote it.
func (e *Expectation) String() string {
	if e == nil {
		return ""
	}
	return e.text
}

// Set reports whether there is an expectation at all.
func (e *Expectation) Set() bool { return e != nil && e.set }

// Check returns nil when resp meets the expectation.
func (e *Expectation) Check(resp string) error {
	if !e.Set() {
		return nil
	}
	if e.re != nil {
		if !e.re.MatchString(resp) {
			return fmt.Errorf("the response does not match invoke-expect %s", clip(e.text))
		}
		return nil
	}
	var got any
	if err := json.Unmarshal([]byte(resp), &got); err != nil {
		if s, ok := e.json.(string); ok && s == resp {
			return nil
		}
		return fmt.Errorf("the response is not JSON, so it cannot contain invoke-expect %s", clip(e.text))
	}
	if !Subset(e.json, got) {
		return fmt.Errorf("the response does not contain invoke-expect %s", clip(e.text))
	}
	return nil
}

// Subset reports whether want is contained in got: objects may have extra
// keys, arrays must match element by element, scalars must be equal.
func Subset(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !Subset(wv, gv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !Subset(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, got)
}

// clip quotes the user's expectation for a message. The response itself is
// never quoted here: it is outside text that may hold a secret, and a cut
// made before redaction could leave half of one; the result carries it whole.
func clip(s string) string {
	const max = 300
	if len(s) > max {
		return fmt.Sprintf("%q… (%d bytes)", s[:max], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// reason keeps the regexp error's reason without repeating the (possibly
// long) expression it quotes.
func reason(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return string(se.Code)
	}
	return "syntax error"
}
