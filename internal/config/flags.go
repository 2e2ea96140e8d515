package config

import (
	"regexp"
	"strings"
)

// parseFlags reads flags into raw values. It returns ErrHelp as soon as it
// meets -h/--help, else the collected *InputErrors.
func parseFlags(args []string) (map[string]string, error) {
	p := &flagParser{args: args, raw: map[string]string{}, seen: map[string]bool{}}
	for p.i = 0; p.i < len(args); p.i++ {
		a := args[p.i]
		if a == "--" {
			for _, rest := range args[p.i+1:] {
				p.errs = append(p.errs, positional(rest))
			}
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			p.errs = append(p.errs, positional(a))
			continue
		}
		if help := p.flag(a); help {
			return nil, ErrHelp
		}
	}
	return p.raw, p.errs.err()
}

type flagParser struct {
	args []string
	i    int
	raw  map[string]string
	seen map[string]bool
	errs Errors
}

// flag reads one --name[=value] (and its value argument), reporting whether
// it asked for help.
func (p *flagParser) flag(a string) (help bool) {
	name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
	value, hasValue := "", false
	if k, v, ok := strings.Cut(name, "="); ok {
		name, value, hasValue = k, v, true
	}
	if name == "h" || name == "help" {
		return true
	}
	d, ok := lookupDef(name)
	if !ok || d.actionOnly {
		p.errs = append(p.errs, unknownFlag(name))
		// Skip what looks like the unknown flag's value: it may be a secret
		// (--acess-token $TOKEN) and must not come back as an "unexpected
		// argument".
		if !hasValue && p.i+1 < len(p.args) && !strings.HasPrefix(p.args[p.i+1], "-") {
			p.i++
		}
		return false
	}
	if !hasValue {
		var ok bool
		if value, ok = p.value(d); !ok {
			return false
		}
	}
	p.store(d, strings.TrimSpace(value))
	return false
}

// value takes the argument after a flag given without =.
func (p *flagParser) value(d inputDef) (string, bool) {
	next := ""
	if p.i+1 < len(p.args) {
		next = p.args[p.i+1]
	}
	switch {
	case d.boolean:
		if isBool(next) {
			p.i++
			return next, true
		}
		return "true", true
	case p.i+1 >= len(p.args) || looksLikeFlag(next):
		p.errs = append(p.errs, &InputError{Input: d.name, Msg: "needs a value (--" + d.name + " VALUE or --" + d.name + "=VALUE)"})
		return "", false
	}
	p.i++
	return next, true
}

func (p *flagParser) store(d inputDef, value string) {
	if !p.seen[d.name] {
		p.seen[d.name] = true
		p.raw[d.name] = value
		return
	}
	if d.repeatable {
		p.raw[d.name] += "\n" + value
		return
	}
	p.errs = append(p.errs, &InputError{Input: d.name, Msg: "is given more than once (give it once)"})
}

// looksLikeFlag: a following "--name" means the value was forgotten. A single
// dash is allowed through because "-1" is a valid invoke-expect.
func looksLikeFlag(s string) bool {
	return strings.HasPrefix(s, "--") && len(s) > 2
}

var plainFlagName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,40}$`)

func positional(a string) *InputError {
	return &InputError{Input: "arguments", Value: a,
		Msg: "is not a flag (flags are --name value; quote values that contain spaces)"}
}

func unknownFlag(name string) *InputError {
	if name == "command" {
		return &InputError{Input: "--command", Msg: "is not a flag: the command is the first argument (wxcloud-deploy deploy ...)"}
	}
	var names []string
	for _, d := range inputDefs() {
		if !d.actionOnly {
			names = append(names, d.name)
		}
	}
	msg := "is not a known flag (see wxcloud-deploy help)"
	if s := suggest(name, names); s != "" {
		msg = "is not a known flag (did you mean --" + s + "?)"
	}
	if !plainFlagName.MatchString(name) {
		// Input is printed unquoted: keep odd bytes in the quoted Value.
		return &InputError{Input: "flags", Value: "--" + name, Msg: msg}
	}
	return &InputError{Input: "--" + name, Msg: msg}
}
