package e2e

import (
	"crypto/rand"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
)

// workspace lays out a repository checkout with the functions the bad-input
// cases point at, and a sibling directory outside it.
//
//	<tmp>/ws/hello      the sample function
//	<tmp>/ws/noindex    package.json and main.js, no index.js
//	<tmp>/ws/big        index.js and a 4 KiB incompressible big.bin
//	<tmp>/outside/hello a valid function outside the workspace
func workspace(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	ws := filepath.Join(root, "ws")
	copyDir(t, helloSrc, filepath.Join(ws, "hello"))
	copyDir(t, helloSrc, filepath.Join(root, "outside", "hello"))

	write := func(rel string, data []byte) {
		t.Helper()
		p := filepath.Join(ws, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("noindex/package.json", []byte(`{"name":"noindex","main":"main.js"}`))
	write("noindex/main.js", []byte("exports.main = async () => 1;\n"))
	big := make([]byte, 4096)
	if _, err := rand.Read(big); err != nil {
		t.Fatal(err)
	}
	write("big/index.js", []byte("exports.main = async () => 1;\n"))
	write("big/big.bin", big)
	return ws
}

// badInputs are malformed inputs, as input name -> value overriding a valid
// deploy of hello to two envs. Every one must exit 2 with a message naming
// want, before any request is sent.
var badInputs = []struct {
	name   string
	inputs map[string]string
	want   string
	// wantFile: the action's ::error annotation points at this file (relative
	// to the workspace).
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
	{name: "missing index.js", inputs: map[string]string{"path": "noindex"}, want: "index.js", wantFile: "noindex/index.js"},
	{name: "zip over size-limit", inputs: map[string]string{"path": "big", "size-limit": "1KiB"}, want: "big.bin", wantFile: "big/big.bin"},
}

// validInputs is a deploy that would succeed against h.
func validInputs(h *harness) map[string]string {
	return map[string]string{
		"function-name": fnName,
		"path":          "hello",
		"envs":          "dev-a,dev-b",
		"api-base-url":  h.srv.URL,
		"access-token":  testToken,
	}
}

func merged(base, over map[string]string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for k, v := range over {
		out[k] = v
	}
	return out
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func TestBadInputCLI(t *testing.T) {
	t.Parallel()
	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, nil)
			ws := workspace(t)
			inputs := merged(validInputs(h), tc.inputs)
			args := []string{"deploy", "--workspace", ws, "--json"}
			for _, k := range sortedKeys(inputs) {
				args = append(args, "--"+k, inputs[k])
			}

			out := runCLI(t.Context(), args, nil)

			if out.code != cli.ExitInvalid {
				t.Errorf("exit status %d, want %d (invalid input)", out.code, cli.ExitInvalid)
			}
			if !strings.Contains(out.stderr, tc.want) {
				t.Errorf("stderr does not name %q", tc.want)
			}
			if out.stdout != "" {
				t.Errorf("stdout should be empty for invalid input (no results to report), got:\n%s", out.stdout)
			}
			if calls := h.emu.Calls(); len(calls) != 0 {
				t.Errorf("invalid input sent %d requests to the API, want none: %+v", len(calls), calls)
			}
			checkNoSecret(t, out)
			if t.Failed() {
				t.Logf("stderr:\n%s", out.stderr)
			}
		})
	}
}

func TestBadInputAction(t *testing.T) {
	t.Parallel()
	for _, tc := range badInputs {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newHarness(t, nil)
			ws := workspace(t)
			outputFile := filepath.Join(t.TempDir(), "github_output")
			if err := os.WriteFile(outputFile, nil, 0o644); err != nil {
				t.Fatal(err)
			}
			env := map[string]string{
				"GITHUB_ACTIONS":   "true",
				"GITHUB_WORKSPACE": ws,
				"GITHUB_OUTPUT":    outputFile,
			}
			inputs := merged(validInputs(h), tc.inputs)
			inputs["comment"] = "never"
			for k, v := range inputs {
				env["INPUT_"+strings.ToUpper(k)] = v
			}

			out := runCLI(t.Context(), nil, env)

			if out.code != cli.ExitInvalid {
				t.Errorf("exit status %d, want %d (invalid input)", out.code, cli.ExitInvalid)
			}
			var errLines []string
			for _, line := range strings.Split(out.stdout, "\n") {
				if strings.HasPrefix(line, "::error") {
					errLines = append(errLines, line)
				}
			}
			named := false
			for _, line := range errLines {
				named = named || strings.Contains(line, tc.want)
			}
			if !named {
				t.Errorf("no ::error annotation names %q; annotations: %q", tc.want, errLines)
			}
			if tc.wantFile != "" {
				checkAnnotationFile(t, errLines, ws, tc.wantFile)
			}
			if calls := h.emu.Calls(); len(calls) != 0 {
				t.Errorf("invalid input sent %d requests to the API, want none: %+v", len(calls), calls)
			}
			outputs, err := os.ReadFile(outputFile)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(outputs), "status<<") || !strings.Contains(string(outputs), "\nfailure\n") {
				t.Errorf("GITHUB_OUTPUT should set status to failure, got:\n%s", outputs)
			}
			checkNoSecret(t, out)
			if t.Failed() {
				t.Logf("stdout:\n%s\nstderr:\n%s", out.stdout, out.stderr)
			}
		})
	}
}

// checkAnnotationFile: some ::error line has a file= property naming want,
// relative to the workspace or absolute inside it (the runner makes absolute
// paths inside the workspace relative).
func checkAnnotationFile(t *testing.T, lines []string, ws, want string) {
	t.Helper()
	abs := map[string]bool{filepath.ToSlash(filepath.Join(ws, want)): true}
	if real, err := filepath.EvalSymlinks(ws); err == nil {
		abs[filepath.ToSlash(filepath.Join(real, want))] = true
	}
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
			if v == want || abs[v] {
				return
			}
			t.Errorf("annotation file=%q, want %q (relative to the workspace %q)", v, want, ws)
			return
		}
	}
	t.Errorf("no ::error annotation has a file= property (want %q): %q", want, lines)
}
