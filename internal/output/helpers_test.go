package output

import (
	"strings"
	"unicode"
)

// command is a workflow command as the runner parses it.
type command struct{ Name, Data string }

// runnerCommands returns the workflow commands the GitHub runner would run
// for log, parsed the way actions/runner's ActionCommand does: lines split
// at \r\n, \n or \r (.NET's ReadLine); "::name props::data" when the line
// starts with "::" after leading whitespace (TryParseV2); "##[name]data"
// anywhere in the line (TryParse, the legacy form). Command names are not
// checked against the runner's list: any would count.
func runnerCommands(log string) []command {
	var out []command
	log = strings.ReplaceAll(log, "\r\n", "\n")
	for _, line := range strings.FieldsFunc(log, func(r rune) bool { return r == '\n' || r == '\r' }) {
		rest := strings.TrimLeftFunc(line, unicode.IsSpace)
		if strings.HasPrefix(rest, "::") {
			if end := strings.Index(rest[2:], "::"); end >= 0 {
				info := rest[2 : 2+end]
				name, _, _ := strings.Cut(info, " ")
				out = append(out, command{Name: name, Data: unescapeData(rest[2+end+2:])})
				continue
			}
		}
		if i := strings.Index(line, "##["); i >= 0 {
			if j := strings.Index(line[i:], "]"); j >= 0 {
				name, _, _ := strings.Cut(line[i+3:i+j], " ")
				out = append(out, command{Name: name, Data: line[i+j+1:]})
			}
		}
	}
	return out
}

func unescapeData(s string) string {
	return strings.NewReplacer("%0D", "\r", "%0A", "\n", "%25", "%").Replace(s)
}

// Exported for the black-box tests in output_test.
type Command = command

var RunnerCommands = runnerCommands
