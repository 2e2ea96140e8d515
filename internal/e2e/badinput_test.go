package e2e

import (
	"crypto/rand"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/testkit"
)

// badWorkspace lays out a repository checkout with the functions the
// bad-input cases point at, and a sibling directory outside it.
//
//	ws/hello          the sample function
//	ws/noindex        package.json and main.js, no index.js
//	ws/big            index.js and a 4 KiB incompressible big.bin
//	outside/hello     a valid function outside the workspace
func badWorkspace(t *testing.T) *testkit.Workspace {
	t.Helper()
	root := testkit.NewWorkspace(t)
	root.Hello("outside/hello")
	ws := root.Sub("ws")
	ws.Hello("hello")
	ws.Write("noindex/package.json", `{"name":"noindex","main":"main.js"}`)
	ws.Write("noindex/main.js", "exports.main = async () => 1;\n")
	ws.Write("big/index.js", "exports.main = async () => 1;\n")
	big := make([]byte, 4096)
	_, _ = rand.Read(big)
	ws.Write("big/big.bin", string(big))
	return ws
}

// badInputs are malformed inputs, as input name -> value overriding a
// valid deploy of hello to two envs. Every one must exit 2 with a message
// naming want, before any request is sent, through either front door.
var badInputs = []struct {
	name   string
	inputs map[string]string
	// tencentcloud: the valid deploy is through the Tencent Cloud API.
	tencentcloud bool
	want         string
	// wantFile: the action's ::error annotation points at this file
	// (relative to the workspace).
	wantFile string
}{
	{name: "non-UTF-8 env", inputs: map[string]string{"envs": "dev-a,dev-\xff\xfe"}, want: "envs"},
	{name: "5000-character function name", inputs: map[string]string{"function-name": "h" + strings.Repeat("e", 4999)}, want: "function-name"},
	{name: "newline in function-name", inputs: map[string]string{"function-name": "hel\nlo"}, want: "function-name"},
	{name: "duplicate envs", inputs: map[string]string{"envs": "dev-a,dev-b,dev-a"}, want: "envs"},
	{name: "blank-only envs", inputs: map[string]string{"envs": " , ,\n , "}, want: "envs"},
	{name: "invoke-data that is not JSON", inputs: map[string]string{"invoke": "true", "invoke-data": "{not json"}, want: "invoke-data"},
	{name: "size-limit -1", inputs: map[string]string{"size-limit": "-1"}, want: "size-limit"},
	{name: "concurrency 0", inputs: map[string]string{"concurrency": "0"}, want: "concurrency"},
	{name: "path outside the workspace", inputs: map[string]string{"path": "../outside/hello"}, want: "path"},
	{name: "both function-name and functions", inputs: map[string]string{"functions": "fns/*"}, want: "functions"},
	{name: "unknown mode", inputs: map[string]string{"mode": "sideways"}, want: "mode"},
	{name: "timeout soon", inputs: map[string]string{"timeout": "soon"}, want: "timeout"},
	{name: "retries 99", inputs: map[string]string{"retries": "99"}, want: "retries"},
	{name: "files glob matching nothing", inputs: map[string]string{"files": "src/**"}, want: "files"},
	// The annotation cannot point at a file that does not exist (output drops
	// such a file), so the message names the folder as the user gave it.
	{name: "missing index.js", inputs: map[string]string{"path": "noindex"}, want: `no "index.js" at the root of "noindex"`},
	{name: "zip over size-limit", inputs: map[string]string{"path": "big", "size-limit": "1KiB"}, want: "big.bin", wantFile: "big/big.bin"},
	{name: "wechat deploy without a component token", inputs: map[string]string{"component-access-token": ""}, want: "component-access-token"},
	{name: "unknown provider", inputs: map[string]string{"provider": "aws"}, want: "provider"},
	{name: "keys given to the wechat provider", inputs: map[string]string{"secret-key": "sk"}, want: "secret-key"},
	{name: "tencentcloud secret-id without secret-key", tencentcloud: true, inputs: map[string]string{"secret-key": ""}, want: "secret-key"},
	{name: "tencentcloud with a wechat token", tencentcloud: true, inputs: map[string]string{"access-token": "tok"}, want: "access-token"},
	{name: "tencentcloud memory 100", tencentcloud: true, inputs: map[string]string{"memory": "100"}, want: "memory"},
	{name: "tencentcloud keyless without the OIDC token", tencentcloud: true,
		inputs: map[string]string{"secret-id": "", "secret-key": "", "role-arn": keylessRole, "oidc-provider-id": "github"}, want: "id-token: write"},
}

// validInputs is a deploy that would succeed against emu.
func validInputs(emu *testkit.Emulator, tencentcloud bool) testkit.Inputs {
	in := emu.WeChat()
	if tencentcloud {
		in = emu.TencentCloud()
	}
	return in.With("function-name", fnName, "path", "hello", "envs", "dev-a,dev-b")
}

// TestBadInput gives every bad input to both front doors: exit 2, the
// input named (on stderr, or in an ::error annotation with every output
// still set), and not one request to the API.
func TestBadInput(t *testing.T) {
	t.Parallel()
	for _, tc := range badInputs {
		for _, door := range []string{"cli", "action"} {
			t.Run(door+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				emu := newEmulator(t, testkit.EmulatorOptions{})
				ws := badWorkspace(t)
				in := validInputs(emu, tc.tencentcloud).Merge(tc.inputs)

				var o testkit.Outcome
				if door == "cli" {
					o = testkit.CLI(t, nil, in.With("workspace", ws.Dir, "json", "true").Args()...)
					if !strings.Contains(o.Stderr, tc.want) {
						t.Errorf("stderr does not name %q", tc.want)
					}
					if o.Stdout != "" {
						t.Errorf("stdout should be empty for invalid input (no results to report), got:\n%s", o.Stdout)
					}
				} else {
					env := in.With("comment", "never").Env()
					env["GITHUB_ACTIONS"], env["GITHUB_WORKSPACE"] = "true", ws.Dir
					o = testkit.Action(t, env)
					errLines := testkit.CommandLines(o.Stdout, "error")
					if !strings.Contains(strings.Join(errLines, "\n"), tc.want) {
						t.Errorf("no ::error annotation names %q; annotations: %q", tc.want, errLines)
					}
					if tc.wantFile != "" {
						checkAnnotationFile(t, errLines, tc.wantFile)
					}
					if o.Outputs["status"] != "failure" || o.Outputs["results"] != "[]" {
						t.Errorf("outputs status=%q results=%q, want failure and []", o.Outputs["status"], o.Outputs["results"])
					}
				}

				if o.Code != cli.ExitInvalid {
					t.Errorf("exit status %d, want %d (invalid input)", o.Code, cli.ExitInvalid)
				}
				if calls := emu.Calls(); len(calls) != 0 {
					t.Errorf("invalid input sent %d requests to the API, want none: %+v", len(calls), calls)
				}
				checkNoSecret(t, o, emuToken, emu.SecretKey())
				if t.Failed() {
					t.Logf("%v", o)
				}
			})
		}
	}
}

// checkAnnotationFile: some ::error line has a file= property naming want,
// relative to the workspace (GitHub places annotations by that path).
func checkAnnotationFile(t *testing.T, lines []string, want string) {
	t.Helper()
	for _, line := range lines {
		props, _, ok := strings.Cut(strings.TrimPrefix(line, "::error"), "::")
		if !ok {
			continue
		}
		for _, p := range strings.Split(strings.TrimSpace(props), ",") {
			v, ok := strings.CutPrefix(p, "file=")
			if !ok {
				continue
			}
			// Properties escape ':' and ',' (go-githubactions' escapeProperty).
			v = strings.NewReplacer("%3A", ":", "%2C", ",", "%25", "%").Replace(v)
			if v != want {
				t.Errorf("annotation file=%q, want %q (relative to the workspace)", v, want)
			}
			return
		}
	}
	t.Errorf("no ::error annotation has a file= property (want %q): %q", want, lines)
}
