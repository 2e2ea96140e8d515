package config

import (
	"encoding/json"
	"regexp"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"
)

// Config is one validated run configuration. Field comments name the input
// each comes from; see Usage for defaults.
type Config struct {
	Command      string   // command: deploy|create|invoke|download|pack|emulate
	FunctionName string   // function-name
	Path         string   // path, cleaned (default ".")
	PathAbs      string   // Path resolved against Workspace (or the working directory), symlinks evaluated when it exists
	Files        string   // files: raw glob lines (default "**"); the pack package parses them
	Functions    []string // functions: directory globs, one per non-blank line, trimmed
	Envs         []string // envs: parsed, in input order, no duplicates
	Mode         string   // mode: auto|create|update

	VPCID, SubnetID string // vpc-id, subnet-id

	AccessToken, ComponentAccessToken                         string // access-token, component-access-token
	AppID, AppSecret                                          string // appid, app-secret
	ComponentAppID, ComponentAppSecret, ComponentVerifyTicket string // component-appid, component-appsecret, component-verify-ticket

	SkipUnchanged bool  // skip-unchanged (default true)
	DryRun        bool  // dry-run
	SizeLimit     int64 // size-limit in bytes (default 20 MiB)

	Invoke       bool            // invoke
	InvokeData   json.RawMessage // invoke-data: a JSON object (default {})
	InvokeExpect string          // invoke-expect: "", a JSON value, or /regexp/
	// InvokeExpectRegexp is the compiled /regexp/ form of InvokeExpect; nil
	// when InvokeExpect is empty or JSON.
	InvokeExpectRegexp *regexp.Regexp

	RollbackOnFailure bool          // rollback-on-failure
	Concurrency       int           // concurrency, 1..64 (default 4)
	Timeout           time.Duration // timeout per HTTP request (default 60s)
	Retries           int           // retries, 0..10 (default 3)
	APIBaseURL        string        // api-base-url without a trailing slash
	GitHubToken       string        // github-token
	Comment           string        // comment: auto|always|never
	Summary           bool          // summary (default true)
	Entry             string        // entry: file required at the zip root (default "index.js"); "-" disables the check
	Output            string        // output: file to write (pack, download)
	OutputAbs         string        // Output resolved like PathAbs; "" when Output is

	// CloudfunctionRoot is set for deploy/pack when neither function-name nor
	// functions was given and the workspace holds a WeChat project.config.json:
	// its cloudfunctionRoot (e.g. "cloudfunctions/"), relative to the workspace.
	CloudfunctionRoot string

	// CLI-only flags.
	Emulator      bool   // --emulator: deploy against the in-process emulator
	JSON          bool   // --json
	Listen        string // --listen (emulate), default "127.0.0.1:8080"
	EmulatorToken string // --token (emulate): printed by design, so not in Secrets
	ActionMode    bool   // built by FromAction
	// Workspace is GITHUB_WORKSPACE (or --workspace), absolute with symlinks
	// resolved; "" means no containment check.
	Workspace string

	// Warnings are inputs that were accepted but have no effect; show them as
	// ::warning:: annotations.
	Warnings []string
}

// Secrets lists every non-empty secret value, for masking (::add-mask::) and
// for redacting messages.
func (c *Config) Secrets() []string {
	var out []string
	for _, s := range []string{
		c.AccessToken, c.ComponentAccessToken, c.AppSecret,
		c.ComponentAppSecret, c.ComponentVerifyTicket, c.GitHubToken,
	} {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// FromAction builds the Config from GitHub Action inputs (INPUT_<NAME>, read
// through go-githubactions, which trims them). The command comes from the
// command input (default deploy); the workspace from GITHUB_WORKSPACE.
func FromAction(getenv func(string) string) (*Config, error) {
	a := githubactions.New(githubactions.WithGetenv(getenv))
	raw := map[string]string{}
	for _, d := range inputDefs() {
		if d.cliOnly {
			continue
		}
		raw[d.name] = a.GetInput(d.name)
	}
	command := raw["command"]
	if command == "" {
		command = "deploy"
	}
	return build(command, raw, true, getenv("GITHUB_WORKSPACE"))
}

var apiCommands = []string{"deploy", "create", "invoke", "download"}

// FromArgs builds the Config from CLI arguments (os.Args[1:]): the command
// first, then flags spelled like the action inputs, as --name value or
// --name=value. A boolean flag alone means true and takes a following true or
// false as its value. getenv is read for GITHUB_WORKSPACE only, the default of
// --workspace.
//
// help, -h and --help give ErrHelp; version and --version give ErrVersion.
func FromArgs(args []string, getenv func(string) string) (*Config, error) {
	if len(args) == 0 {
		return nil, &InputError{Input: "command", Msg: "is missing (start with one of " + commandList(false) + ", or help)"}
	}
	command := args[0]
	switch command {
	case "help", "-h", "-help", "--help":
		return nil, ErrHelp
	case "version", "-version", "--version":
		return nil, ErrVersion
	}
	if strings.HasPrefix(command, "-") {
		return nil, &InputError{Input: "command", Msg: "is missing before " + quote(command) +
			" (start with one of " + commandList(false) + ", e.g. wxcloud-deploy deploy --function-name login)"}
	}
	if !validCommand(command, false) {
		msg := "is not a command (use one of " + commandList(false) + ", help or version)"
		if s := suggest(command, commandNames(false)); s != "" {
			msg = "is not a command (did you mean " + s + "? use one of " + commandList(false) + ")"
		}
		return nil, &InputError{Input: "command", Value: command, Msg: msg}
	}

	// Flag errors are reported alone: validating the rest would only echo
	// them ("function-name is required" after "--functon-name is unknown").
	raw, err := parseFlags(args[1:])
	if err != nil {
		return nil, err
	}
	workspace := raw["workspace"]
	if workspace == "" {
		workspace = getenv("GITHUB_WORKSPACE")
	}
	return build(command, raw, false, workspace)
}

// parseFlags reads flags into raw values. It returns ErrHelp as soon as it
// meets -h/--help, else the collected *InputErrors.
func parseFlags(args []string) (map[string]string, error) {
	raw := map[string]string{}
	seen := map[string]bool{}
	var errs Errors
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			for _, p := range args[i+1:] {
				errs = append(errs, positional(p))
			}
			break
		}
		if !strings.HasPrefix(a, "-") || a == "-" {
			errs = append(errs, positional(a))
			continue
		}
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		value, hasValue := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = k, v, true
		}
		if name == "h" || name == "help" {
			return nil, ErrHelp
		}
		d, ok := lookupDef(name)
		if !ok || d.actionOnly {
			errs = append(errs, unknownFlag(name))
			// Skip what looks like the unknown flag's value: it may be a
			// secret (--acess-token $TOKEN) and must not come back as an
			// "unexpected argument".
			if !hasValue && i+1 < len(args) && !strings.HasPrefix(args[i+1], "-") {
				i++
			}
			continue
		}
		if !hasValue {
			switch {
			case d.boolean:
				value = "true"
				if i+1 < len(args) && isBool(args[i+1]) {
					value = args[i+1]
					i++
				}
			case i+1 >= len(args) || looksLikeFlag(args[i+1]):
				errs = append(errs, &InputError{Input: name, Msg: "needs a value (--" + name + " VALUE or --" + name + "=VALUE)"})
				continue
			default:
				value = args[i+1]
				i++
			}
		}
		value = strings.TrimSpace(value)
		if seen[name] {
			if d.repeatable {
				raw[name] += "\n" + value
				continue
			}
			errs = append(errs, &InputError{Input: name, Msg: "is given more than once (give it once)"})
			continue
		}
		seen[name] = true
		raw[name] = value
	}
	return raw, errs.err()
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

func commandNames(action bool) []string {
	var out []string
	for _, c := range commandHelp {
		if action && c.name == "emulate" {
			continue
		}
		out = append(out, c.name)
	}
	return out
}

func commandList(action bool) string {
	return strings.Join(commandNames(action), ", ")
}

func validCommand(c string, action bool) bool {
	for _, n := range commandNames(action) {
		if n == c {
			return true
		}
	}
	return false
}

func isAPICommand(c string) bool {
	for _, n := range apiCommands {
		if n == c {
			return true
		}
	}
	return false
}
