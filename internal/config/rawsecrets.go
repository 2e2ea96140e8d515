package config

import "strings"

// RawSecrets returns the values given to secret inputs, read straight from the
// action's INPUT_* variables and from args, before any validation. The caller
// masks and redacts them even when the config is invalid, so a token pasted
// into the wrong place, or a run that stops at bad input, still never shows one.
func RawSecrets(args []string, getenv func(string) string) []string {
	var out []string
	for _, d := range inputDefs() {
		if !d.secret {
			continue
		}
		if !d.cliOnly {
			if v := strings.TrimSpace(getenv(inputEnvName(d.name))); v != "" {
				out = append(out, v)
			}
		}
		for i, a := range args {
			switch {
			case a == "--"+d.name && i+1 < len(args):
				out = append(out, args[i+1])
			case strings.HasPrefix(a, "--"+d.name+"="):
				out = append(out, strings.TrimPrefix(a, "--"+d.name+"="))
			}
		}
	}
	return out
}

// inputEnvName is GitHub's variable for an input: upper-cased, hyphens kept.
func inputEnvName(name string) string {
	return "INPUT_" + strings.ToUpper(name)
}
