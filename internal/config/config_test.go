package config

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

// Recognisable secret values: no error text may contain them.
const (
	secretToken     = "SECRETtoken-4f9a"
	secretComponent = "SECRETcomponent-77c1"
	secretApp       = "SECRETapp-91be"
	secretCompApp   = "SECRETcompapp-02dd"
	secretTicket    = "SECRETticket-5e30"
	secretGitHub    = "SECRETgithub-ab12"
)

// newWorkspace makes a workspace holding one function directory "fn" and a
// plain file "file.txt".
func newWorkspace(t *testing.T) string {
	t.Helper()
	ws := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "fn"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"fn/index.js", "file.txt"} {
		if err := os.WriteFile(filepath.Join(ws, f), []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return ws
}

// frontDoor runs the same inputs through FromAction or FromArgs.
type frontDoor func(t *testing.T, command string, inputs map[string]string, env map[string]string) (*Config, error)

func viaAction(t *testing.T, command string, inputs map[string]string, env map[string]string) (*Config, error) {
	t.Helper()
	vars := map[string]string{}
	for k, v := range env {
		vars[k] = v
	}
	if command != "" {
		vars["INPUT_COMMAND"] = command
	}
	for k, v := range inputs {
		vars["INPUT_"+strings.ToUpper(k)] = v
	}
	return FromAction(environ(vars))
}

func viaArgs(t *testing.T, command string, inputs map[string]string, env map[string]string) (*Config, error) {
	t.Helper()
	if command == "" {
		command = "deploy"
	}
	args := []string{command}
	keys := make([]string, 0, len(inputs))
	for k := range inputs {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		args = append(args, "--"+k+"="+inputs[k])
	}
	return FromArgs(args, environ(env))
}

// environ turns a map into a process environment.
func environ(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k, v := range m {
		out = append(out, k+"="+v)
	}
	sort.Strings(out)
	return out
}

var frontDoors = map[string]frontDoor{"action": viaAction, "cli": viaArgs}

func baseInputs() map[string]string {
	return map[string]string{
		"function-name": "login",
		"path":          "fn",
		"envs":          "dev-1",
		"access-token":  secretToken,
		// A WeChat deploy is a third-party platform's: the batch calls take
		// the component token.
		"component-access-token": secretComponent,
	}
}

func merge(base, set map[string]string, unset []string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range set {
		out[k] = v
	}
	for _, k := range unset {
		delete(out, k)
	}
	return out
}

// inputErrors flattens err into its *InputErrors, failing on anything else.
func inputErrors(t *testing.T, err error) []*InputError {
	t.Helper()
	switch e := err.(type) {
	case *InputError:
		return []*InputError{e}
	case Errors:
		if len(e) < 2 {
			t.Errorf("Errors with %d element(s): a single error should be a bare *InputError", len(e))
		}
		return e
	}
	t.Fatalf("error %T %v: want *InputError or Errors", err, err)
	return nil
}

func TestBadInputs(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("a", 5000)
	tests := []struct {
		name    string
		command string
		set     map[string]string
		unset   []string
		only    string // "action" or "cli" when the case exists for one front door
		input   string
		frag    string
	}{
		{name: "unknown command", command: "deploi", input: "command", frag: "is not a command"},
		{name: "emulate in action", command: "emulate", only: "action", input: "command", frag: "CLI-only"},
		{name: "function name starts with digit", set: map[string]string{"function-name": "1login"}, input: "function-name", frag: "not a valid function name"},
		{name: "function name too short", set: map[string]string{"function-name": "a"}, input: "function-name", frag: "2-60 characters"},
		{name: "function name 61 chars", set: map[string]string{"function-name": "a" + strings.Repeat("b", 60)}, input: "function-name", frag: "not a valid function name"},
		{name: "function name ends with dash", set: map[string]string{"function-name": "login-"}, input: "function-name", frag: "ending with a letter or digit"},
		{name: "function name with space", set: map[string]string{"function-name": "log in"}, input: "function-name", frag: `"log in" is not a valid`},
		{name: "function name with newline", set: map[string]string{"function-name": "log\nin"}, input: "function-name", frag: `"log\nin" must be one line`},
		{name: "function name with NUL", set: map[string]string{"function-name": "log\x00in"}, input: "function-name", frag: `"log\x00in" contains a NUL byte`},
		{name: "function name not UTF-8", set: map[string]string{"function-name": "log\xffin"}, input: "function-name", frag: `"log\xffin" is not valid UTF-8`},
		{name: "function name very long", set: map[string]string{"function-name": long}, input: "function-name", frag: `... (5000 bytes) is too long`},
		{name: "function-name and functions", set: map[string]string{"functions": "cloudfunctions/*"}, input: "functions", frag: "cannot be combined with function-name"},
		{name: "deploy with no target", unset: []string{"function-name"}, input: "function-name", frag: "is required for deploy"},
		{name: "pack with no target", command: "pack", unset: []string{"function-name", "path", "envs", "access-token", "component-access-token"}, input: "function-name", frag: "is required for pack"},
		{name: "pack path named after a bad folder", command: "pack", unset: []string{"function-name", "envs", "access-token", "component-access-token"}, set: map[string]string{"path": "1bad"}, input: "function-name", frag: `folder name "1bad"`},
		{name: "create with functions", command: "create", unset: []string{"function-name"}, set: map[string]string{"functions": "fn"}, input: "functions", frag: "not supported by create"},
		{name: "invoke without function", command: "invoke", unset: []string{"function-name"}, input: "function-name", frag: "is required for invoke"},
		{name: "download without function", command: "download", unset: []string{"function-name"}, set: map[string]string{"output": "x.zip"}, input: "function-name", frag: "is required for download"},
		{name: "path outside workspace", set: map[string]string{"path": "../x"}, input: "path", frag: `"../x" is outside the workspace`},
		{name: "absolute path outside workspace", set: map[string]string{"path": "/"}, input: "path", frag: "is outside the workspace"},
		{name: "path missing", set: map[string]string{"path": "nope"}, input: "path", frag: `"nope" does not exist`},
		{name: "path is a file", set: map[string]string{"path": "file.txt"}, input: "path", frag: "is not a directory"},
		{name: "path symlink escapes", set: map[string]string{"path": "escape"}, input: "path", frag: "is outside the workspace"},
		{name: "files bad glob", set: map[string]string{"files": "src/**\n[abc"}, input: "files", frag: `"[abc" (line 2)`},
		{name: "functions bad glob", unset: []string{"function-name"}, set: map[string]string{"functions": "{a,b"}, input: "functions", frag: `"{a,b" (line 1)`},
		{name: "functions leave workspace", unset: []string{"function-name"}, set: map[string]string{"functions": "fn\n../*"}, input: "functions", frag: `"../*" (line 2)`},
		{name: "functions absolute outside", unset: []string{"function-name"}, set: map[string]string{"functions": "/etc/*"}, input: "functions", frag: "leaves the workspace"},
		{name: "envs missing", unset: []string{"envs"}, input: "envs", frag: "is required for deploy"},
		{name: "envs only separators", set: map[string]string{"envs": " ,\n, "}, input: "envs", frag: "is required for deploy"},
		{name: "env with space", set: map[string]string{"envs": "dev 1"}, input: "envs", frag: `"dev 1" is not a valid env ID (letters, digits and '-' only`},
		{name: "env with underscore", set: map[string]string{"envs": "dev_1"}, input: "envs", frag: "is not a valid env ID"},
		{name: "env too long", set: map[string]string{"envs": strings.Repeat("e", 65)}, input: "envs", frag: "at most 64"},
		{name: "env duplicate", set: map[string]string{"envs": "dev-1,prod-2\ndev-1"}, input: "envs", frag: `"dev-1" is listed more than once`},
		{name: "envs not UTF-8", set: map[string]string{"envs": "dev-\xc3"}, input: "envs", frag: "is not valid UTF-8"},
		{name: "mode unknown", set: map[string]string{"mode": "fast"}, input: "mode", frag: `"fast" is not a mode (use auto, create or update)`},
		{name: "comment unknown", set: map[string]string{"comment": "sometimes"}, input: "comment", frag: "use auto, always or never"},
		{name: "skip-unchanged yes", set: map[string]string{"skip-unchanged": "yes"}, input: "skip-unchanged", frag: `"yes" is not a boolean (use true or false)`},
		{name: "dry-run 1", set: map[string]string{"dry-run": "1"}, input: "dry-run", frag: "is not a boolean"},
		{name: "invoke on", set: map[string]string{"invoke": "on"}, input: "invoke", frag: "is not a boolean"},
		{name: "rollback tRUE", set: map[string]string{"rollback-on-failure": "tRUE"}, input: "rollback-on-failure", frag: "is not a boolean"},
		{name: "summary t", set: map[string]string{"summary": "t"}, input: "summary", frag: "is not a boolean"},
		{name: "size-limit negative", set: map[string]string{"size-limit": "-1"}, input: "size-limit", frag: "must be greater than zero"},
		{name: "size-limit zero", set: map[string]string{"size-limit": "0MiB"}, input: "size-limit", frag: "must be greater than zero"},
		{name: "size-limit garbage", set: map[string]string{"size-limit": "big"}, input: "size-limit", frag: "is not a size"},
		{name: "size-limit ambiguous", set: map[string]string{"size-limit": "20M"}, input: "size-limit", frag: "ambiguous unit"},
		{name: "size-limit above 1GiB", set: map[string]string{"size-limit": "2GiB"}, input: "size-limit", frag: "larger than 1GiB"},
		{name: "size-limit overflow", set: map[string]string{"size-limit": "99999999999999999999"}, input: "size-limit", frag: "is too large"},
		{name: "invoke-data not JSON", set: map[string]string{"invoke-data": "{name: ci}"}, input: "invoke-data", frag: "is not valid JSON"},
		{name: "invoke-data array", set: map[string]string{"invoke-data": "[1]"}, input: "invoke-data", frag: "is not a JSON object"},
		{name: "invoke-data string", set: map[string]string{"invoke-data": `"x"`}, input: "invoke-data", frag: "is not a JSON object"},
		{name: "invoke-expect bare word", set: map[string]string{"invoke-expect": "ok"}, input: "invoke-expect", frag: `"\"ok\""`},
		{name: "invoke-expect bad regexp", set: map[string]string{"invoke-expect": "/(/"}, input: "invoke-expect", frag: "is not a valid regexp"},
		{name: "invoke-expect empty regexp", set: map[string]string{"invoke-expect": "//"}, input: "invoke-expect", frag: "empty regexp"},
		{name: "concurrency zero", set: map[string]string{"concurrency": "0"}, input: "concurrency", frag: `"0" is out of range (use 1 to 64)`},
		{name: "concurrency 65", set: map[string]string{"concurrency": "65"}, input: "concurrency", frag: "out of range"},
		{name: "concurrency word", set: map[string]string{"concurrency": "four"}, input: "concurrency", frag: "is not a whole number"},
		{name: "concurrency overflow", set: map[string]string{"concurrency": "99999999999999999999999"}, input: "concurrency", frag: "out of range"},
		{name: "retries negative", set: map[string]string{"retries": "-1"}, input: "retries", frag: "use 0 to 10"},
		{name: "retries 11", set: map[string]string{"retries": "11"}, input: "retries", frag: "out of range"},
		{name: "timeout zero", set: map[string]string{"timeout": "0"}, input: "timeout", frag: "must be greater than zero"},
		{name: "timeout negative", set: map[string]string{"timeout": "-5s"}, input: "timeout", frag: "must be greater than zero"},
		{name: "timeout too long", set: map[string]string{"timeout": "31m"}, input: "timeout", frag: "at most 30m"},
		{name: "timeout seconds too long", set: map[string]string{"timeout": "1801"}, input: "timeout", frag: "at most 30m"},
		{name: "timeout overflow", set: map[string]string{"timeout": "99999999999999999999"}, input: "timeout", frag: "at most 30m"},
		{name: "timeout garbage", set: map[string]string{"timeout": "soon"}, input: "timeout", frag: "is not a duration"},
		{name: "api-base-url no scheme", set: map[string]string{"api-base-url": "api.weixin.qq.com"}, input: "api-base-url", frag: "is not an absolute URL"},
		{name: "api-base-url ftp", set: map[string]string{"api-base-url": "ftp://example.com"}, input: "api-base-url", frag: "must use https"},
		{name: "api-base-url query", set: map[string]string{"api-base-url": "https://example.com/?a=1"}, input: "api-base-url", frag: "must not have a query"},
		{name: "api-base-url fragment", set: map[string]string{"api-base-url": "https://example.com/#x"}, input: "api-base-url", frag: "must not have a fragment"},
		{name: "api-base-url credentials", set: map[string]string{"api-base-url": "https://user:pw-hidden@example.com"}, input: "api-base-url", frag: "must not contain user:password@"},
		{name: "entry absolute", set: map[string]string{"entry": "/index.js"}, input: "entry", frag: "clean relative path"},
		{name: "entry escapes", set: map[string]string{"entry": "../index.js"}, input: "entry", frag: "clean relative path"},
		{name: "entry backslash", set: map[string]string{"entry": `src\index.js`}, input: "entry", frag: "clean relative path"},
		{name: "download without output", command: "download", input: "output", frag: "download needs --output FILE"},
		{name: "no credentials", unset: []string{"access-token", "component-access-token"}, input: "component-access-token", frag: "third-party platform APIs"},
		{name: "wechat deploy with only an access token", unset: []string{"component-access-token"}, input: "component-access-token", frag: "provider: tencentcloud with secret-id + secret-key"},
		{name: "wechat deploy with only appid and secret", unset: []string{"component-access-token", "access-token"}, set: map[string]string{"appid": "wx1", "app-secret": secretApp}, input: "component-access-token", frag: "keyless role-arn"},
		{name: "appid without secret", unset: []string{"access-token"}, set: map[string]string{"appid": "wx123"}, input: "app-secret", frag: "is required when appid is set"},
		{name: "secret without appid", set: map[string]string{"app-secret": secretApp}, input: "appid", frag: "is required when app-secret is set"},
		{name: "partial component triple", set: map[string]string{"component-appid": "wxc", "component-appsecret": secretCompApp}, input: "component-verify-ticket", frag: "needs all three"},
		{name: "subnet without vpc", set: map[string]string{"subnet-id": "subnet-1"}, input: "vpc-id", frag: "required when subnet-id is set"},
		{name: "token with newline", set: map[string]string{"access-token": secretToken + "\nmore"}, input: "access-token", frag: "access-token: must be one line"},
		{name: "token too long", set: map[string]string{"access-token": secretToken + long}, input: "access-token", frag: "access-token: is too long"},
		{name: "github token not UTF-8", set: map[string]string{"github-token": secretGitHub + "\xff"}, input: "github-token", frag: "github-token: is not valid UTF-8"},
		{name: "workspace missing", set: map[string]string{}, input: "GITHUB_WORKSPACE", only: "action", frag: "is not a directory"},
	}
	for _, tc := range tests {
		for door, from := range frontDoors {
			if tc.only != "" && tc.only != door {
				continue
			}
			t.Run(door+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				ws := newWorkspace(t)
				if err := os.Symlink(t.TempDir(), filepath.Join(ws, "escape")); err != nil {
					t.Fatal(err)
				}
				env := map[string]string{"GITHUB_WORKSPACE": ws}
				if tc.name == "workspace missing" {
					env["GITHUB_WORKSPACE"] = filepath.Join(ws, "missing")
				}
				cfg, err := from(t, tc.command, merge(baseInputs(), tc.set, tc.unset), env)
				if err == nil {
					t.Fatalf("no error; config %+v", cfg)
				}
				if cfg != nil {
					t.Errorf("config returned alongside an error")
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

func assertNoSecrets(t *testing.T, s string) {
	t.Helper()
	if strings.Contains(s, "SECRET") || strings.Contains(s, "pw-hidden") {
		t.Errorf("a secret leaked into %q", s)
	}
}

// CLI-only syntax: flags, positional arguments, help.
func TestFromArgsErrors(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	getenv := []string{"GITHUB_WORKSPACE=" + ws}
	base := []string{"--function-name", "login", "--path", "fn", "--envs", "dev-1", "--access-token", secretToken, "--component-access-token", secretComponent}
	tests := []struct {
		name  string
		args  []string
		input string
		frag  string
	}{
		{"no arguments", nil, "command", "is missing"},
		{"flag before command", []string{"--envs", "x"}, "command", `missing before "--envs"`},
		{"command typo", []string{"deplyo"}, "command", "did you mean deploy?"},
		{"unknown flag typo", append([]string{"deploy", "--functon-name", "x"}, base[2:]...), "--functon-name", "did you mean --function-name?"},
		{"underscore spelling", append([]string{"deploy", "--dry_run"}, base...), "--dry_run", "did you mean --dry-run?"},
		{"unknown flag prefix", append([]string{"deploy", "--concur=3"}, base...), "--concur", "did you mean --concurrency?"},
		{"unknown flag swallows its value", append([]string{"deploy", "--acess-token", secretApp}, base...), "--acess-token", "did you mean --access-token?"},
		{"unknown flag far", append([]string{"deploy", "--zzzzzzzzzz"}, base...), "--zzzzzzzzzz", "see wxcloud-deploy help"},
		{"unknown flag odd bytes", append([]string{"deploy", "--a\xffb"}, base...), "flags", `"--a\xffb" is not a known flag`},
		{"command as flag", append([]string{"deploy", "--command", "pack"}, base...), "--command", "the command is the first argument"},
		{"positional", append([]string{"deploy", "extra"}, base...), "arguments", `"extra" is not a flag`},
		{"after double dash", append(append([]string{"deploy"}, base...), "--", "x"), "arguments", `"x" is not a flag`},
		{"missing value at end", []string{"deploy", "--envs"}, "envs", "needs a value"},
		{"missing value before flag", append([]string{"deploy", "--path", "--dry-run"}, base[:2]...), "path", "needs a value"},
		{"repeated single flag", append([]string{"deploy", "--mode", "auto", "--mode", "update"}, base...), "mode", "more than once"},
		{"bool flag bad value", append([]string{"deploy", "--invoke=maybe"}, base...), "invoke", `"maybe" is not a boolean`},
		{"listen without emulator", append([]string{"deploy", "--listen", "127.0.0.1:1"}, base...), "listen", "only for emulate"},
		{"token without emulator", append([]string{"deploy", "--token", "t0k3n"}, base...), "token", "only for emulate"},
		{"listen malformed", []string{"emulate", "--listen", "localhost"}, "listen", "not a host:port"},
		{"listen port too big", []string{"emulate", "--listen", "127.0.0.1:70000"}, "listen", "not a host:port"},
		{"workspace missing", append([]string{"deploy", "--workspace", filepath.Join(ws, "nope")}, base...), "workspace", "is not a directory"},
		{"emulate bad envs", []string{"emulate", "--envs", "a b"}, "envs", "not a valid env ID"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := FromArgs(tc.args, getenv)
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

func TestFromArgsHelpVersion(t *testing.T) {
	t.Parallel()
	tests := []struct {
		args []string
		want error
	}{
		{[]string{"help"}, ErrHelp},
		{[]string{"-h"}, ErrHelp},
		{[]string{"--help"}, ErrHelp},
		{[]string{"deploy", "--envs", "x", "-h"}, ErrHelp},
		{[]string{"pack", "--help"}, ErrHelp},
		{[]string{"version"}, ErrVersion},
		{[]string{"--version"}, ErrVersion},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			t.Parallel()
			_, err := FromArgs(tc.args, nil)
			if !errors.Is(err, tc.want) {
				t.Errorf("got %v, want %v", err, tc.want)
			}
		})
	}
}

// Several bad inputs are reported together, each findable with errors.As.
func TestSeveralErrors(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	_, err := viaAction(t, "", merge(baseInputs(), map[string]string{"mode": "x", "concurrency": "0", "envs": "a,a"}, nil),
		map[string]string{"GITHUB_WORKSPACE": ws})
	var es Errors
	if !errors.As(err, &es) {
		t.Fatalf("got %T %v, want Errors", err, err)
	}
	got := map[string]bool{}
	for _, e := range es {
		got[e.Input] = true
	}
	for _, in := range []string{"mode", "concurrency", "envs"} {
		if !got[in] {
			t.Errorf("no error for %s in:\n%v", in, err)
		}
	}
	if n := strings.Count(err.Error(), "\n"); n != len(es)-1 {
		t.Errorf("Error() has %d newlines for %d errors", n, len(es))
	}
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Error("errors.As(*InputError) failed on Errors")
	}
}

// Every secret input, with every other input broken: no message carries a secret.
func TestSecretsNeverInErrors(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	secrets := map[string]string{
		"access-token":            secretToken,
		"component-access-token":  secretComponent,
		"app-secret":              secretApp,
		"component-appsecret":     secretCompApp,
		"component-verify-ticket": secretTicket,
		"github-token":            secretGitHub,
	}
	broken := map[string]string{
		// A token pasted into the wrong inputs is redacted too.
		"function-name": secretToken + "!",
		"envs":          secretApp + "," + secretApp,
		"invoke-data":   secretTicket,
		"mode":          secretGitHub,
		"path":          "../" + secretComponent,
		"api-base-url":  "https://x:" + secretCompApp + "@example.com",
	}
	malformed := map[string]string{
		"access-token":            secretToken + "\nsecond line",
		"app-secret":              secretApp + "\x00",
		"component-verify-ticket": secretTicket + strings.Repeat("x", 5000),
		"github-token":            "\xff" + secretGitHub,
		"function-name":           secretToken + "!",
		"envs":                    secretApp + "," + secretGitHub,
		"invoke-data":             secretToken,
	}
	for door, from := range frontDoors {
		for i, inputs := range []map[string]string{merge(broken, secrets, nil), malformed} {
			t.Run(fmt.Sprint(door, i), func(t *testing.T) {
				t.Parallel()
				cfg, err := from(t, "", inputs, map[string]string{"GITHUB_WORKSPACE": ws})
				if err == nil {
					t.Fatalf("no error: %+v", cfg)
				}
				assertNoSecrets(t, err.Error())
				for _, ie := range inputErrors(t, err) {
					assertNoSecrets(t, ie.Value)
				}
			})
		}
	}
}

func TestSecrets(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	inputs := merge(baseInputs(), map[string]string{
		"component-access-token": secretComponent,
		"appid":                  "wx1", "app-secret": secretApp,
		"component-appid": "wxc", "component-appsecret": secretCompApp, "component-verify-ticket": secretTicket,
		"github-token": secretGitHub,
	}, nil)
	cfg, err := viaAction(t, "", inputs, map[string]string{"GITHUB_WORKSPACE": ws})
	if err != nil {
		t.Fatal(err)
	}
	got := cfg.Secrets()
	sort.Strings(got)
	want := []string{secretApp, secretCompApp, secretComponent, secretGitHub, secretTicket, secretToken}
	sort.Strings(want)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Secrets() = %q, want %q", got, want)
	}
	if s := (&Config{}).Secrets(); len(s) != 0 {
		t.Errorf("empty config Secrets() = %q", s)
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	for door, from := range frontDoors {
		t.Run(door, func(t *testing.T) {
			t.Parallel()
			ws := newWorkspace(t)
			cfg, err := from(t, "", map[string]string{"function-name": "login", "envs": "dev-1", "component-access-token": secretComponent},
				map[string]string{"GITHUB_WORKSPACE": ws})
			if err != nil {
				t.Fatal(err)
			}
			checks := []struct {
				name      string
				got, want any
			}{
				{"command", cfg.Command, Deploy},
				{"provider", cfg.Provider, ProviderWeChat},
				{"targets", cfg.Targets, []Target{{Name: "login", Dir: ws, Shown: "."}}},
				{"files", cfg.Files.Strings(), []string{"**"}},
				{"mode", cfg.Mode, ModeAuto},
				{"skip-unchanged", cfg.SkipUnchanged, true},
				{"dry-run", cfg.DryRun, false},
				{"size-limit", cfg.SizeLimit, int64(20 << 20)},
				{"invoke", cfg.Invoke, false},
				{"invoke-data", string(cfg.InvokeData), "{}"},
				{"invoke-expect", cfg.InvokeExpect.Set(), false},
				{"rollback-on-failure", cfg.RollbackOnFailure, false},
				{"concurrency", cfg.Concurrency, 4},
				{"timeout", cfg.Timeout, 60 * time.Second},
				{"retries", cfg.Retries, 3},
				{"max-rps", cfg.MaxRPS, 20.0},
				{"envs-per-call", cfg.WeChat.EnvsPerCall, 50},
				{"api-base-url", cfg.WeChat.APIBaseURL, "https://api.weixin.qq.com"},
				{"region", cfg.TencentCloud.Region, "ap-shanghai"},
				{"runtime", cfg.TencentCloud.Runtime, "Nodejs18.15"},
				{"handler", cfg.TencentCloud.Handler, "index.main"},
				{"install-dependency", cfg.TencentCloud.InstallDependency, true},
				{"oidc-audience", cfg.TencentCloud.OIDCAudience, "sts.tencentcloudapi.com"},
				{"github-token", cfg.GitHubToken, ""},
				{"comment", cfg.Comment, CommentAuto},
				{"summary", cfg.Summary, true},
				{"entry", cfg.Entry, "index.js"},
				{"output", cfg.Output, ""},
				{"shard", cfg.Shard, Shard{}},
				{"emulator", cfg.Emulator, false},
				{"json", cfg.JSON, false},
				{"action mode", cfg.ActionMode, door == "action"},
				{"workspace", cfg.Workspace, ws},
				// No access token: the probe cannot run, and the run says so.
				{"warnings", len(cfg.Warnings), 1},
			}
			if door == "cli" {
				checks = append(checks, struct {
					name      string
					got, want any
				}{"listen", cfg.Listen, "127.0.0.1:8080"})
			}
			for _, c := range checks {
				if !reflect.DeepEqual(c.got, c.want) {
					t.Errorf("%s = %#v, want %#v", c.name, c.got, c.want)
				}
			}
		})
	}
}

// Every input in the table has exactly the default CONTRACT.md gives it.
func TestContractDefaults(t *testing.T) {
	t.Parallel()
	want := map[string]string{
		"command": "deploy", "function-name": "", "path": ".", "files": "**", "functions": "", "envs": "",
		"mode": "auto", "vpc-id": "", "subnet-id": "", "access-token": "", "component-access-token": "",
		"appid": "", "app-secret": "", "component-appid": "", "component-appsecret": "", "component-verify-ticket": "",
		"skip-unchanged": "true", "dry-run": "false", "size-limit": "20MiB", "invoke": "false", "invoke-data": "{}",
		"invoke-expect": "", "rollback-on-failure": "false", "concurrency": "4", "timeout": "60s", "retries": "3",
		"api-base-url": "https://api.weixin.qq.com", "github-token": "", "comment": "auto", "summary": "true",
		"entry": "index.js", "output": "",
		"provider": "auto", "secret-id": "", "secret-key": "", "session-token": "", "role-arn": "", "oidc-provider-id": "",
		"oidc-audience": "sts.tencentcloudapi.com", "region": "ap-shanghai", "tencentcloud-api-url": "",
		"runtime": "Nodejs18.15", "handler": "index.main", "install-dependency": "true",
		"function-timeout": "", "memory": "", "env-vars": "", "env-vars-secret": "false", "prune-triggers": "false",
		"envs-file": "", "envs-per-call": "50", "max-rps": "20", "shards": "", "shard": "", "results-file": "", "results-files": "",
	}
	got := map[string]string{}
	for _, d := range inputDefs() {
		if !d.cliOnly {
			got[d.name] = d.def
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("action input defaults:\n got %v\nwant %v", got, want)
	}
}

// Good inputs: parsed values, and both front doors agree.
func TestGoodInputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		command string
		inputs  map[string]string
		project string // project.config.json content, if any
		check   func(t *testing.T, c *Config)
	}{
		{name: "envs separators and blanks", inputs: map[string]string{"envs": " dev-1 ,, prod-2\n\nstage-3,"},
			check: func(t *testing.T, c *Config) { wantEq(t, "envs", c.Envs, []string{"dev-1", "prod-2", "stage-3"}) }},
		{name: "sizes and numbers", inputs: map[string]string{"size-limit": "15 MB", "concurrency": "64", "retries": "0", "timeout": "90"},
			check: func(t *testing.T, c *Config) {
				wantEq(t, "size", c.SizeLimit, int64(15_000_000))
				wantEq(t, "concurrency", c.Concurrency, 64)
				wantEq(t, "retries", c.Retries, 0)
				wantEq(t, "timeout", c.Timeout, 90*time.Second)
			}},
		{name: "duration timeout", inputs: map[string]string{"timeout": "1m30s"},
			check: func(t *testing.T, c *Config) { wantEq(t, "timeout", c.Timeout, 90*time.Second) }},
		{name: "booleans", inputs: map[string]string{"skip-unchanged": "FALSE", "dry-run": "True", "invoke": "true", "rollback-on-failure": "true", "summary": "false"},
			check: func(t *testing.T, c *Config) {
				wantEq(t, "bools", []bool{c.SkipUnchanged, c.DryRun, c.Invoke, c.RollbackOnFailure, c.Summary}, []bool{false, true, true, true, false})
				wantEq(t, "warnings", len(c.Warnings), 0)
			}},
		{name: "invoke expect regexp", inputs: map[string]string{"invoke": "true", "invoke-expect": "/^ok$/", "invoke-data": `{"a": [1, 2]}`},
			check: func(t *testing.T, c *Config) {
				if c.InvokeExpect.Check("ok") != nil || c.InvokeExpect.Check("nok") == nil {
					t.Errorf("expectation %v does not behave as /^ok$/", c.InvokeExpect)
				}
				wantEq(t, "data", string(c.InvokeData), `{"a": [1, 2]}`)
			}},
		{name: "invoke expect JSON", inputs: map[string]string{"invoke": "true", "invoke-expect": `{"ok":true}`},
			check: func(t *testing.T, c *Config) {
				wantEq(t, "expect", c.InvokeExpect.String(), `{"ok":true}`)
				if c.InvokeExpect.Check(`{"ok":true,"n":1}`) != nil {
					t.Error("a JSON expectation does not accept a superset")
				}
			}},
		{name: "invoke expect negative number", inputs: map[string]string{"invoke": "true", "invoke-expect": "-1"},
			check: func(t *testing.T, c *Config) { wantEq(t, "expect", c.InvokeExpect.String(), "-1") }},
		{name: "loopback http and trailing slash", inputs: map[string]string{"api-base-url": "http://127.0.0.1:8080/"},
			check: func(t *testing.T, c *Config) { wantEq(t, "url", c.WeChat.APIBaseURL, "http://127.0.0.1:8080") }},
		{name: "plain http to another host is a warning", inputs: map[string]string{"api-base-url": "http://wechat-mock:8080"},
			check: func(t *testing.T, c *Config) {
				wantEq(t, "url", c.WeChat.APIBaseURL, "http://wechat-mock:8080")
				if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "unencrypted") {
					t.Errorf("warnings = %q, want one about plain http", c.Warnings)
				}
			}},
		{name: "localhost and ipv6 loopback", inputs: map[string]string{"api-base-url": "http://[::1]:9/prefix"},
			check: func(t *testing.T, c *Config) { wantEq(t, "url", c.WeChat.APIBaseURL, "http://[::1]:9/prefix") }},
		{name: "functions globs", inputs: map[string]string{"function-name": "", "functions": "*\n\n  !nothing  \n# a comment [x\n"},
			check: func(t *testing.T, c *Config) {
				wantEq(t, "targets", c.Targets, []Target{{Name: "fn", Dir: filepath.Join(c.Workspace, "fn"), Shown: "fn"}})
			}},
		{name: "absolute functions glob inside the workspace", inputs: map[string]string{"function-name": "", "functions": "{{ws}}/*"},
			check: func(t *testing.T, c *Config) { wantEq(t, "target", c.Targets[0].Name, "fn") }},
		{name: "project.config.json", inputs: map[string]string{"function-name": ""}, project: "\xef\xbb\xbf" + `{"cloudfunctionRoot": "./"}`,
			check: func(t *testing.T, c *Config) { wantEq(t, "target", c.Targets[0].Name, "fn") }},
		{name: "path cleaned", inputs: map[string]string{"path": "./fn/"},
			check: func(t *testing.T, c *Config) { wantEq(t, "dir", c.Targets[0].Dir, filepath.Join(c.Workspace, "fn")) }},
		{name: "appid and secret", inputs: map[string]string{"access-token": "", "appid": "wx1", "app-secret": secretApp},
			check: func(t *testing.T, c *Config) { wantEq(t, "appid", c.WeChat.AppID, "wx1") }},
		{name: "component triple", inputs: map[string]string{"component-access-token": "", "component-appid": "wxc", "component-appsecret": secretCompApp, "component-verify-ticket": secretTicket},
			check: func(t *testing.T, c *Config) { wantEq(t, "ticket", c.WeChat.ComponentVerifyTicket, secretTicket) }},
		{name: "vpc", inputs: map[string]string{"vpc-id": "vpc-1", "subnet-id": "subnet-1", "mode": "create"},
			check: func(t *testing.T, c *Config) {
				wantEq(t, "vpc", []string{c.VPCID, c.SubnetID, string(c.Mode)}, []string{"vpc-1", "subnet-1", "create"})
			}},
		{name: "pack needs no envs or credentials", command: "pack", inputs: map[string]string{"envs": "", "access-token": "", "component-access-token": "", "output": "out.zip", "entry": "-"},
			check: func(t *testing.T, c *Config) {
				wantEq(t, "entry", c.Entry, "-")
				wantEq(t, "output", c.Output, filepath.Join(c.Workspace, "out.zip"))
			}},
		{name: "download", command: "download", inputs: map[string]string{"output": "code.zip", "path": "", "envs": "a,b"},
			check: func(t *testing.T, c *Config) { wantEq(t, "command", c.Command, Download) }},
		{name: "create ignores path", command: "create", inputs: map[string]string{"path": "does-not-exist"},
			check: func(t *testing.T, c *Config) { wantEq(t, "command", c.Command, Create) }},
		{name: "warnings", inputs: map[string]string{"invoke-expect": `"ok"`, "rollback-on-failure": "true", "output": "x"},
			check: func(t *testing.T, c *Config) { wantEq(t, "warnings", len(c.Warnings), 3) }},
		{name: "comment and size", inputs: map[string]string{"comment": "never", "size-limit": "1GiB"},
			check: func(t *testing.T, c *Config) {
				wantEq(t, "comment", c.Comment, CommentNever)
				wantEq(t, "size", c.SizeLimit, int64(1<<30))
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ws := newWorkspace(t)
			if tc.project != "" {
				if err := os.WriteFile(filepath.Join(ws, "project.config.json"), []byte(tc.project), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			inputs := merge(baseInputs(), tc.inputs, nil)
			for k, v := range inputs {
				if v == "" {
					delete(inputs, k)
					continue
				}
				inputs[k] = strings.ReplaceAll(v, "{{ws}}", ws)
			}
			env := map[string]string{"GITHUB_WORKSPACE": ws}
			a, err := viaAction(t, tc.command, inputs, env)
			if err != nil {
				t.Fatalf("action: %v", err)
			}
			c, err := viaArgs(t, tc.command, inputs, env)
			if err != nil {
				t.Fatalf("cli: %v", err)
			}
			tc.check(t, a)
			tc.check(t, c)
			// The front doors differ only in what is CLI-specific.
			c.ActionMode, c.Listen = true, ""
			if !reflect.DeepEqual(a, c) {
				t.Errorf("action and CLI configs differ:\naction %+v\ncli    %+v", a, c)
			}
		})
	}
}

func wantEq(t *testing.T, name string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", name, got, want)
	}
}

// CLI flag syntax: booleans alone or with a value, =, repetition.
func TestFromArgsSyntax(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	getenv := []string{"GITHUB_WORKSPACE=" + ws}
	base := []string{"--function-name", "login", "--envs=dev-1", "--component-access-token", secretComponent}
	tests := []struct {
		name  string
		args  []string
		check func(t *testing.T, c *Config)
	}{
		{"bool alone", []string{"--invoke"}, func(t *testing.T, c *Config) { wantEq(t, "invoke", c.Invoke, true) }},
		{"bool alone before flag", []string{"--dry-run", "--invoke"}, func(t *testing.T, c *Config) {
			wantEq(t, "bools", []bool{c.DryRun, c.Invoke}, []bool{true, true})
		}},
		{"bool with value", []string{"--skip-unchanged", "false"}, func(t *testing.T, c *Config) { wantEq(t, "skip", c.SkipUnchanged, false) }},
		{"bool with equals", []string{"--summary=FALSE"}, func(t *testing.T, c *Config) { wantEq(t, "summary", c.Summary, false) }},
		{"single dash", []string{"-dry-run"}, func(t *testing.T, c *Config) { wantEq(t, "dry-run", c.DryRun, true) }},
		{"repeated envs append", []string{"--envs", "prod-2"}, func(t *testing.T, c *Config) {
			wantEq(t, "envs", c.Envs, []string{"dev-1", "prod-2"})
		}},
		{"repeated files append", []string{"--files", "src/**", "--files", "!src/test/**"}, func(t *testing.T, c *Config) {
			wantEq(t, "files", c.Files.Strings(), []string{"src/**", "!src/test/**"})
		}},
		{"value with equals sign", []string{"--invoke-data={\"a\":\"b=c\"}"}, func(t *testing.T, c *Config) {
			wantEq(t, "data", string(c.InvokeData), `{"a":"b=c"}`)
		}},
		{"negative number value", []string{"--invoke-expect", "-1"}, func(t *testing.T, c *Config) { wantEq(t, "expect", c.InvokeExpect.String(), "-1") }},
		{"emulator needs no credentials", []string{"--emulator", "--api-base-url", "http://example.com", "--token", "t", "--json"},
			func(t *testing.T, c *Config) {
				wantEq(t, "emulator", []bool{c.Emulator, c.JSON}, []bool{true, true})
				wantEq(t, "token", c.EmulatorToken, "t")
			}},
		{"workspace flag", []string{"--workspace", ws}, func(t *testing.T, c *Config) { wantEq(t, "workspace", c.Workspace, ws) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := base
			if strings.HasPrefix(tc.name, "emulator") {
				b = base[:3] // no credentials
			}
			args := append(append([]string{"deploy"}, b...), tc.args...)
			c, err := FromArgs(args, getenv)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}

	t.Run("emulate", func(t *testing.T) {
		t.Parallel()
		c, err := FromArgs([]string{"emulate", "--listen", "127.0.0.1:0", "--envs", "a,b", "--token", "tok"}, getenv)
		if err != nil {
			t.Fatal(err)
		}
		wantEq(t, "emulate", []string{string(c.Command), c.Listen, c.EmulatorToken, strings.Join(c.Envs, ",")}, []string{"emulate", "127.0.0.1:0", "tok", "a,b"})
	})
	t.Run("no workspace: path relative to cwd, no containment", func(t *testing.T) {
		t.Parallel()
		c, err := FromArgs([]string{"pack", "--function-name", "login", "--path", "testdata"}, nil)
		if err != nil {
			t.Fatal(err)
		}
		wd, _ := os.Getwd()
		wantEq(t, "path abs", c.Targets[0].Dir, filepath.Join(wd, "testdata"))
		wantEq(t, "workspace", c.Workspace, "")
	})
}

func TestUsage(t *testing.T) {
	t.Parallel()
	u := Usage()
	for _, d := range inputDefs() {
		if d.actionOnly {
			continue
		}
		if !strings.Contains(u, "--"+d.name+" ") {
			t.Errorf("usage lacks --%s", d.name)
		}
		if d.def != "" && !strings.Contains(u, "(default "+d.def+")") {
			t.Errorf("usage lacks the default of --%s (%s)", d.name, d.def)
		}
	}
	for _, c := range commandNames(false) {
		if !strings.Contains(u, "  "+c+" ") {
			t.Errorf("usage lacks command %s", c)
		}
	}
}

func TestComponentTokenAloneIsNotEnoughForCreateOrDownload(t *testing.T) {
	t.Parallel()
	for _, command := range []string{"create", "download"} {
		args := []string{command, "--function-name", "login", "--envs", "dev-1", "--component-access-token", "CAT-123456789", "--output", filepath.Join(t.TempDir(), "x.zip")}
		_, err := FromArgs(args, nil)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Input != "access-token" {
			t.Errorf("%s: err = %v, want an access-token InputError", command, err)
		}
	}
	if _, err := FromArgs([]string{"invoke", "--function-name", "login", "--envs", "dev-1", "--component-access-token", "CAT-123456789"}, nil); err != nil {
		t.Errorf("invoke with a component token: %v (batch mode invokes with it)", err)
	}
}
