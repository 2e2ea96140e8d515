package config

import (
	"fmt"
	"strings"
)

// inputDef describes one action input / CLI flag. The table below is the
// single source of truth for names, defaults and help text: FromAction,
// FromArgs, Usage and the generated action.yml all walk it.
type inputDef struct {
	name string
	def  string // default, applied when the input is empty or absent
	arg  string // placeholder in Usage; "" for booleans
	help string

	boolean bool
	// secret values are never repeated in a message (the Value of an
	// InputError stays empty), are masked, and can come from WXCLOUD_<NAME>
	// in CLI mode.
	secret bool
	// hideValue inputs may hold secrets among other text (env-vars): their
	// value is never repeated in a message, though not masked as a whole.
	hideValue bool
	// multiline inputs may hold newlines (glob lists, env lists, JSON).
	multiline bool
	// repeatable CLI flags append a line per use (--files a --files '!b').
	repeatable bool
	cliOnly    bool // a CLI flag with no action input
	actionOnly bool // an action input with no CLI flag (the CLI takes it as args[0])
	// envAlias is a further variable the CLI reads the value from, after
	// WXCLOUD_<NAME> (the Tencent Cloud SDKs' own names).
	envAlias string

	// apply parses a value (the default when the input is empty) into b.cfg,
	// reporting problems through b. nil for inputs handled by build itself.
	apply func(b *builder, v string)
}

// Commands, in the order Usage lists them.
var commandHelp = []struct {
	name Command
	help string
}{
	{Deploy, "pack each function and upload it to every env (the default)"},
	{Create, "create an empty function in every env"},
	{Invoke, "call a deployed function in every env"},
	{Download, "download a function's deployed code"},
	{Pack, "build the zip only: no API call"},
	{Plan, "check the inputs and, with shards: N, set the matrix output for a sharded deploy"},
	{Merge, "combine the results files of a sharded deploy into one report"},
	{Emulate, "serve the embedded API emulator (CLI only)"},
}

func set(field func(*Config) *string) func(*builder, string) {
	return func(b *builder, v string) { *field(b.cfg) = v }
}

func inputDefs() []inputDef {
	return []inputDef{
		{name: "command", def: "deploy", arg: "CMD", actionOnly: true,
			help: "deploy, create, invoke, download, pack, plan or merge"},
		{name: "function-name", arg: "NAME", apply: applyFunctionName,
			help: "one function's name (exclusive with functions)"},
		{name: "path", def: ".", arg: "DIR", apply: applyPath,
			help: "that function's directory: it becomes the zip root"},
		{name: "files", def: "**", arg: "GLOBS", multiline: true, repeatable: true, apply: applyFiles,
			help: "newline-separated doublestar globs relative to path; a line starting with ! excludes, # comments"},
		{name: "functions", arg: "GLOBS", multiline: true, repeatable: true, apply: applyFunctions,
			help: "newline-separated directory globs (cloudfunctions/*): each matched directory is a function named after it"},
		{name: "envs", arg: "IDS", multiline: true, repeatable: true, apply: applyEnvs,
			help: "environment IDs, comma- or newline-separated (required for API commands, or envs-file)"},
		{name: "envs-file", arg: "FILE", apply: set(func(c *Config) *string { return &c.EnvsFile }),
			help: "a file of env IDs, one per line, # comments; exclusive with envs"},
		{name: "mode", def: "auto", arg: "MODE", apply: applyMode,
			help: "auto (update where the function exists, else create), create or update"},
		{name: "provider", def: "auto", arg: "NAME", apply: applyProvider,
			help: "tencentcloud (a Mini Program team's own envs, Tencent Cloud API), wechat (third-party platforms, WeChat's batch API), or auto: tencentcloud when secret-id or role-arn is given"},

		{name: "access-token", arg: "TOKEN", secret: true, apply: set(func(c *Config) *string { return &c.WeChat.AccessToken }),
			help: "wechat: the authorizer_access_token (or Mini Program access_token) for createfunction, downloadfunction and invoke"},
		{name: "component-access-token", arg: "TOKEN", secret: true, apply: set(func(c *Config) *string { return &c.WeChat.ComponentAccessToken }),
			help: "wechat: the platform's component_access_token, required for the batch upload calls"},
		{name: "appid", arg: "APPID", apply: set(func(c *Config) *string { return &c.WeChat.AppID }),
			help: "wechat: with app-secret, fetch the access token via /cgi-bin/stable_token"},
		{name: "app-secret", arg: "SECRET", secret: true, apply: set(func(c *Config) *string { return &c.WeChat.AppSecret }),
			help: "wechat: the Mini Program's AppSecret"},
		{name: "component-appid", arg: "APPID", apply: set(func(c *Config) *string { return &c.WeChat.ComponentAppID }),
			help: "wechat: with component-appsecret and component-verify-ticket, fetch a component_access_token"},
		{name: "component-appsecret", arg: "SECRET", secret: true, apply: set(func(c *Config) *string { return &c.WeChat.ComponentAppSecret }),
			help: "wechat: the third-party platform's AppSecret"},
		{name: "component-verify-ticket", arg: "TICKET", secret: true, apply: set(func(c *Config) *string { return &c.WeChat.ComponentVerifyTicket }),
			help: "wechat: the platform's current component_verify_ticket (valid 12 hours)"},
		{name: "api-base-url", def: "https://api.weixin.qq.com", arg: "URL", apply: set(func(c *Config) *string { return &c.WeChat.APIBaseURL }),
			help: "wechat: API origin (proxies, the emulator, tests); plain http to a non-loopback host is warned about"},
		{name: "envs-per-call", def: "50", arg: "N", apply: applyEnvsPerCall,
			help: "wechat: envs per batch upload call (1 to 1000): one bad answer fails every env of a call, so smaller is safer, larger is fewer calls"},

		{name: "secret-id", arg: "ID", secret: true, envAlias: "TENCENTCLOUD_SECRET_ID", apply: set(func(c *Config) *string { return &c.TencentCloud.SecretID }),
			help: "tencentcloud: API key SecretId (CLI also TENCENTCLOUD_SECRET_ID)"},
		{name: "secret-key", arg: "KEY", secret: true, envAlias: "TENCENTCLOUD_SECRET_KEY", apply: set(func(c *Config) *string { return &c.TencentCloud.SecretKey }),
			help: "tencentcloud: API key SecretKey (CLI also TENCENTCLOUD_SECRET_KEY)"},
		{name: "session-token", arg: "TOKEN", secret: true, envAlias: "TENCENTCLOUD_SESSION_TOKEN", apply: set(func(c *Config) *string { return &c.TencentCloud.SessionToken }),
			help: "tencentcloud: STS token of temporary keys (CLI also TENCENTCLOUD_SESSION_TOKEN)"},
		{name: "role-arn", arg: "ARN", apply: set(func(c *Config) *string { return &c.TencentCloud.RoleARN }),
			help: "tencentcloud keyless: the CAM role to assume with GitHub's OIDC token (qcs::cam::uin/<uin>:roleName/<name>; needs permissions: id-token: write)"},
		{name: "oidc-provider-id", arg: "ID", apply: set(func(c *Config) *string { return &c.TencentCloud.OIDCProviderID }),
			help: "tencentcloud keyless: the CAM OIDC identity provider's name"},
		{name: "oidc-audience", def: "sts.tencentcloudapi.com", arg: "AUD", apply: set(func(c *Config) *string { return &c.TencentCloud.OIDCAudience }),
			help: "tencentcloud keyless: the audience of the GitHub OIDC token (a client ID of the CAM provider)"},
		{name: "region", def: "ap-shanghai", arg: "REGION", apply: applyRegion,
			help: "tencentcloud: the envs' region (X-TC-Region)"},
		{name: "tencentcloud-api-url", arg: "URL", apply: set(func(c *Config) *string { return &c.TencentCloud.APIURL }),
			help: "tencentcloud: one origin for every Tencent Cloud call (scf, sts), e.g. the emulator; default https://<service>.tencentcloudapi.com"},
		{name: "runtime", def: "Nodejs18.15", arg: "RUNTIME", apply: applyRuntime,
			help: "tencentcloud: the runtime of a created function"},
		{name: "handler", def: "index.main", arg: "HANDLER", apply: applyHandler,
			help: "tencentcloud: file.function the runtime calls (index.main)"},
		{name: "install-dependency", def: "true", boolean: true, apply: boolInto(func(c *Config) *bool { return &c.TencentCloud.InstallDependency }),
			help: "tencentcloud: install package.json dependencies in the cloud on create and every code update"},
		{name: "function-timeout", arg: "SECONDS", apply: applyFunctionTimeout,
			help: "tencentcloud: function timeout in seconds (1 to 900)"},
		{name: "memory", arg: "MB", apply: applyMemory,
			help: "tencentcloud: function memory in MB (64, or 128 to 3072 in steps of 128)"},
		{name: "env-vars", arg: "LINES", multiline: true, hideValue: true, repeatable: true, apply: applyEnvVars,
			help: "tencentcloud: function environment variables, KEY=VALUE lines; values of keys that look like secrets are masked"},
		{name: "env-vars-secret", def: "false", boolean: true, apply: boolInto(func(c *Config) *bool { return &c.EnvVarsSecret }),
			help: "tencentcloud: mask every env-vars value"},
		{name: "prune-triggers", def: "false", boolean: true, apply: boolInto(func(c *Config) *bool { return &c.PruneTriggers }),
			help: "tencentcloud: also delete triggers this tool did not create that config.json does not list"},

		{name: "vpc-id", arg: "ID", apply: set(func(c *Config) *string { return &c.VPCID }),
			help: "VPC of a created function"},
		{name: "subnet-id", arg: "ID", apply: set(func(c *Config) *string { return &c.SubnetID }),
			help: "subnet of a created function (needs vpc-id)"},
		{name: "skip-unchanged", def: "true", boolean: true, apply: boolInto(func(c *Config) *bool { return &c.SkipUnchanged }),
			help: "skip an env whose deployed code equals the local zip"},
		{name: "dry-run", def: "false", boolean: true, apply: boolInto(func(c *Config) *bool { return &c.DryRun }),
			help: "build, validate, probe and plan; send no write call"},
		{name: "size-limit", def: "20MiB", arg: "SIZE", apply: applySizeLimit,
			help: "maximum zip size: 20MiB, 15MB or bytes (at most 1GiB)"},
		{name: "invoke", def: "false", boolean: true, apply: boolInto(func(c *Config) *bool { return &c.Invoke }),
			help: "smoke-test each deployed function by invoking it"},
		{name: "invoke-data", def: "{}", arg: "JSON", multiline: true, apply: applyInvokeData,
			help: "JSON object passed to the function as its event"},
		{name: "invoke-expect", arg: "EXPECT", multiline: true, apply: applyInvokeExpect,
			help: `JSON value that must be a subset of the response ("ok" quoted as "\"ok\""), or /regexp/`},
		{name: "rollback-on-failure", def: "false", boolean: true, apply: boolInto(func(c *Config) *bool { return &c.RollbackOnFailure }),
			help: "when the smoke test fails, re-upload the previous code"},
		{name: "concurrency", def: "4", arg: "N", apply: applyConcurrency,
			help: "functions deployed at once (1 to 64)"},
		{name: "timeout", def: "60s", arg: "DURATION", apply: applyTimeout,
			help: "per HTTP request, and the retry budget of one call: 60s, 2m or whole seconds (at most 30m)"},
		{name: "retries", def: "3", arg: "N", apply: applyRetries,
			help: "retries of transient failures (0 to 10)"},
		{name: "max-rps", def: "20", arg: "N", apply: applyMaxRPS,
			help: "ceiling on vendor calls per second for the whole run (0.1 to 1000)"},
		{name: "shards", arg: "N", apply: applyShards,
			help: "plan: split the deploy into N shards and set the matrix output (2 to 256)"},
		{name: "shard", arg: "I/N", apply: applyShard,
			help: "deploy only slice I of N of the function/env pairs (from the plan's matrix)"},
		{name: "results-file", arg: "FILE", apply: set(func(c *Config) *string { return &c.ResultsFile }),
			help: "write this run's full results JSON to FILE (for upload-artifact and merge)"},
		{name: "results-files", arg: "GLOBS", multiline: true, repeatable: true, apply: applyResultsFiles,
			help: "merge: newline-separated globs of the shards' results files"},
		{name: "github-token", arg: "TOKEN", secret: true, apply: set(func(c *Config) *string { return &c.GitHubToken }),
			help: "token for the pull request comment (the action defaults it to github.token)"},
		{name: "comment", def: "auto", arg: "WHEN", apply: applyComment,
			help: "auto (on pull_request events), always (whenever a pull request is known) or never"},
		{name: "summary", def: "true", boolean: true, apply: boolInto(func(c *Config) *bool { return &c.Summary }),
			help: "write the job summary"},
		{name: "entry", def: "index.js", arg: "FILE", apply: applyEntry,
			help: "file that must be at the zip root; - disables the check"},
		{name: "output", arg: "FILE", apply: set(func(c *Config) *string { return &c.Output }),
			help: "file to write: the zip (pack) or the downloaded code (download, required)"},

		{name: "emulator", def: "false", boolean: true, cliOnly: true, apply: boolInto(func(c *Config) *bool { return &c.Emulator }),
			help: "run the embedded emulator in-process and deploy to it"},
		{name: "json", def: "false", boolean: true, cliOnly: true, apply: boolInto(func(c *Config) *bool { return &c.JSON }),
			help: "print the results JSON on stdout"},
		{name: "listen", def: "127.0.0.1:8080", arg: "ADDR", cliOnly: true, apply: applyListen,
			help: "emulate: address to listen on"},
		{name: "token", arg: "TOKEN", secret: true, cliOnly: true, apply: set(func(c *Config) *string { return &c.EmulatorToken }),
			help: "emulate: the WeChat token the emulator accepts (default: one is generated and printed)"},
		{name: "workspace", arg: "DIR", cliOnly: true,
			help: "keep paths inside this directory and resolve relative ones against it (default $GITHUB_WORKSPACE; unset: the current directory)"},
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
	sb.WriteString("\nSecrets can also come from the environment: WXCLOUD_<INPUT> with - as _ (WXCLOUD_SECRET_KEY), so they stay out of the process list.\n")
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
