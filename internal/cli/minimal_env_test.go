package cli_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestActionWithOnlyInputsAndOutputFile: an Actions-compatible runner (or a
// contract test) that sets nothing but INPUT_* and GITHUB_OUTPUT still gets
// action mode and every output of CONTRACT.md.
func TestActionWithOnlyInputsAndOutputFile(t *testing.T) {
	t.Parallel()
	a := newAction(t, "push")
	fnDir := filepath.Join(a.workspace, "hello")
	for k := range a.env {
		if !strings.HasPrefix(k, "INPUT_") {
			delete(a.env, k)
		}
	}
	a.set("INPUT_PATH", fnDir, "INPUT_GITHUB-TOKEN", "")
	o := a.run()
	if o.code != 0 {
		t.Fatalf("exit %d\n%v", o.code, o)
	}
	for _, name := range []string{"status", "results", "failed-envs", "zip-sha256", "zip-size", "packages"} {
		if _, ok := o.outputs[name]; !ok {
			t.Errorf("output %q missing from GITHUB_OUTPUT:\n%s", name, o.outputFile)
		}
	}
	if o.outputs["status"] != "success" {
		t.Errorf("status = %q", o.outputs["status"])
	}
	for _, r := range decodeResults(t, o.outputs["results"], false) {
		if r.Action != "created" {
			t.Errorf("%s@%s = %s", r.Function, r.Env, r.Action)
		}
	}
	if _, ok := a.emu.Function("dev-b2", "hello"); !ok {
		t.Error("the function was not deployed")
	}
}

// TestActionInvalidInputSetsEveryOutput: after exit 2 the outputs still hold
// valid JSON, so `if: always()` steps reading them do not break.
func TestActionInvalidInputSetsEveryOutput(t *testing.T) {
	t.Parallel()
	o := newAction(t, "push").set("INPUT_ENVS", "dev 1").run()
	if o.code != 2 {
		t.Fatalf("exit %d, want 2\n%v", o.code, o)
	}
	want := map[string]string{"status": "failure", "results": "[]", "packages": "{}", "failed-envs": ""}
	for k, v := range want {
		if got, ok := o.outputs[k]; !ok || got != v {
			t.Errorf("output %s = %q (set: %v), want %q", k, got, ok, v)
		}
	}
}
