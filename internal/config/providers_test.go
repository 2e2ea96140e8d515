package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
)

const (
	secretKey     = "SECRETkey-9a8b7c"
	secretSession = "SECRETsession-1d2e"
)

// tcInputs is a tencentcloud deploy with a key pair.
func tcInputs() map[string]string {
	return map[string]string{
		"function-name": "login",
		"path":          "fn",
		"envs":          "dev-1",
		"secret-id":     "AKIDexample",
		"secret-key":    secretKey,
	}
}

// writeFile writes name under dir, creating folders.
func writeFile(t *testing.T, dir, name, content string) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestProviderBadInputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		command string
		base    map[string]string
		set     map[string]string
		unset   []string
		files   map[string]string // written into the workspace
		env     map[string]string
		input   string
		frag    string
	}{
		{name: "provider typo", base: tcInputs(), set: map[string]string{"provider": "tencent"}, input: "provider", frag: "did you mean tencentcloud"},
		{name: "secret-id without key", base: tcInputs(), unset: []string{"secret-key"}, input: "secret-key", frag: "is required when secret-id is set"},
		{name: "explicit tencentcloud without credentials", base: baseInputs(), set: map[string]string{"provider": "tencentcloud"}, unset: []string{"access-token", "component-access-token"}, input: "secret-id", frag: "keyless role-arn"},
		{name: "wechat token on tencentcloud", base: tcInputs(), set: map[string]string{"access-token": secretToken}, input: "access-token", frag: "not used by the tencentcloud provider"},
		{name: "keys on wechat", base: baseInputs(), set: map[string]string{"provider": "wechat", "secret-key": secretKey}, input: "secret-key", frag: "not used by the wechat provider"},
		{name: "keys and role", base: tcInputs(), set: map[string]string{"role-arn": "qcs::cam::uin/100:roleName/deploy", "oidc-provider-id": "github"}, input: "role-arn", frag: "not both"},
		{name: "role without id-token permission", base: tcInputs(), unset: []string{"secret-id", "secret-key"}, set: map[string]string{"role-arn": "qcs::cam::uin/100:roleName/deploy", "oidc-provider-id": "github"}, input: "role-arn", frag: "id-token: write"},
		{name: "role malformed", base: tcInputs(), unset: []string{"secret-id", "secret-key"}, set: map[string]string{"role-arn": "arn:aws:iam::1:role/x", "oidc-provider-id": "github"},
			env: map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "https://x", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}, input: "role-arn", frag: "is not a CAM role ARN"},
		{name: "role without provider id", base: tcInputs(), unset: []string{"secret-id", "secret-key"}, set: map[string]string{"role-arn": "qcs::cam::uin/100:roleName/deploy"},
			env: map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "https://x", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "t"}, input: "oidc-provider-id", frag: "is required with role-arn"},
		{name: "session token without keys", base: baseInputs(), set: map[string]string{"provider": "tencentcloud", "session-token": secretSession}, unset: []string{"access-token", "component-access-token"}, input: "secret-id", frag: "is required for the tencentcloud provider"},
		{name: "api url with path", base: tcInputs(), set: map[string]string{"tencentcloud-api-url": "https://proxy.example.com/scf"}, input: "tencentcloud-api-url", frag: "without a path"},
		{name: "region garbage", base: tcInputs(), set: map[string]string{"region": "Shanghai"}, input: "region", frag: "is not a Tencent Cloud region"},
		{name: "runtime unknown", base: tcInputs(), set: map[string]string{"runtime": "Python3.9"}, input: "runtime", frag: "is not a Node.js runtime"},
		{name: "handler malformed", base: tcInputs(), set: map[string]string{"handler": "main"}, input: "handler", frag: "is not file.function"},
		{name: "function-timeout 0", base: tcInputs(), set: map[string]string{"function-timeout": "0"}, input: "function-timeout", frag: "out of range (use 1 to 900)"},
		{name: "memory 100", base: tcInputs(), set: map[string]string{"memory": "100"}, input: "memory", frag: "64, or 128 to 3072 in steps of 128"},
		{name: "env-vars without equals", base: tcInputs(), set: map[string]string{"env-vars": "NOEQUALS"}, input: "env-vars", frag: "(line 1) has no '='"},
		{name: "env-vars bad key", base: tcInputs(), set: map[string]string{"env-vars": "1X=" + secretToken}, input: "env-vars", frag: `"1X" (line 1) is not a variable name`},
		{name: "env-vars too long, value not echoed", base: tcInputs(), set: map[string]string{"env-vars": "A=" + strings.Repeat("x", 4100)}, input: "env-vars", frag: "env-vars: is too long"},
		{name: "env-vars with config.json too large", base: tcInputs(), set: map[string]string{"env-vars": "A=" + strings.Repeat("x", 2500)},
			files: map[string]string{"fn/config.json": `{"envVariables":{"B":"` + strings.Repeat("y", 2000) + `"}}`}, input: "env-vars", frag: "passes the vendor's 4096-byte limit"},
		{name: "settings on wechat", base: baseInputs(), set: map[string]string{"function-timeout": "20"}, input: "function-timeout", frag: "WeChat's batch API sets code only"},
		{name: "six-field cron", base: tcInputs(), files: map[string]string{"fn/config.json": `{"triggers":[{"name":"nightly","type":"timer","config":"0 0 2 * * *"}]}`}, input: "config.json of login", frag: "has 6 fields, want 7"},
		{name: "config.json not JSON", base: tcInputs(), files: map[string]string{"fn/config.json": `{"triggers":`}, input: "config.json of login", frag: "is not valid JSON"},
		{name: "config.json memory", base: tcInputs(), files: map[string]string{"fn/config.json": `{"memorySize":100}`}, input: "config.json of login", frag: "memorySize 100"},
		{name: "trigger not timer", base: tcInputs(), files: map[string]string{"fn/config.json": `{"triggers":[{"name":"t","type":"cos","config":"x"}]}`}, input: "config.json of login", frag: `type "cos" is not supported`},
		{name: "envs and envs-file", base: tcInputs(), set: map[string]string{"envs-file": "envs.txt"}, files: map[string]string{"envs.txt": "dev-2\n"}, input: "envs-file", frag: "cannot be combined with envs"},
		{name: "envs-file missing", base: tcInputs(), unset: []string{"envs"}, set: map[string]string{"envs-file": "nope.txt"}, input: "envs-file", frag: "cannot be read"},
		{name: "envs-file invalid env", base: tcInputs(), unset: []string{"envs"}, set: map[string]string{"envs-file": "envs.txt"}, files: map[string]string{"envs.txt": "# platform envs\ndev-1\nbad env\n"}, input: "envs-file", frag: `"bad env" (envs.txt line 3) is not a valid env ID`},
		{name: "envs-file duplicate", base: tcInputs(), unset: []string{"envs"}, set: map[string]string{"envs-file": "envs.txt"}, files: map[string]string{"envs.txt": "dev-1\ndev-2 # b\ndev-1\n"}, input: "envs-file", frag: "repeats line 1"},
		{name: "envs-file outside", base: tcInputs(), unset: []string{"envs"}, set: map[string]string{"envs-file": "/etc/hostname"}, input: "envs-file", frag: "outside the workspace"},
		{name: "shard 5/4", base: tcInputs(), set: map[string]string{"shard": "5/4"}, input: "shard", frag: "out of range (I runs from 1 to 4)"},
		{name: "shard 0/4", base: tcInputs(), set: map[string]string{"shard": "0/4"}, input: "shard", frag: "out of range"},
		{name: "shard word", base: tcInputs(), set: map[string]string{"shard": "first"}, input: "shard", frag: "is not I/N"},
		{name: "shards on deploy", base: tcInputs(), set: map[string]string{"shards": "4"}, input: "shards", frag: "is for command: plan"},
		{name: "shards 1", command: "plan", base: tcInputs(), set: map[string]string{"shards": "1"}, input: "shards", frag: "out of range (use 2 to 256)"},
		{name: "merge without files", command: "merge", base: map[string]string{}, input: "results-files", frag: "is required for merge"},
		{name: "max-rps zero", base: tcInputs(), set: map[string]string{"max-rps": "0"}, input: "max-rps", frag: "out of range"},
		{name: "envs-per-call 0", base: baseInputs(), set: map[string]string{"envs-per-call": "0"}, input: "envs-per-call", frag: "out of range"},
		{name: "output outside", command: "pack", base: map[string]string{"function-name": "login", "path": "fn"}, set: map[string]string{"output": "../out.zip"}, input: "output", frag: "outside the workspace"},
		{name: "output through a symlink out", command: "pack", base: map[string]string{"function-name": "login", "path": "fn"}, set: map[string]string{"output": "out/x.zip"}, input: "output", frag: "outside the workspace"},
		{name: "results-file outside", base: tcInputs(), set: map[string]string{"results-file": "/tmp/r.json"}, input: "results-file", frag: "outside the workspace"},
		{name: "invoke-expect out of range", base: tcInputs(), set: map[string]string{"invoke": "true", "invoke-expect": `{"a":1e999}`}, input: "invoke-expect", frag: "out of range"},
		{name: "invoke-data out of range", base: tcInputs(), set: map[string]string{"invoke-data": `{"a":1e999}`}, input: "invoke-data", frag: "out of range"},
	}
	for _, tc := range tests {
		for door, from := range frontDoors {
			t.Run(door+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ws := newWorkspace(t)
				if err := os.Symlink(t.TempDir(), filepath.Join(ws, "out")); err != nil {
					t.Fatal(err)
				}
				for name, content := range tc.files {
					writeFile(t, ws, name, content)
				}
				env := map[string]string{"GITHUB_WORKSPACE": ws}
				for k, v := range tc.env {
					env[k] = v
				}
				_, err := from(t, tc.command, merge(tc.base, tc.set, tc.unset), env)
				if err == nil {
					t.Fatal("no error")
				}
				var found bool
				for _, ie := range inputErrors(t, err) {
					if ie.Input == tc.input && strings.Contains(ie.Error(), tc.frag) {
						found = true
					}
				}
				if !found {
					t.Errorf("want an error for input %q containing %q; got:\n%v", tc.input, tc.frag, err)
				}
				assertNoSecrets(t, err.Error())
			})
		}
	}
}

func TestProviderGoodInputs(t *testing.T) {
	t.Parallel()
	oidcEnv := map[string]string{"ACTIONS_ID_TOKEN_REQUEST_URL": "https://pipelines.example/token?x=1", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "req-token-123456"}
	tests := []struct {
		name    string
		command string
		inputs  map[string]string
		files   map[string]string
		env     map[string]string
		check   func(t *testing.T, c *Config)
	}{
		{name: "auto picks tencentcloud for keys", inputs: tcInputs(), check: func(t *testing.T, c *Config) {
			wantEq(t, "provider", c.Provider, ProviderTencentCloud)
			wantEq(t, "key", c.TencentCloud.SecretKey, secretKey)
		}},
		{name: "keyless", inputs: merge(tcInputs(), map[string]string{"role-arn": "qcs::cam::uin/100012345:roleName/gh-deploy", "oidc-provider-id": "github"}, []string{"secret-id", "secret-key"}), env: oidcEnv,
			check: func(t *testing.T, c *Config) {
				wantEq(t, "provider", c.Provider, ProviderTencentCloud)
				wantEq(t, "keyless", c.TencentCloud.Keyless(), true)
				wantEq(t, "request", c.TencentCloud.OIDCRequestURL, oidcEnv["ACTIONS_ID_TOKEN_REQUEST_URL"])
				if !contains(c.Secrets(), "req-token-123456") {
					t.Error("the OIDC request token is not a secret")
				}
			}},
		{name: "settings: inputs win over config.json", inputs: merge(tcInputs(), map[string]string{"function-timeout": "20", "memory": "512", "env-vars": "API_KEY=k-123456789\nMODE=prod", "prune-triggers": "true"}, nil),
			files: map[string]string{"fn/config.json": `{"permissions":{"openapi":[]},"timeout":5,"memorySize":256,"envVariables":{"MODE":"dev","REGION":"sh"},"triggers":[{"name":"nightly","type":"timer","config":"0  0 2 * * * *"}]}`},
			check: func(t *testing.T, c *Config) {
				s := c.Targets[0].Settings
				wantEq(t, "timeout", *s.Timeout, 20)
				wantEq(t, "memory", *s.MemorySize, 512)
				wantEq(t, "env", s.EnvVars, map[string]string{"API_KEY": "k-123456789", "MODE": "prod", "REGION": "sh"})
				wantEq(t, "triggers", s.Triggers, []backend.Trigger{{Name: "nightly", Type: "timer", Config: "0 0 2 * * * *"}})
				wantEq(t, "prune", s.PruneTriggers, true)
				if !contains(c.Secrets(), "k-123456789") || contains(c.Secrets(), "prod") {
					t.Errorf("secrets %q: want the API_KEY value only", c.Secrets())
				}
			}},
		{name: "env-vars-secret masks every value", inputs: merge(tcInputs(), map[string]string{"env-vars": "MODE=production", "env-vars-secret": "true"}, nil),
			check: func(t *testing.T, c *Config) {
				if !contains(c.Secrets(), "production") {
					t.Error("env-vars-secret did not make the value a secret")
				}
			}},
		{name: "wechat config.json triggers warn", inputs: baseInputs(), files: map[string]string{"fn/config.json": `{"triggers":[{"name":"n","type":"timer","config":"0 0 2 * * * *"}]}`},
			check: func(t *testing.T, c *Config) {
				if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "1 trigger(s) that the wechat provider does not apply") {
					t.Errorf("warnings = %q", c.Warnings)
				}
			}},
		{name: "envs-file", inputs: merge(tcInputs(), map[string]string{"envs-file": "platform/envs.txt"}, []string{"envs"}),
			files: map[string]string{"platform/envs.txt": "\xef\xbb\xbf# managed envs\r\ndev-1\r\n\r\nprod-2  # the big one\r\n"},
			check: func(t *testing.T, c *Config) { wantEq(t, "envs", c.Envs, []string{"dev-1", "prod-2"}) }},
		{name: "plan with shards", command: "plan", inputs: merge(tcInputs(), map[string]string{"shards": "4"}, nil),
			check: func(t *testing.T, c *Config) { wantEq(t, "shards", c.Shards, 4) }},
		{name: "shard", inputs: merge(tcInputs(), map[string]string{"shard": "2/4", "results-file": "results/r.json"}, nil),
			check: func(t *testing.T, c *Config) {
				wantEq(t, "shard", c.Shard.String(), "2/4")
				wantEq(t, "results-file", c.ResultsFile, filepath.Join(c.Workspace, "results/r.json"))
			}},
		{name: "merge", command: "merge", inputs: map[string]string{"results-files": "results/*.json"},
			check: func(t *testing.T, c *Config) {
				wantEq(t, "globs", c.ResultsFiles.Strings(), []string{"results/*.json"})
			}},
		{name: "pack --path names the function after the folder", command: "pack", inputs: map[string]string{"path": "fn"},
			check: func(t *testing.T, c *Config) { wantEq(t, "name", c.FunctionName(), "fn") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := newWorkspace(t)
			for name, content := range tc.files {
				writeFile(t, ws, name, content)
			}
			env := map[string]string{"GITHUB_WORKSPACE": ws}
			for k, v := range tc.env {
				env[k] = v
			}
			a, err := viaAction(t, tc.command, tc.inputs, env)
			if err != nil {
				t.Fatalf("action: %v", err)
			}
			c, err := viaArgs(t, tc.command, tc.inputs, env)
			if err != nil {
				t.Fatalf("cli: %v", err)
			}
			tc.check(t, a)
			tc.check(t, c)
			c.ActionMode, c.Listen = true, ""
			if !reflect.DeepEqual(a, c) {
				t.Errorf("action and CLI configs differ:\naction %+v\ncli    %+v", a, c)
			}
		})
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// In CLI mode a secret need not be a flag: WXCLOUD_<NAME>, then the Tencent
// Cloud SDKs' own variables.
func TestSecretsFromEnvironment(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	env := []string{"GITHUB_WORKSPACE=" + ws, "TENCENTCLOUD_SECRET_ID=AKIDfromsdk", "TENCENTCLOUD_SECRET_KEY=sdk-key-123456", "WXCLOUD_SECRET_KEY=" + secretKey}
	c, err := FromArgs([]string{"deploy", "--function-name", "login", "--path", "fn", "--envs", "dev-1"}, env)
	if err != nil {
		t.Fatal(err)
	}
	// A key in the environment counts as given: auto picks tencentcloud.
	wantEq(t, "provider", c.Provider, ProviderTencentCloud)
	c, err = FromArgs([]string{"deploy", "--provider", "tencentcloud", "--function-name", "login", "--path", "fn", "--envs", "dev-1"}, env)
	if err != nil {
		t.Fatal(err)
	}
	wantEq(t, "id", c.TencentCloud.SecretID, "AKIDfromsdk")
	wantEq(t, "key (WXCLOUD_ wins)", c.TencentCloud.SecretKey, secretKey)
	raw := RawSecrets(nil, env)
	for _, want := range []string{"AKIDfromsdk", "sdk-key-123456", secretKey} {
		if !contains(raw, want) {
			t.Errorf("RawSecrets lacks %q", want)
		}
	}
}

func TestUnknownInputs(t *testing.T) {
	t.Parallel()
	got := UnknownInputs([]string{"INPUT_FUNCTON-NAME=x", "INPUT_ENVS=a", "INPUT_SECRETKEY=y", "PATH=/bin"})
	want := []string{
		`input "functon-name" is not an input of wxcloud-deploy and was ignored (did you mean function-name?)`,
		`input "secretkey" is not an input of wxcloud-deploy and was ignored (did you mean secret-key?)`,
	}
	wantEq(t, "warnings", got, want)
}
