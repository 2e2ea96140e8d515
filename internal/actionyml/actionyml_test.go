package actionyml

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/testkit"
)

var update = flag.Bool("update", false, "rewrite action.yml from the input table")

// actionPath is the committed action.yml at the repository root.
const actionPath = "../../action.yml"

func generated(t *testing.T) []byte {
	t.Helper()
	got, err := Generate(config.Inputs(), config.Outputs())
	if err != nil {
		t.Fatalf("Generate from the input table: %v", err)
	}
	return got
}

// TestActionYMLIsGenerated fails when action.yml is not what the table gives:
// someone edited it by hand, or added an input without regenerating.
func TestActionYMLIsGenerated(t *testing.T) {
	want := generated(t)
	if *update {
		if err := os.WriteFile(actionPath, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	have, err := os.ReadFile(actionPath)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(have, want) {
		t.Errorf("action.yml differs from the input table in internal/config (run go test ./internal/actionyml -update):\n%s",
			firstDiff(string(have), string(want)))
	}
}

func firstDiff(have, want string) string {
	h, w := strings.Split(have, "\n"), strings.Split(want, "\n")
	for i := 0; i < len(h) || i < len(w); i++ {
		var hl, wl string
		if i < len(h) {
			hl = h[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if hl != wl {
			return "line " + strconv.Itoa(i+1) + ":\n  committed: " + hl + "\n  generated: " + wl
		}
	}
	return "(same lines, different bytes)"
}

// readAction reads the committed action.yml as YAML.
func readAction(t *testing.T) map[string]any {
	t.Helper()
	src, err := os.ReadFile(actionPath)
	if err != nil {
		t.Fatal(err)
	}
	m, err := testkit.ReadYAML(src)
	if err != nil {
		t.Fatalf("action.yml: %v", err)
	}
	return m
}

// readScalar reads scalar(s) back as action.yml carries it: the value of an
// input's description, with a key after it that it must not swallow.
func readScalar(yamlScalar string) (string, error) {
	m, err := testkit.ReadYAML([]byte("inputs:\n  x:\n    description: " + yamlScalar + "\n    required: false\n"))
	if err != nil {
		return "", err
	}
	in, _ := m["inputs"].(map[string]any)
	x, _ := in["x"].(map[string]any)
	s, ok := x["description"].(string)
	if len(m) != 1 || len(in) != 1 || len(x) != 2 || x["required"] != "false" || !ok {
		return "", fmt.Errorf("reads as %#v", m)
	}
	return s, nil
}

func mapAt(t *testing.T, m map[string]any, path ...string) map[string]any {
	t.Helper()
	cur := m
	for _, k := range path {
		next, ok := cur[k].(map[string]any)
		if !ok {
			t.Fatalf("action.yml: %s is %T, want a mapping", strings.Join(path, "."), cur[k])
		}
		cur = next
	}
	return cur
}

// TestActionYMLAgreesWithTable reads the committed action.yml and checks it
// against the table directly, so a bug in render cannot hide behind the
// golden comparison above.
func TestActionYMLAgreesWithTable(t *testing.T) {
	a := readAction(t)
	inputs := mapAt(t, a, "inputs")
	var wantNames []string
	for _, in := range config.Inputs() {
		got, present := inputs[in.Name]
		if in.CLIOnly {
			if present {
				t.Errorf("input %q is CLI-only in the table but declared by action.yml", in.Name)
			}
			continue
		}
		wantNames = append(wantNames, in.Name)
		if !present {
			t.Errorf("input %q of the table is missing from action.yml", in.Name)
			continue
		}
		m := got.(map[string]any)
		wantDef := in.Default
		if in.Name == "github-token" {
			wantDef = "${{ github.token }}"
		}
		if m["default"] != wantDef {
			t.Errorf("input %q: default %q in action.yml, %q in the table", in.Name, m["default"], wantDef)
		}
		if m["description"] != in.Help {
			t.Errorf("input %q: description %q in action.yml, help %q in the table", in.Name, m["description"], in.Help)
		}
		if m["required"] != "false" {
			t.Errorf("input %q: required is %q; every input has a default or is optional", in.Name, m["required"])
		}
	}
	if len(inputs) != len(wantNames) {
		var extra []string
		for name := range inputs {
			if !contains(wantNames, name) {
				extra = append(extra, name)
			}
		}
		sort.Strings(extra)
		t.Errorf("action.yml declares inputs that are not action inputs of the table: %v", extra)
	}

	outputs := mapAt(t, a, "outputs")
	if len(outputs) != len(config.Outputs()) {
		t.Errorf("action.yml has %d outputs, the table %d", len(outputs), len(config.Outputs()))
	}
	for _, o := range config.Outputs() {
		m, ok := outputs[o.Name].(map[string]any)
		if !ok {
			t.Errorf("output %q of the table is missing from action.yml", o.Name)
			continue
		}
		if m["description"] != o.Help {
			t.Errorf("output %q: description %q in action.yml, %q in the table", o.Name, m["description"], o.Help)
		}
		if want := "${{ steps.run.outputs." + o.Name + " }}"; m["value"] != want {
			t.Errorf("output %q: value %q, want %q", o.Name, m["value"], want)
		}
	}

	runs := mapAt(t, a, "runs")
	if runs["using"] != "composite" {
		t.Fatalf("runs.using is %q, want composite", runs["using"])
	}
	steps, _ := runs["steps"].([]any)
	if len(steps) != 2 {
		t.Fatalf("runs.steps has %d steps, want install and run", len(steps))
	}
	install, run := steps[0].(map[string]any), steps[1].(map[string]any)
	if install["run"] != `bash "$GITHUB_ACTION_PATH/.github/install.sh"` || install["shell"] != "bash" {
		t.Errorf("install step runs %q with shell %q", install["run"], install["shell"])
	}
	if env := install["env"].(map[string]any); env["WXCLOUD_VERSION"] != "${{ github.action_ref }}" {
		t.Errorf("install step: WXCLOUD_VERSION is %q, want the action's ref", env["WXCLOUD_VERSION"])
	}
	if run["id"] != "run" || run["shell"] != "bash" || run["run"] != "wxcloud-deploy" {
		t.Errorf("run step: id %q, shell %q, run %q", run["id"], run["shell"], run["run"])
	}
	env := run["env"].(map[string]any)
	for _, name := range wantNames {
		key := "INPUT_" + strings.ToUpper(name)
		if want := "${{ inputs." + name + " }}"; env[key] != want {
			t.Errorf("run step: %s is %q, want %q", key, env[key], want)
		}
	}
	if len(env) != len(wantNames) {
		t.Errorf("run step sets %d variables, want one INPUT_* per input (%d)", len(env), len(wantNames))
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func TestScalarReadsBack(t *testing.T) {
	for _, s := range []string{
		"", "deploy", ".", "**", "{}", "true", "false", "yes", "No", "null", "4", "60s", "20MiB",
		"https://api.weixin.qq.com", "${{ github.token }}", "a: b", "a #b", "- x", "!x", "*x", "&x",
		"it's", `say "hi"`, `back\slash`, "tab\there", "line\nbreak", " leading", "trailing ", "two  spaces",
		"auto (on pull_request events), always or never", `{"shard":["1/N",…,"N/N"]}`, "%x", "@x", "`x`", "?x", "|", ">",
		"ok.", "x:", "[a]", "0x1F", ".inf", "~",
		"\x7f", "a\u0085b", "\u2028", "\u2029", "\ufeffbom", "\uffff", "\U0001F600", "*a", "&a x", "a: &b c",
	} {
		got, err := readScalar(scalar(s))
		if err != nil || got != s {
			t.Errorf("scalar(%q) = %s, reads back as %q (%v)", s, scalar(s), got, err)
		}
	}
}

// FuzzScalar: whatever the table's help text says, action.yml carries it
// unchanged.
func FuzzScalar(f *testing.F) {
	for _, s := range []string{"", "deploy", "a: b", "it's", "x #y", "${{ github.token }}", "line\nbreak", "\u2028", "'", `"`, "yes", "\x7f", "\u0085", "\ufeff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) {
			t.Skip("help texts are valid UTF-8 (Generate refuses others)")
		}
		got, err := readScalar(scalar(s))
		if err != nil || got != s {
			t.Errorf("scalar(%q) = %s, reads back as %q (%v)", s, scalar(s), got, err)
		}
	})
}

func TestGenerateRejects(t *testing.T) {
	ok := []config.InputDoc{{Name: "command", Default: "deploy", Help: "what to do"}, {Name: "github-token", Help: "token"}}
	outs := []config.OutputDoc{{Name: "status", Help: "success or failure"}}
	for _, tc := range []struct {
		name    string
		inputs  []config.InputDoc
		outputs []config.OutputDoc
		want    string
	}{
		{"duplicate input", append(ok, config.InputDoc{Name: "command", Help: "again"}), outs, `input "command" is listed twice`},
		{"upper-case name", append(ok, config.InputDoc{Name: "Envs", Help: "x"}), outs, `input "Envs": names are lower-case`},
		{"underscore", append(ok, config.InputDoc{Name: "dry_run", Help: "x"}), outs, `input "dry_run": names are lower-case`},
		{"no help", append(ok, config.InputDoc{Name: "envs"}), outs, `input "envs" has no help text`},
		{"table default for github-token", []config.InputDoc{{Name: "github-token", Default: "x", Help: "t"}}, outs, `keep one`},
		{"github-token missing", []config.InputDoc{{Name: "command", Help: "c"}}, outs, `actionDefaults names "github-token"`},
		{"only CLI inputs", []config.InputDoc{{Name: "json", Help: "j", CLIOnly: true}}, outs, "no action input"},
		{"duplicate output", ok, append(outs, config.OutputDoc{Name: "status", Help: "x"}), `output "status" is listed twice`},
		{"bad output name", ok, []config.OutputDoc{{Name: "zip sha", Help: "x"}}, `output "zip sha"`},
		{"invalid UTF-8", append(ok, config.InputDoc{Name: "envs", Help: "bad \xff"}), outs, "not valid UTF-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Generate(tc.inputs, tc.outputs)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Generate: %v, want an error containing %q", err, tc.want)
			}
		})
	}
	if _, err := Generate(ok, outs); err != nil {
		t.Errorf("Generate of a valid table: %v", err)
	}
}

// TestRunStepHandsOverEveryInput runs the run step the way the runner does
// (bash --noprofile --norc -eo pipefail on a script file, the step's env
// added to the job's) with a stand-in binary on PATH, and checks that every
// input arrives as INPUT_<NAME> with its value, multi-line values and
// hyphenated names included.
func TestRunStepHandsOverEveryInput(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the stand-in binary is a shell script")
	}
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash not installed")
	}
	a, err := build(config.Inputs(), config.Outputs())
	if err != nil {
		t.Fatal(err)
	}
	var run *step
	for i := range a.steps {
		if a.steps[i].id == RunStepID {
			run = &a.steps[i]
		}
	}
	if run == nil {
		t.Fatalf("no step with id %q", RunStepID)
	}
	bin := t.TempDir()
	dump := filepath.Join(t.TempDir(), "env")
	stub := "#!/usr/bin/env bash\nenv -0 > \"$DUMP\"\n"
	if err := os.WriteFile(filepath.Join(bin, "wxcloud-deploy"), []byte(stub), 0o755); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "step.sh")
	if err := os.WriteFile(script, []byte(run.run), 0o644); err != nil {
		t.Fatal(err)
	}
	want := map[string]string{}
	env := []string{"PATH=" + bin + string(os.PathListSeparator) + os.Getenv("PATH"), "DUMP=" + dump, "GITHUB_ACTIONS=true"}
	for _, e := range run.env {
		name := strings.TrimSuffix(strings.TrimPrefix(e.value, "${{ inputs."), " }}")
		value := "value of " + name + "\nsecond line with $HOME and 'quotes'"
		want[e.name] = value
		env = append(env, e.name+"="+value)
	}
	cmd := exec.Command(bash, "--noprofile", "--norc", "-eo", "pipefail", script)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("run step: %v\n%s", err, out)
	}
	raw, err := os.ReadFile(dump)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range strings.Split(string(raw), "\x00") {
		if k, v, ok := strings.Cut(kv, "="); ok && strings.HasPrefix(k, "INPUT_") {
			got[k] = v
		}
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("the binary saw %s=%q, want %q", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("the binary saw %d INPUT_* variables, want %d", len(got), len(want))
	}
	if want["INPUT_FUNCTION-NAME"] == "" {
		t.Error("no INPUT_FUNCTION-NAME handed over: the table lost function-name?")
	}
}
