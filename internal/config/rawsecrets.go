package config

import "strings"

// RawSecrets returns the values given to secret inputs, read straight from
// the action's INPUT_* variables, the CLI's WXCLOUD_* (and Tencent Cloud)
// variables and the arguments, before any validation. The caller masks and
// redacts them even when the config is invalid, so a token pasted into the
// wrong place, or a run that stops at bad input, still never shows one.
func RawSecrets(args []string, environ []string) []string {
	env := envMap(environ)
	var out []string
	add := func(v string) {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	for _, d := range inputDefs() {
		if !d.secret {
			continue
		}
		if !d.cliOnly {
			add(env[inputEnvName(d.name)])
			add(env[EnvName(d.name)])
		}
		if d.envAlias != "" {
			add(env[d.envAlias])
		}
		for i, a := range args {
			switch {
			case a == "--"+d.name && i+1 < len(args):
				add(args[i+1])
			case strings.HasPrefix(a, "--"+d.name+"="):
				add(strings.TrimPrefix(a, "--"+d.name+"="))
			}
		}
	}
	add(env["ACTIONS_ID_TOKEN_REQUEST_TOKEN"])
	return out
}

// inputEnvName is GitHub's variable for an input: upper-cased, hyphens kept.
func inputEnvName(name string) string {
	return "INPUT_" + strings.ToUpper(name)
}
