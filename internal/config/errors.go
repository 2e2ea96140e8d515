package config

import (
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ErrHelp is returned by FromArgs for help, -h and --help: print Usage and exit 0.
var ErrHelp = errors.New("help requested")

// ErrVersion is returned by FromArgs for version and --version.
var ErrVersion = errors.New("version requested")

// InputError is one invalid input. Callers branch on it (errors.As) to exit
// with status 2: nothing was sent to the API.
type InputError struct {
	// Input is the input (flag) name, e.g. "envs"; for an unknown CLI flag it
	// is the flag as typed, e.g. "--functon-name".
	Input string
	// Value is the offending value, shown quoted and truncated. It is empty
	// for secret inputs: their values are never shown.
	Value string
	// Msg says what is wrong and how to fix it. When Value is set, Msg reads
	// as a predicate of it ("is not a valid env ID (...)").
	Msg string
}

func (e *InputError) Error() string {
	if e.Value == "" {
		return e.Input + ": " + e.Msg
	}
	return e.Input + ": " + quote(e.Value) + " " + e.Msg
}

// Errors is every invalid input of one configuration, reported together so a
// user fixes them in one round.
type Errors []*InputError

func (es Errors) Error() string {
	lines := make([]string, len(es))
	for i, e := range es {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Unwrap lets errors.As find the first *InputError inside.
func (es Errors) Unwrap() []error {
	out := make([]error, len(es))
	for i, e := range es {
		out[i] = e
	}
	return out
}

// err returns nil, the single *InputError, or the Errors.
func (es Errors) err() error {
	switch len(es) {
	case 0:
		return nil
	case 1:
		return es[0]
	}
	return es
}

// maxShown bounds how much of a value an error message repeats: a 4 KiB
// invoke-data pasted back into an annotation helps nobody.
const maxShown = 60

// quote renders a value for a message: Go-quoted (so newlines, NUL and
// non-UTF-8 bytes are visible as escapes) and truncated at a rune boundary.
func quote(v string) string {
	if len(v) <= maxShown {
		return fmt.Sprintf("%q", v)
	}
	// Back off at most one rune so valid UTF-8 is not split; invalid bytes
	// are escaped by %q anyway.
	cut := maxShown
	for i := 0; i < utf8.UTFMax-1 && !utf8.RuneStart(v[cut]); i++ {
		cut--
	}
	return fmt.Sprintf("%q... (%d bytes)", v[:cut], len(v))
}
