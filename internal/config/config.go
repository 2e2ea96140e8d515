package config

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/expect"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
)

// Command is what the run does.
type Command string

const (
	Deploy   Command = "deploy"
	Create   Command = "create"
	Invoke   Command = "invoke"
	Download Command = "download"
	Pack     Command = "pack"
	Plan     Command = "plan"
	Merge    Command = "merge"
	Emulate  Command = "emulate" // CLI only
)

// API reports whether the command talks to a vendor API.
func (c Command) API() bool {
	switch c {
	case Deploy, Create, Invoke, Download:
		return true
	}
	return false
}

// Mode is the mode input: how deploy chooses between create and update.
type Mode string

const (
	ModeAuto   Mode = "auto"
	ModeCreate Mode = "create"
	ModeUpdate Mode = "update"
)

// CommentMode is the comment input.
type CommentMode string

const (
	CommentAuto   CommentMode = "auto"
	CommentAlways CommentMode = "always"
	CommentNever  CommentMode = "never"
)

// Provider is the backend a run talks to. "auto" is resolved while the
// inputs are read; a Config holds WeChat or TencentCloud.
type Provider string

const (
	ProviderAuto         Provider = "auto"
	ProviderWeChat       Provider = "wechat"
	ProviderTencentCloud Provider = "tencentcloud"
)

// Target is one function to act on.
type Target struct {
	Name string
	// Dir is the function's directory, absolute; "" for commands that need
	// no code (create, invoke, download).
	Dir string
	// Shown is Dir as messages and annotations name it: relative to the
	// workspace (or the working directory) when inside it.
	Shown string
	// Settings are what the function should be configured with
	// (tencentcloud): the function's config.json overlaid by the inputs.
	Settings backend.Settings
}

// Shard is one slice of a sharded run: Index of Count, 1-based. The zero
// value means the whole run.
type Shard struct{ Index, Count int }

// String is "i/N", or "" for the whole run.
func (s Shard) String() string {
	if s.Count == 0 {
		return ""
	}
	return strconv.Itoa(s.Index) + "/" + strconv.Itoa(s.Count)
}

// WeChat holds the wechat backend's inputs.
type WeChat struct {
	AccessToken, ComponentAccessToken                         string
	AppID, AppSecret                                          string
	ComponentAppID, ComponentAppSecret, ComponentVerifyTicket string
	APIBaseURL                                                string // without a trailing slash
	EnvsPerCall                                               int
}

// HasComponent reports whether the batch calls have a token source.
func (w WeChat) HasComponent() bool { return w.ComponentAccessToken != "" || w.ComponentAppID != "" }

// HasAccess reports whether createfunction, downloadfunction and
// invokecloudfunction have a token source.
func (w WeChat) HasAccess() bool { return w.AccessToken != "" || w.AppID != "" }

// TencentCloud holds the tencentcloud backend's inputs.
type TencentCloud struct {
	SecretID, SecretKey, SessionToken string
	// Keyless: RoleARN and OIDCProviderID, with the request URL and token
	// GitHub sets for a job with id-token: write.
	RoleARN, OIDCProviderID, OIDCAudience string
	OIDCRequestURL, OIDCRequestToken      string
	Region                                string
	APIURL                                string // "" for the vendor's own endpoints
	Runtime, Handler                      string
	InstallDependency                     bool
}

// Keyless reports whether the credentials come from GitHub's OIDC token.
func (t TencentCloud) Keyless() bool { return t.RoleARN != "" }

// Config is one validated run configuration: every input parsed once into
// the typed value the rest of the program uses. Field comments name the
// input each comes from.
type Config struct {
	Command  Command
	Provider Provider // provider, resolved (never auto)

	// Targets are the functions: for deploy, pack and plan resolved from
	// function-name + path, functions, or project.config.json; for create,
	// invoke and download the one function-name (Dir "").
	Targets []Target
	Files   globs.List // files
	Envs    []string   // envs or envs-file: in input order, no duplicates
	// EnvsFile is the envs-file input resolved, "" when envs was used.
	EnvsFile string
	Mode     Mode

	WeChat       WeChat
	TencentCloud TencentCloud
	VPCID        string // vpc-id
	SubnetID     string // subnet-id

	// Function settings inputs, already merged into each Target's Settings.
	FunctionTimeout, Memory *int
	EnvVars                 map[string]string
	EnvVarsSecret           bool
	PruneTriggers           bool

	SkipUnchanged     bool
	DryRun            bool
	SizeLimit         int64
	Invoke            bool
	InvokeData        json.RawMessage
	InvokeExpect      *expect.Expectation
	RollbackOnFailure bool
	Concurrency       int
	Timeout           time.Duration
	Retries           int
	MaxRPS            float64

	Shards       int   // shards (plan)
	Shard        Shard // shard
	ResultsFile  string
	ResultsFiles globs.List // results-files (merge)

	GitHubToken string
	Comment     CommentMode
	Summary     bool
	Entry       string
	Output      string // output, resolved like path ("" when not given)

	// CLI-only.
	Emulator      bool
	JSON          bool
	Listen        string
	EmulatorToken string // printed by design, so not in Secrets
	ActionMode    bool
	// Workspace is GITHUB_WORKSPACE (or --workspace), absolute with symlinks
	// resolved; "" means no containment check.
	Workspace string

	// Warnings are inputs that were accepted but have no effect, or guesses
	// worth a word; shown as ::warning:: annotations.
	Warnings []string
}

// FunctionName is the name of the one function create, invoke and download
// act on ("" when there is not exactly one target).
func (c *Config) FunctionName() string {
	if len(c.Targets) != 1 {
		return ""
	}
	return c.Targets[0].Name
}

// Secrets lists every non-empty secret value, for masking and redacting.
func (c *Config) Secrets() []string {
	var out []string
	for _, s := range []string{
		c.WeChat.AccessToken, c.WeChat.ComponentAccessToken, c.WeChat.AppSecret,
		c.WeChat.ComponentAppSecret, c.WeChat.ComponentVerifyTicket, c.GitHubToken,
		c.TencentCloud.SecretID, c.TencentCloud.SecretKey, c.TencentCloud.SessionToken,
		c.TencentCloud.OIDCRequestToken,
	} {
		if s != "" {
			out = append(out, s)
		}
	}
	vars := []map[string]string{c.EnvVars}
	for _, t := range c.Targets {
		vars = append(vars, t.Settings.EnvVars)
	}
	for _, m := range vars {
		for k, v := range m {
			if v != "" && (c.EnvVarsSecret || SecretKeyName(k)) {
				out = append(out, v)
			}
		}
	}
	return out
}

// SecretKeyName reports whether an environment variable's name says its
// value is a secret (API_KEY, DB_PASSWORD, WX_APPSECRET, SESSION_TOKEN…).
func SecretKeyName(k string) bool {
	k = strings.ToUpper(k)
	for _, w := range []string{"SECRET", "PASSWORD", "PASSWD", "TOKEN", "KEY", "CREDENTIAL", "PRIVATE", "SIGNATURE", "AUTH"} {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// FromAction builds the Config from GitHub Action inputs (INPUT_<NAME>, read
// through go-githubactions, which trims them) in environ, the process
// environment.
func FromAction(environ []string) (*Config, error) {
	env := envMap(environ)
	getenv := func(k string) string { return env[k] }
	a := githubactions.New(githubactions.WithGetenv(getenv))
	raw := map[string]string{}
	for _, d := range inputDefs() {
		if d.cliOnly {
			continue
		}
		raw[d.name] = a.GetInput(d.name)
	}
	command := Command(raw["command"])
	if command == "" {
		command = Deploy
	}
	in := inputs{raw: raw, action: true, workspace: getenv("GITHUB_WORKSPACE"), getenv: getenv}
	return build(command, in)
}

// FromArgs builds the Config from CLI arguments (os.Args[1:]): the command
// first, then flags spelled like the action inputs, as --name value or
// --name=value. A boolean flag alone means true and takes a following true or
// false as its value. Secret inputs not given as flags are read from
// WXCLOUD_<NAME> (and the Tencent Cloud SDKs' variables), so that a secret
// never has to sit in the process list.
//
// help, -h and --help give ErrHelp; version and --version give ErrVersion.
func FromArgs(args []string, environ []string) (*Config, error) {
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
	if err := checkCommandArg(command); err != nil {
		return nil, err
	}
	// Flag errors are reported alone: validating the rest would only echo
	// them ("function-name is required" after "--functon-name is unknown").
	raw, err := parseFlags(args[1:])
	if err != nil {
		return nil, err
	}
	env := envMap(environ)
	getenv := func(k string) string { return env[k] }
	secretsFromEnv(raw, getenv)
	workspace := raw["workspace"]
	if workspace == "" {
		workspace = getenv("GITHUB_WORKSPACE")
	}
	return build(Command(command), inputs{raw: raw, workspace: workspace, getenv: getenv})
}

func checkCommandArg(command string) error {
	if strings.HasPrefix(command, "-") {
		return &InputError{Input: "command", Msg: "is missing before " + quote(command) +
			" (start with one of " + commandList(false) + ", e.g. wxcloud-deploy deploy --function-name login)"}
	}
	if validCommand(Command(command), false) {
		return nil
	}
	msg := "is not a command (use one of " + commandList(false) + ", help or version)"
	if s := suggest(command, commandNames(false)); s != "" {
		msg = "is not a command (did you mean " + s + "? use one of " + commandList(false) + ")"
	}
	return &InputError{Input: "command", Value: command, Msg: msg}
}

// secretsFromEnv fills secret inputs the flags left empty from
// WXCLOUD_<NAME>, then from the definition's alias (TENCENTCLOUD_SECRET_KEY).
func secretsFromEnv(raw map[string]string, getenv func(string) string) {
	for _, d := range inputDefs() {
		if !d.secret || d.cliOnly || raw[d.name] != "" {
			continue
		}
		if v := strings.TrimSpace(getenv(EnvName(d.name))); v != "" {
			raw[d.name] = v
		} else if d.envAlias != "" {
			raw[d.name] = strings.TrimSpace(getenv(d.envAlias))
		}
	}
}

// EnvName is the CLI's environment variable for a secret input:
// WXCLOUD_ plus the name upper-cased with - as _.
func EnvName(input string) string {
	return "WXCLOUD_" + strings.ToUpper(strings.ReplaceAll(input, "-", "_"))
}

// Getenv reads a process environment given as KEY=VALUE strings.
func Getenv(environ []string) func(string) string {
	m := envMap(environ)
	return func(k string) string { return m[k] }
}

func envMap(environ []string) map[string]string {
	m := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			m[k] = v
		}
	}
	return m
}

// UnknownInputs warns about INPUT_* variables no input reads: a typo in a
// workflow's with: is otherwise silently ignored. The caller shows them
// whether or not the inputs were valid: the typo may be why they are not.
func UnknownInputs(environ []string) []string {
	known := map[string]bool{}
	var names []string
	for _, d := range inputDefs() {
		if !d.cliOnly {
			known[inputEnvName(d.name)] = true
			names = append(names, d.name)
		}
	}
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if !strings.HasPrefix(k, "INPUT_") || known[k] {
			continue
		}
		name := strings.ToLower(strings.TrimPrefix(k, "INPUT_"))
		msg := "input " + quote(name) + " is not an input of wxcloud-deploy and was ignored"
		if s := suggest(name, names); s != "" {
			msg += " (did you mean " + s + "?)"
		}
		out = append(out, msg)
	}
	return out
}

func commandNames(action bool) []string {
	var out []string
	for _, c := range commandHelp {
		if action && c.name == Emulate {
			continue
		}
		out = append(out, string(c.name))
	}
	return out
}

func commandList(action bool) string {
	return strings.Join(commandNames(action), ", ")
}

func validCommand(c Command, action bool) bool {
	for _, n := range commandNames(action) {
		if Command(n) == c {
			return true
		}
	}
	return false
}
