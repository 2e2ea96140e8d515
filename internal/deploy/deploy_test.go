package deploy

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/expect"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

func actions(run *result.Run) string {
	var parts []string
	for _, r := range run.Results {
		parts = append(parts, r.Env+"="+string(r.Action))
	}
	return strings.Join(parts, " ")
}

func resultFor(t *testing.T, run *result.Run, env string) result.Result {
	t.Helper()
	for _, r := range run.Results {
		if r.Env == env {
			return r
		}
	}
	t.Fatalf("no result for %s", env)
	return result.Result{}
}

func TestDeployAuto(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		seeds   map[string]string // env -> version deployed before
		envs    []string
		want    string
		creates int
		updates int
	}{
		{"fresh envs are created with one call", nil, []string{"dev-a", "dev-b"}, "dev-a=created dev-b=created", 1, 0},
		{"existing envs are updated with one call", map[string]string{"dev-a": "old", "dev-b": "old"}, []string{"dev-a", "dev-b"}, "dev-a=updated dev-b=updated", 0, 1},
		{"identical code is unchanged: nothing uploaded", map[string]string{"dev-a": "new", "dev-b": "new"}, []string{"dev-a", "dev-b"}, "dev-a=unchanged dev-b=unchanged", 0, 0},
		{"mixed", map[string]string{"dev-a": "new", "dev-b": "old"}, []string{"dev-a", "dev-b", "dev-c"}, "dev-a=unchanged dev-b=updated dev-c=created", 1, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			be := newFake()
			for env, v := range tt.seeds {
				be.seed(env, "login", zipOf(t, fn(t, "login", v)))
			}
			f := fn(t, "login", "new", tt.envs...)
			deps, _ := testDeps(be)
			run := Deploy(context.Background(), testConfig(tt.envs...), deps, []Function{f})
			if got := actions(run); got != tt.want {
				t.Fatalf("actions %q, want %q\n%+v", got, tt.want, run.Results)
			}
			if c, u := be.count("upload create"), be.count("upload update"); c != tt.creates || u != tt.updates {
				t.Errorf("create calls %d, update calls %d; want %d, %d", c, u, tt.creates, tt.updates)
			}
			for _, env := range tt.envs {
				if z, _ := be.deployed(env, "login"); sha(z) != f.Zip.SHA256 {
					t.Errorf("%s does not run the new code", env)
				}
			}
			if !run.OK() {
				t.Errorf("run not OK: %+v", run.Results)
			}
		})
	}
}

// The vendor's checksum may be computed another way: the code itself decides.
func TestUnchangedByContent(t *testing.T) {
	t.Parallel()
	be := newFake()
	f := fn(t, "login", "v1", "dev-a", "dev-b", "dev-c")
	// Same files, other bytes (stored instead of deflated).
	same := makeZip(t, zip.Store, map[string]string{"index.js": "exports.main = () => v1"})
	for _, env := range f.Envs {
		be.seed(env, "login", same)
	}
	be.reportSHA = func([]byte) string { return "0000" } // a checksum that matches nothing
	deps, _ := testDeps(be)
	cfg := testConfig(f.Envs...)
	cfg.RollbackOnFailure = true
	run := Deploy(context.Background(), cfg, deps, []Function{f})
	if got := actions(run); got != "dev-a=unchanged dev-b=unchanged dev-c=unchanged" {
		t.Fatalf("actions %q", got)
	}
	if r := resultFor(t, run, "dev-a"); r.Detail != "deployed code has the same files" {
		t.Errorf("detail %q", r.Detail)
	}
	if be.fetches != 1 {
		t.Errorf("fetched the same deployed code %d times, want once", be.fetches)
	}
}

func TestFallback(t *testing.T) {
	t.Parallel()
	other := &backend.Error{K: backend.KindOther, Msg: "[InternalError] something"}
	tests := []struct {
		name      string
		mode      config.Mode
		seed      bool
		probeErr  error
		uploadErr map[string]error
		perEnv    bool
		want      result.Action
		calls     []string
		errFrag   string
	}{
		{name: "create refused as existing: update", mode: config.ModeCreate, seed: true, want: result.Failed, calls: []string{"upload create dev-a"}, errFrag: "already exists"},
		{name: "probe unknown, update fails per env: create", mode: config.ModeAuto, probeErr: other, uploadErr: map[string]error{"update dev-a": other}, perEnv: true,
			want: result.Created, calls: []string{"upload update dev-a", "upload create dev-a"}},
		{name: "probe unknown, update not found: create", mode: config.ModeAuto, probeErr: other, want: result.Created, calls: []string{"upload update dev-a", "upload create dev-a"}},
		{name: "probe unknown, whole call failed: no guess", mode: config.ModeAuto, probeErr: other, uploadErr: map[string]error{"update dev-a": other}, perEnv: false,
			want: result.Failed, calls: []string{"upload update dev-a"}, errFrag: "InternalError"},
		{name: "denied is never retried the other way", mode: config.ModeAuto, probeErr: other, uploadErr: map[string]error{"update dev-a": &backend.Error{K: backend.KindDenied, Msg: "AuthFailure.SignatureFailure"}}, perEnv: true,
			want: result.Failed, calls: []string{"upload update dev-a"}, errFrag: "SignatureFailure"},
		{name: "falls back once only", mode: config.ModeAuto, probeErr: other, uploadErr: map[string]error{"update dev-a": &backend.Error{K: backend.KindNotFound, Msg: "not found"}, "create dev-a": &backend.Error{K: backend.KindExists, Msg: "exists"}}, perEnv: true,
			want: result.Failed, calls: []string{"upload update dev-a", "upload create dev-a"}, errFrag: "not found; then exists"},
		{name: "mode update does not fall back", mode: config.ModeUpdate, want: result.Failed, calls: []string{"upload update dev-a"}, errFrag: "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			be := newFake()
			if tt.seed {
				be.seed("dev-a", "login", []byte("old"))
			}
			if tt.probeErr != nil {
				be.probeErr["dev-a"] = tt.probeErr
			}
			for k, v := range tt.uploadErr {
				be.uploadErr[k] = v
			}
			be.perEnv = tt.perEnv
			cfg := testConfig("dev-a")
			cfg.Mode = tt.mode
			deps, _ := testDeps(be)
			run := Deploy(context.Background(), cfg, deps, []Function{fn(t, "login", "v1", "dev-a")})
			r := resultFor(t, run, "dev-a")
			if r.Action != tt.want || !strings.Contains(r.Error, tt.errFrag) {
				t.Errorf("result %s %q, want %s containing %q", r.Action, r.Error, tt.want, tt.errFrag)
			}
			var uploads []string
			for _, c := range be.calls {
				if strings.HasPrefix(c, "upload") {
					uploads = append(uploads, c)
				}
			}
			if fmt.Sprint(uploads) != fmt.Sprint(tt.calls) {
				t.Errorf("uploads %q, want %q", uploads, tt.calls)
			}
		})
	}
}

func TestProbeFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		err    error
		dryRun bool
		want   result.Action
		frag   string
	}{
		{"no env fails the pair", &backend.Error{K: backend.KindNoEnv, Msg: "ResourceNotFound.Namespace"}, false, result.Failed, "Namespace"},
		{"denied: a dry run fails", &backend.Error{K: backend.KindDenied, Msg: "errcode 40164 invalid ip"}, true, result.Failed, "the probe shows this deploy cannot run"},
		{"unreachable: a dry run fails", &backend.Error{K: backend.KindUnreachable, Msg: "HTTP 502"}, true, result.Failed, "cannot run"},
		{"other: a dry run plans with the doubt said", &backend.Error{K: backend.KindOther, Msg: "downloadfunction needs access-token"}, true, result.Planned, ""},
		{"denied: a deploy still tries the upload", &backend.Error{K: backend.KindDenied, Msg: "40001"}, false, result.Created, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			be := newFake()
			be.probeErr["dev-a"] = tt.err
			cfg := testConfig("dev-a", "dev-b")
			cfg.DryRun = tt.dryRun
			deps, _ := testDeps(be)
			run := Deploy(context.Background(), cfg, deps, []Function{fn(t, "login", "v1", "dev-a", "dev-b")})
			r := resultFor(t, run, "dev-a")
			if r.Action != tt.want || !strings.Contains(r.Error, tt.frag) {
				t.Errorf("dev-a %s %q, want %s with %q", r.Action, r.Error, tt.want, tt.frag)
			}
			if tt.want == result.Planned && !strings.Contains(r.Detail, "existence unknown") {
				t.Errorf("detail %q does not say the existence is unknown", r.Detail)
			}
			if b := resultFor(t, run, "dev-b"); b.Action == result.Failed {
				t.Errorf("dev-b failed too: %s", b.Error)
			}
			if tt.dryRun && be.count("upload") != 0 {
				t.Error("a dry run uploaded")
			}
		})
	}
}

func TestDryRun(t *testing.T) {
	t.Parallel()
	be := &configurer{fake: newFake(), changes: map[string][]string{"dev-a": {"timeout 3s -> 20s"}}}
	be.seed("dev-b", "login", []byte("old"))
	cfg := testConfig("dev-a", "dev-b")
	cfg.DryRun = true
	deps, _ := testDeps(be)
	run := Deploy(context.Background(), cfg, deps, []Function{fn(t, "login", "v1", "dev-a", "dev-b")})
	if got := actions(run); got != "dev-a=planned dev-b=planned" {
		t.Fatalf("actions %q", got)
	}
	a, b := resultFor(t, run, "dev-a"), resultFor(t, run, "dev-b")
	if a.Detail != "would Fakecreate (function not found)" || b.Detail != "would Fakeupdate (function exists, code differs)" {
		t.Errorf("details %q, %q", a.Detail, b.Detail)
	}
	if fmt.Sprint(a.Config) != "[timeout 3s -> 20s]" {
		t.Errorf("config %q: the dry run does not show the settings it would change", a.Config)
	}
	if be.count("upload") != 0 || fmt.Sprint(be.dry) != "[true true]" {
		t.Errorf("a dry run wrote: calls %q, configure dry %v", be.calls, be.dry)
	}
	if !run.OK() {
		t.Error("a real plan must pass")
	}
}

func TestWaitAndConfigure(t *testing.T) {
	t.Parallel()
	be := &configurer{fake: newFake(),
		changes: map[string][]string{"dev-a": {"memory 128 MB -> 512 MB"}},
		err:     map[string]error{"dev-c": &backend.Error{K: backend.KindOther, Msg: "InvalidParameterValue.MemorySize"}}}
	be.waitErr["dev-b"] = &backend.Error{K: backend.KindDeployFailed, Msg: "UpdateFailed: InstallDependencyFailed: package.json is not valid JSON"}
	be.seed("dev-d", "login", zipOf(t, fn(t, "login", "v1")))
	envs := []string{"dev-a", "dev-b", "dev-c", "dev-d"}
	deps, _ := testDeps(be)
	run := Deploy(context.Background(), testConfig(envs...), deps, []Function{fn(t, "login", "v1", envs...)})
	if got := actions(run); got != "dev-a=created dev-b=failed dev-c=failed dev-d=unchanged" {
		t.Fatalf("actions %q\n%+v", got, run.Results)
	}
	if r := resultFor(t, run, "dev-b"); !strings.Contains(r.Error, "the code was created, but it did not become ready: UpdateFailed: InstallDependencyFailed") {
		t.Errorf("dev-b %q", r.Error)
	}
	if r := resultFor(t, run, "dev-c"); !strings.Contains(r.Error, "the new code was created, but its settings could not be applied: InvalidParameterValue.MemorySize") {
		t.Errorf("dev-c %q", r.Error)
	}
	if r := resultFor(t, run, "dev-a"); fmt.Sprint(r.Config) != "[memory 128 MB -> 512 MB]" {
		t.Errorf("dev-a config %q", r.Config)
	}
	// The unchanged env is configured too: settings can change without code.
	if be.count("configure dev-d") != 1 {
		t.Errorf("the unchanged env was not configured: %q", be.calls)
	}
}

func TestSmoke(t *testing.T) {
	t.Parallel()
	threw := func(string, int) (backend.InvokeResult, error) {
		return backend.InvokeResult{RespData: `{"errorCode":-1,"errorMessage":"TypeError: x is undefined"}`}, nil
	}
	tests := []struct {
		name     string
		seed     bool
		rollback bool
		expect   string
		invoke   func(env string, n int) (backend.InvokeResult, error)
		upErr    error
		want     result.Action
		frag     string
	}{
		{name: "passes", want: result.Updated, seed: true},
		{name: "not ready, then passes", seed: true, want: result.Updated, invoke: func(_ string, n int) (backend.InvokeResult, error) {
			if n < 3 {
				return backend.InvokeResult{}, &backend.Error{K: backend.KindBusy, Msg: "FailedOperation.FunctionStatusError"}
			}
			return backend.InvokeResult{RespData: "{}"}, nil
		}},
		{name: "threw, no rollback asked", seed: true, invoke: threw, want: result.Failed, frag: "smoke test failed: the function threw (errorCode -1): TypeError"},
		{name: "threw, rolled back", seed: true, rollback: true, invoke: threw, want: result.RolledBack, frag: "TypeError"},
		{name: "vendor says the function failed, with its log", seed: true, rollback: true, want: result.RolledBack, frag: "the function failed: UserCodeException",
			invoke: func(string, int) (backend.InvokeResult, error) {
				return backend.InvokeResult{FunctionError: "UserCodeException", Log: "Error: boom\n    at main"}, nil
			}},
		{name: "expectation not met", seed: true, expect: `{"ok":false}`, want: result.Failed, frag: "does not contain invoke-expect"},
		{name: "created function is not rolled back", rollback: true, invoke: threw, want: result.Failed, frag: "not rolled back: the function did not exist before this deploy"},
		{name: "rollback refused", seed: true, rollback: true, invoke: threw, upErr: &backend.Error{K: backend.KindOther, Msg: "rollback failed"}, want: result.Failed, frag: "ROLLBACK FAILED"},
		{name: "rollback lost", seed: true, rollback: true, invoke: threw, upErr: &backend.Error{K: backend.KindUnreachable, Msg: "connection reset"}, want: result.Failed, frag: "may or may not have been applied"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			be := newFake()
			old := zipOf(t, fn(t, "login", "old"))
			if tt.seed {
				be.seed("dev-a", "login", old)
			}
			be.invoke = tt.invoke
			if tt.upErr != nil {
				// Only the rollback's upload (the second update) fails.
				be.hook = func(call string) {
					if call == "upload update dev-a" && be.count("upload update dev-a") == 2 {
						be.mu.Lock()
						be.uploadErr["update dev-a"] = tt.upErr
						be.mu.Unlock()
					}
				}
			}
			cfg := testConfig("dev-a")
			cfg.Invoke, cfg.RollbackOnFailure = true, tt.rollback
			if tt.expect != "" {
				cfg.InvokeExpect, _ = expect.Parse(tt.expect)
			}
			deps, _ := testDeps(be)
			run := Deploy(context.Background(), cfg, deps, []Function{fn(t, "login", "v1", "dev-a")})
			r := resultFor(t, run, "dev-a")
			if r.Action != tt.want || !strings.Contains(r.Error, tt.frag) {
				t.Fatalf("%s %q, want %s with %q", r.Action, r.Error, tt.want, tt.frag)
			}
			if r.Invoke == nil {
				t.Fatal("no invoke in the result")
			}
			if tt.want == result.RolledBack {
				if z, _ := be.deployed("dev-a", "login"); !bytes.Equal(z, old) {
					t.Error("the old code is not back")
				}
				if run.OK() {
					t.Error("a rolled-back run is a failure")
				}
			}
			if strings.Contains(tt.name, "log") && r.Invoke.Log == "" {
				t.Error("the function's log is lost")
			}
		})
	}
}

func TestCancel(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		at    string // the call that cancels
		frag  string
		calls string // a call that must not happen
	}{
		{"before upload", "probe dev-a", "interrupted before upload; nothing was sent", "upload"},
		{"during wait", "wait dev-a", "interrupted after the upload: the new code was created but not confirmed ready", "invoke"},
		{"during smoke", "invoke dev-a", "interrupted during the smoke test: the new code was created but not tested; no rollback was attempted", "upload update"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			be := newFake()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			be.hook = func(call string) {
				if call == tt.at {
					cancel()
				}
			}
			be.invoke = func(string, int) (backend.InvokeResult, error) {
				return backend.InvokeResult{}, &backend.Error{K: backend.KindCancelled, Msg: "interrupted", Err: context.Canceled}
			}
			cfg := testConfig("dev-a")
			cfg.Invoke, cfg.RollbackOnFailure = true, true
			deps, _ := testDeps(be)
			run := Deploy(ctx, cfg, deps, []Function{fn(t, "login", "v1", "dev-a")})
			r := resultFor(t, run, "dev-a")
			if r.Action != result.Failed || !strings.Contains(r.Error, tt.frag) {
				t.Errorf("%s %q, want failed with %q", r.Action, r.Error, tt.frag)
			}
			if !run.Interrupted || run.OK() {
				t.Error("the run is not marked interrupted")
			}
			if be.count(tt.calls) != 0 && tt.calls != "upload update" {
				t.Errorf("%q was called after the cancel: %q", tt.calls, be.calls)
			}
		})
	}
}

// skipper answers for no env at all: a backend bug must not read as success.
type skipper struct{ *fake }

func (s skipper) Upload(context.Context, backend.UploadRequest) []backend.Outcome { return nil }

func TestMissingOutcomeFails(t *testing.T) {
	t.Parallel()
	deps, _ := testDeps(skipper{newFake()})
	run := Deploy(context.Background(), testConfig("dev-a"), deps, []Function{fn(t, "login", "v1", "dev-a")})
	if r := resultFor(t, run, "dev-a"); r.Action != result.Failed || !strings.Contains(r.Error, "no answer for env") {
		t.Errorf("%s %q", r.Action, r.Error)
	}
}

func TestHeartbeat(t *testing.T) {
	t.Parallel()
	be := newFake()
	deps, l := testDeps(be)
	deps.Heartbeat = time.Millisecond
	beat := make(chan struct{}, 1)
	deps.Logf = func(format string, args ...any) {
		l.logf(format, args...)
		if strings.HasPrefix(fmt.Sprintf(format, args...), "wait: 0/1 done") {
			select {
			case beat <- struct{}{}:
			default:
			}
		}
	}
	// The wait blocks until a heartbeat has said how far it got.
	be.hook = func(call string) {
		if call == "wait dev-a" {
			<-beat
		}
	}
	run := Deploy(context.Background(), testConfig("dev-a"), deps, []Function{fn(t, "login", "v1", "dev-a")})
	if !run.OK() {
		t.Fatal(run.Results)
	}
	for _, want := range []string{"probe: 1 pair", "upload: 1 pair in", "wait: 0/1 done", "wait: 1 pair in", "1 ready"} {
		if !strings.Contains(l.text(), want) {
			t.Errorf("progress lacks %q:\n%s", want, l.text())
		}
	}
}

func TestTransitions(t *testing.T) {
	t.Parallel()
	tests := []struct {
		from, to State
		ok       bool
	}{
		{Pending, Probed, true}, {Pending, Planned, true}, {Probed, Unchanged, true}, {Planned, Uploaded, true},
		{Planned, UploadFailed, true}, {UploadFailed, Planned, true}, {Uploaded, Ready, true}, {Ready, Tested, true},
		{Ready, SmokeFailed, true}, {SmokeFailed, RolledBack, true}, {Unchanged, Failed, true},
		{Pending, Uploaded, false}, {Planned, Ready, false}, {Uploaded, Tested, false}, {Tested, Failed, false},
		{RolledBack, Ready, false}, {Failed, Planned, false}, {Unchanged, Uploaded, false}, {SmokeFailed, Tested, false},
	}
	for _, tt := range tests {
		if got := CanMove(tt.from, tt.to); got != tt.ok {
			t.Errorf("CanMove(%s, %s) = %v, want %v", tt.from, tt.to, got, tt.ok)
		}
	}
	for s := Pending; s <= Failed; s++ {
		if s != Failed && !s.Final() && !CanMove(s, Failed) {
			t.Errorf("%s cannot fail", s)
		}
	}
	p := &pair{state: Tested}
	p.move(Planned)
	if p.state != Failed || !strings.Contains(p.msg, "internal error: tested -> planned") {
		t.Errorf("an illegal move left %s %q", p.state, p.msg)
	}
}

func TestSlices(t *testing.T) {
	t.Parallel()
	cfg := testConfig("e1", "e2", "e3", "e4", "e5", "e6", "e7")
	cfg.Targets = []config.Target{{Name: "a"}, {Name: "b"}, {Name: "c"}}
	all := map[string]int{}
	sizes := []int{}
	for i := 1; i <= 4; i++ {
		cfg.Shard = config.Shard{Index: i, Count: 4}
		n := 0
		for _, s := range Slices(cfg) {
			for _, env := range s.Envs {
				all[cfg.Targets[s.Target].Name+"@"+env]++
				n++
			}
		}
		sizes = append(sizes, n)
		again := fmt.Sprint(Slices(cfg))
		if again != fmt.Sprint(Slices(cfg)) {
			t.Error("slices are not deterministic")
		}
	}
	if len(all) != 21 {
		t.Errorf("%d distinct pairs over the shards, want 21", len(all))
	}
	for k, n := range all {
		if n != 1 {
			t.Errorf("%s in %d shards", k, n)
		}
	}
	if fmt.Sprint(sizes) != "[5 5 5 6]" {
		t.Errorf("shard sizes %v, want balanced", sizes)
	}
	if got := Matrix(3); got != `{"shard":["1/3","2/3","3/3"]}` {
		t.Errorf("Matrix = %s", got)
	}
}

func TestCommands(t *testing.T) {
	t.Parallel()
	be := newFake()
	be.envs = map[string]bool{"dev-a": true, "dev-b": true}
	cfg := testConfig("dev-a", "dev-b", "nope-c")
	cfg.Targets = []config.Target{{Name: "login"}}
	deps, _ := testDeps(be)
	run := CreateFunction(context.Background(), cfg, deps)
	if got := actions(run); got != "dev-a=created dev-b=created nope-c=failed" {
		t.Errorf("create: %q", got)
	}
	run = Invoke(context.Background(), cfg, deps)
	if got := actions(run); !strings.HasPrefix(got, "dev-a=invoked dev-b=invoked") {
		t.Errorf("invoke: %q", got)
	}
	dir := t.TempDir()
	be.envs["dev-c"] = true // an env without the function
	cfg.Envs = []string{"dev-a", "dev-c"}
	cfg.Output = filepath.Join(dir, "code.zip")
	be.seed("dev-a", "login", []byte("zip of dev-a"))
	run = Download(context.Background(), cfg, deps)
	if got := actions(run); got != "dev-a=downloaded dev-c=failed" {
		t.Errorf("download: %q (%+v)", got, run.Results)
	}
	// Several envs: the env ID goes into each file's name.
	if b, err := os.ReadFile(filepath.Join(dir, "code.dev-a.zip")); err != nil || string(b) != "zip of dev-a" {
		t.Errorf("code.dev-a.zip = %q, %v", b, err)
	}
	if r := resultFor(t, run, "dev-c"); !strings.Contains(r.Error, "does not exist") {
		t.Errorf("dev-c: %q", r.Error)
	}
}
