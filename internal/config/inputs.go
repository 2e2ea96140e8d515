package config

import (
	"fmt"
	"strings"
)

// inputDef describes one action input / CLI flag. The table below is the single
// source of truth for names, defaults and help text: FromAction, FromArgs and
// Usage all walk it.
type inputDef struct {
	name string
	def  string // default, applied when the input is empty or absent
	arg  string // placeholder in Usage; "" for booleans
	help string

	boolean bool
	// secret values are never repeated in a message (the Value of an
	// InputError stays empty).
	secret bool
	// multiline inputs may hold newlines (glob lists, env lists, JSON).
	multiline bool
	// repeatable CLI flags append a line per use (--files a --files '!b').
	repeatable bool
	cliOnly    bool // a CLI flag with no action input
	actionOnly bool // an action input with no CLI flag (the CLI takes it as args[0])

	// apply parses a value (the default when the input is empty) into b.cfg,
	// reporting problems through b. nil for inputs handled by build itself.
	apply func(b *builder, v string)
}

// Commands, in the order Usage lists them.
var commandHelp = []struct{ name, help string }{
	{"deploy", "pack each function and upload it to every env (the default)"},
	{"create", "create an empty function in every env (createfunction)"},
	{"invoke", "call a deployed function in every env (invokecloudfunction)"},
	{"download", "download a function's deployed code (downloadfunction)"},
	{"pack", "build the zip only: no API call"},
	{"emulate", "serve the embedded API emulator (CLI only)"},
}

func inputDefs() []inputDef {
	return []inputDef{
		{name: "command", def: "deploy", arg: "CMD", actionOnly: true,
			help: "deploy, create, invoke, download or pack"},
		{name: "function-name", arg: "NAME", apply: applyFunctionName,
			help: "one function's name (exclusive with functions)"},
		{name: "path", def: ".", arg: "DIR", apply: applyPath,
			help: "that function's directory: it becomes the zip root"},
		{name: "files", def: "**", arg: "GLOBS", multiline: true, repeatable: true, apply: applyFiles,
			help: "newline-separated doublestar globs relative to path; a line starting with ! excludes"},
		{name: "functions", arg: "GLOBS", multiline: true, repeatable: true, apply: applyFunctions,
			help: "newline-separated directory globs (cloudfunctions/*): each matched directory is a function named after it"},
		{name: "envs", arg: "IDS", multiline: true, repeatable: true, apply: applyEnvs,
			help: "environment IDs, comma- or newline-separated (required for API commands)"},
		{name: "mode", def: "auto", arg: "MODE", apply: applyMode,
			help: "auto (update where the function exists, else create), create or update"},
		{name: "vpc-id", arg: "ID", apply: func(b *builder, v string) { b.cfg.VPCID = v },
			help: "VPC passed to batch create"},
		{name: "subnet-id", arg: "ID", apply: func(b *builder, v string) { b.cfg.SubnetID = v },
			help: "subnet passed to batch create (needs vpc-id)"},
		{name: "access-token", arg: "TOKEN", secret: true, apply: func(b *builder, v string) { b.cfg.AccessToken = v },
			help: "access_token or authorizer_access_token for the API calls"},
		{name: "component-access-token", arg: "TOKEN", secret: true, apply: func(b *builder, v string) { b.cfg.ComponentAccessToken = v },
			help: "third-party platforms: component_access_token for the batch calls"},
		{name: "appid", arg: "APPID", apply: func(b *builder, v string) { b.cfg.AppID = v },
			help: "with app-secret: fetch a token via /cgi-bin/stable_token"},
		{name: "app-secret", arg: "SECRET", secret: true, apply: func(b *builder, v string) { b.cfg.AppSecret = v },
			help: "the Mini Program's AppSecret"},
		{name: "component-appid", arg: "APPID", apply: func(b *builder, v string) { b.cfg.ComponentAppID = v },
			help: "with component-appsecret and component-verify-ticket: fetch a component_access_token"},
		{name: "component-appsecret", arg: "SECRET", secret: true, apply: func(b *builder, v string) { b.cfg.ComponentAppSecret = v },
			help: "the third-party platform's AppSecret"},
		{name: "component-verify-ticket", arg: "TICKET", secret: true, apply: func(b *builder, v string) { b.cfg.ComponentVerifyTicket = v },
			help: "the platform's current component_verify_ticket"},
		{name: "skip-unchanged", def: "true", boolean: true, apply: boolInto(func(c *Config) *bool { return &c.SkipUnchanged }),
			help: "skip an env whose deployed checksum equals the local zip's"},
		{name: "dry-run", def: "false", boolean: true, apply: boolInto(func(c *Config) *bool { return &c.DryRun }),
			help: "build, validate and plan; send no write call"},
		{name: "size-limit", def: "20MiB", arg: "SIZE", apply: applySizeLimit,
			help: "maximum zip size: 20MiB, 15MB or bytes (at most 1GiB)"},
		{name: "invoke", def: "false", boolean: true, apply: boolInto(func(c *Config) *bool { return &c.Invoke }),
			help: "smoke-test each deployed function via invokecloudfunction"},
		{name: "invoke-data", def: "{}", arg: "JSON", multiline: true, apply: applyInvokeData,
			help: "JSON object passed to the function as its event"},
		{name: "invoke-expect", arg: "EXPECT", multiline: true, apply: applyInvokeExpect,
			help: `JSON value that must be a subset of resp_data ("ok" quoted as "\"ok\""), or /regexp/`},
		{name: "rollback-on-failure", def: "false", boolean: true, apply: boolInto(func(c *Config) *bool { return &c.RollbackOnFailure }),
			help: "when the smoke test fails, re-upload the previous code"},
		{name: "concurrency", def: "4", arg: "N", apply: applyConcurrency,
			help: "functions deployed at once (1 to 64)"},
		{name: "timeout", def: "60s", arg: "DURATION", apply: applyTimeout,
			help: "per HTTP request: 60s, 2m or whole seconds (at most 30m)"},
		{name: "retries", def: "3", arg: "N", apply: applyRetries,
			help: "retries of transient failures (0 to 10)"},
		{name: "api-base-url", def: "https://api.weixin.qq.com", arg: "URL", apply: func(b *builder, v string) { b.cfg.APIBaseURL = v },
			help: "API origin (proxies, the emulator, tests); plain http to a non-loopback host is warned about"},
		{name: "github-token", arg: "TOKEN", secret: true, apply: func(b *builder, v string) { b.cfg.GitHubToken = v },
			help: "token for the pull request comment (the action defaults it to github.token)"},
		{name: "comment", def: "auto", arg: "WHEN", apply: applyComment,
			help: "auto (on pull_request events), always or never"},
		{name: "summary", def: "true", boolean: true, apply: boolInto(func(c *Config) *bool { return &c.Summary }),
			help: "write the job summary"},
		{name: "entry", def: "index.js", arg: "FILE", apply: applyEntry,
			help: "file that must be at the zip root; - disables the check"},
		{name: "output", arg: "FILE", apply: func(b *builder, v string) { b.cfg.Output = v },
			help: "file to write: the zip (pack) or the downloaded code (download, required)"},

		{name: "emulator", def: "false", boolean: true, cliOnly: true, apply: boolInto(func(c *Config) *bool { return &c.Emulator }),
			help: "run the embedded emulator in-process and use it as the API"},
		{name: "json", def: "false", boolean: true, cliOnly: true, apply: boolInto(func(c *Config) *bool { return &c.JSON }),
			help: "print the results JSON on stdout"},
		{name: "listen", def: "127.0.0.1:8080", arg: "ADDR", cliOnly: true, apply: applyListen,
			help: "emulate: address to listen on"},
		{name: "token", arg: "TOKEN", secret: true, cliOnly: true, apply: func(b *builder, v string) { b.cfg.EmulatorToken = v },
			help: "emulate: the token the emulator accepts (default: one is generated and printed)"},
		{name: "workspace", arg: "DIR", cliOnly: true,
			help: "keep path and functions inside this directory and resolve relative ones against it (default $GITHUB_WORKSPACE; unset: the current directory)"},
	}
}

func lookupDef(name string) (inputDef, bool) {
	for _, d := range inputDefs() {
		if d.name == name {
			return d, true
		}
	}
	return inputDef{}, false
}

func boolInto(field func(*Config) *bool) func(*builder, string) {
	return func(b *builder, v string) {
		ok, err := ParseBool(b.input, v)
		if err != nil {
			b.add(err.(*InputError))
			return
		}
		*field(b.cfg) = ok
	}
}

// Usage is the CLI help text, generated from the input table.
func Usage() string {
	var sb strings.Builder
	sb.WriteString("wxcloud-deploy deploys WeChat Mini Program cloud functions (Cloud Development).\n\n")
	sb.WriteString("Usage:\n  wxcloud-deploy <command> [--<input-name> value ...]\n\n")
	sb.WriteString("Commands:\n")
	for _, c := range commandHelp {
		fmt.Fprintf(&sb, "  %-10s %s\n", c.name, c.help)
	}
	fmt.Fprintf(&sb, "  %-10s %s\n", "help", "show this help")
	fmt.Fprintf(&sb, "  %-10s %s\n", "version", "print the version")

	sb.WriteString("\nFlags (spelled like the action inputs; a boolean alone means true, or --flag=false):\n")
	writeFlags(&sb, false)
	sb.WriteString("\nCLI-only flags:\n")
	writeFlags(&sb, true)
	sb.WriteString("\nExit status: 0 success, 1 a function/env pair failed, 2 invalid input (nothing was sent).\n")
	return sb.String()
}

func writeFlags(sb *strings.Builder, cliOnly bool) {
	for _, d := range inputDefs() {
		if d.actionOnly || d.cliOnly != cliOnly {
			continue
		}
		flag := "--" + d.name
		if d.arg != "" {
			flag += " " + d.arg
		}
		help := d.help
		if d.def != "" {
			help += fmt.Sprintf(" (default %s)", d.def)
		}
		if d.secret {
			help += " [secret]"
		}
		fmt.Fprintf(sb, "  %-34s %s\n", flag, help)
	}
}

// InputDoc is the public view of one input, for generating action.yml and
// documentation from the table.
type InputDoc struct {
	Name, Default, Help string
	Secret              bool
	// CLIOnly inputs are flags with no action input; ActionOnly ones are
	// action inputs the CLI takes another way (the command).
	CLIOnly, ActionOnly bool
	Boolean             bool
}

// Inputs lists every input in table order.
func Inputs() []InputDoc {
	var out []InputDoc
	for _, d := range inputDefs() {
		out = append(out, InputDoc{Name: d.name, Default: d.def, Help: d.help, Secret: d.secret,
			CLIOnly: d.cliOnly, ActionOnly: d.actionOnly, Boolean: d.boolean})
	}
	return out
}

// OutputDoc is one action output.
type OutputDoc struct{ Name, Help string }

// Outputs lists every action output (CONTRACT.md "Outputs").
func Outputs() []OutputDoc {
	return []OutputDoc{
		{"status", "success or failure"},
		{"results", `JSON array, one object per function/env pair ({"function","env","action","errcode","error","sha256","invoke"}); when the full JSON would pass 512 KiB, the failed pairs plus counts, and where the full file is`},
		{"failed-envs", "Comma-separated env IDs with at least one failed pair"},
		{"zip-sha256", "SHA-256 of the package (the first function when several)"},
		{"zip-size", "Size in bytes of the package (the first function when several)"},
		{"packages", `JSON object mapping each function name to {"sha256","size","files"}`},
		{"matrix", `command: plan with shards: N: {"shard":["1/N",…,"N/N"]} for strategy.matrix`},
	}
}
