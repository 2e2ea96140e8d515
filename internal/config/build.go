package config

import (
	"fmt"

	"strings"
	"unicode/utf8"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
)

// maxInputLen bounds every input. Nothing legitimate comes close, and a
// runaway value (a whole file pasted into a YAML field) should fail here, not
// in the API.
const maxInputLen = 4096

// inputs is what a front door read: raw values (empty = not given) and the
// world they are resolved in.
type inputs struct {
	raw       map[string]string
	action    bool
	workspace string
	getenv    func(string) string
}

// builder accumulates a Config and every problem found on the way.
type builder struct {
	cfg    *Config
	in     inputs
	input  string // the input being applied, for apply funcs
	errs   Errors
	bad    map[string]bool // inputs already reported: skip checks that build on them
	set    map[string]bool // inputs given a non-empty value
	secret []string        // every secret value given, to scrub from messages

	// base is the directory relative paths resolve against: the workspace,
	// else the working directory.
	base string
	// Values kept for the checks that resolve them against the workspace.
	functionName  string
	path          string
	functions     string // the functions input, raw
	functionGlobs globs.List
}

func (b *builder) add(e *InputError) {
	b.errs = append(b.errs, e)
	b.bad[e.Input] = true
}

func (b *builder) fail(input, value, msg string) {
	b.add(&InputError{Input: input, Value: value, Msg: msg})
}

// addErr adds an *InputError or every one of an Errors.
func (b *builder) addErr(err error) {
	switch e := err.(type) {
	case *InputError:
		b.add(e)
	case Errors:
		for _, ie := range e {
			b.add(ie)
		}
	}
}

func (b *builder) warnf(format string, args ...any) {
	b.cfg.Warnings = append(b.cfg.Warnings, fmt.Sprintf(format, args...))
}

// build validates raw values for command: every input is parsed once, here,
// into the typed value the rest of the program uses.
func build(command Command, in inputs) (*Config, error) {
	if !validCommand(command, in.action) {
		msg := "is not a command (use one of " + commandList(in.action) + ")"
		if in.action && command == Emulate {
			msg = "is CLI-only (run wxcloud-deploy emulate in a step of its own and point the API URL inputs at it)"
		}
		return nil, &InputError{Input: "command", Value: string(command), Msg: msg}
	}
	cfg := &Config{Command: command, ActionMode: in.action}
	b := &builder{cfg: cfg, in: in, bad: map[string]bool{}, set: map[string]bool{}}
	b.applyAll()
	for _, check := range []func(){
		b.checkWorkspace, b.checkEnvs, b.checkTargets, b.checkProvider, b.checkCredentials,
		b.checkSettings, b.checkSharding, b.checkFiles, b.checkCLIOnly, b.warn,
	} {
		check()
	}
	if len(b.errs) == 0 {
		return cfg, nil
	}
	b.scrub()
	return nil, b.errs.err()
}

// applyAll runs every input's apply func on its value or default.
func (b *builder) applyAll() {
	for _, d := range inputDefs() {
		if d.apply == nil || (b.in.action && d.cliOnly) {
			continue
		}
		v := b.in.raw[d.name]
		if d.secret && v != "" {
			b.secret = append(b.secret, secretParts(v)...)
		}
		if v != "" {
			b.set[d.name] = true
			if msg := malformed(d, v); msg != "" {
				shown := v
				if d.secret || d.hideValue {
					shown = ""
				}
				b.fail(d.name, shown, msg)
				v = ""
			}
		}
		if v == "" {
			v = d.def
		}
		b.input = d.name
		d.apply(b, v)
	}
}

// scrub: a secret pasted into the wrong input (a token as function-name)
// must not be echoed either.
func (b *builder) scrub() {
	for _, e := range b.errs {
		for _, s := range b.secret {
			if len(s) < 4 {
				continue // redacting "a" everywhere would garble the message
			}
			e.Value = strings.ReplaceAll(e.Value, s, "***")
			e.Msg = strings.ReplaceAll(e.Msg, s, "***")
		}
	}
}

// secretParts is what to redact for one secret value: the value and, when
// it is malformed (a stray newline or NUL), each long piece of it, since the
// user may have pasted the intended part elsewhere too.
func secretParts(v string) []string {
	out := []string{v}
	for _, p := range strings.FieldsFunc(v, func(r rune) bool { return r < ' ' || r == 0x7f || r == utf8.RuneError }) {
		if len(p) >= 8 && p != v {
			out = append(out, p)
		}
	}
	return out
}

// malformed reports what every input must satisfy, whatever its type.
func malformed(d inputDef, v string) string {
	switch {
	case len(v) > maxInputLen:
		return fmt.Sprintf("is too long (%d bytes; at most %d)", len(v), maxInputLen)
	case !utf8.ValidString(v):
		return "is not valid UTF-8 (check the file's encoding)"
	case strings.ContainsRune(v, 0):
		return "contains a NUL byte (remove it)"
	case !d.multiline && strings.ContainsAny(v, "\r\n"):
		return "must be one line (remove the line break; in YAML use a plain scalar, not |)"
	}
	return ""
}
