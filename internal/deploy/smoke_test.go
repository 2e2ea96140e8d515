package deploy

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

func TestSmokeTest(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		expect  string
		fault   *emulator.Fault
		ready   int // invokes answered "not ready" first
		wantOK  bool
		wantErr string
	}{
		{name: "passes without expectation", wantOK: true},
		{name: "JSON subset matches", expect: `{"echo":{"ping":true},"function":"login"}`, wantOK: true},
		{name: "regexp matches", expect: `/"ping":\s*true/`, wantOK: true},
		{name: "waits until the function is ready", ready: 2, wantOK: true},
		{name: "JSON subset mismatch", expect: `{"echo":{"ping":false}}`, wantErr: "does not contain invoke-expect"},
		{name: "regexp mismatch", expect: `/pong/`, wantErr: "does not match invoke-expect"},
		{name: "function error", fault: &emulator.Fault{Path: pathInvoke, Errcode: -504002}, wantErr: "-504002"},
		{name: "threw inside resp_data", fault: &emulator.Fault{Path: pathInvoke, Body: `{"errcode":0,"errmsg":"ok","resp_data":"{\"errorCode\":-1,\"errorMessage\":\"boom\"}"}`}, wantErr: "boom"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, emulator.Options{})
			if tt.fault != nil {
				w.srv.Inject(*tt.fault)
			}
			if tt.ready > 0 {
				w.srv.SetNotReady("dev-a", "login", tt.ready)
			}
			cfg := baseConfig("dev-a")
			cfg.Invoke, cfg.InvokeExpect = true, tt.expect
			run := Deploy(context.Background(), cfg, w.deps(), []Built{build(t, cfg, "login", "v1")})
			r := resultFor(t, run, "login", "dev-a")
			if r.Invoke == nil {
				t.Fatalf("no smoke test result: %+v", r)
			}
			if r.Invoke.OK != tt.wantOK {
				t.Fatalf("invoke ok = %v (%q), want %v", r.Invoke.OK, r.Invoke.Error, tt.wantOK)
			}
			if tt.wantOK {
				if r.Action != result.Created {
					t.Errorf("action = %s, want created", r.Action)
				}
				return
			}
			if r.Action != result.Failed || run.OK() {
				t.Errorf("action = %s, ok = %v: a failed smoke test must fail the pair", r.Action, run.OK())
			}
			if !strings.Contains(r.Error, tt.wantErr) || !strings.Contains(r.Invoke.Error, tt.wantErr) {
				t.Errorf("error %q / invoke error %q, want them to contain %q", r.Error, r.Invoke.Error, tt.wantErr)
			}
		})
	}
}

func TestRollback(t *testing.T) {
	t.Parallel()
	w := newWorld(t, emulator.Options{})
	cfg := baseConfig("dev-a", "dev-b")
	cfg.Invoke, cfg.RollbackOnFailure = true, true
	old := build(t, cfg, "login", "old")
	w.srv.Seed("dev-a", "login", old.Pkg.Zip)
	// dev-b is new: nothing to roll back to.
	w.srv.Inject(emulator.Fault{Path: pathInvoke, Errcode: -504002})

	b := build(t, cfg, "login", "broken")
	run := Deploy(context.Background(), cfg, w.deps(), []Built{b})

	a := resultFor(t, run, "login", "dev-a")
	if a.Action != result.RolledBack {
		t.Fatalf("dev-a = %+v, want rolled_back", a)
	}
	if fn, _ := w.srv.Function("dev-a", "login"); fn.SHA256 != old.Pkg.SHA256 {
		t.Errorf("dev-a runs %s after rollback, want the previous %s", fn.SHA256, old.Pkg.SHA256)
	}
	if a.PreviousSHA256 != old.Pkg.SHA256 {
		t.Errorf("previous_sha256 = %q, want %q", a.PreviousSHA256, old.Pkg.SHA256)
	}
	bres := resultFor(t, run, "login", "dev-b")
	if bres.Action != result.Failed || !strings.Contains(bres.Error, "did not exist before") {
		t.Errorf("dev-b = %+v, want failed saying there was nothing to roll back", bres)
	}
	if run.OK() {
		t.Error("a rolled-back run must not count as success")
	}
}

func TestRollbackWithoutBackupSaysSo(t *testing.T) {
	t.Parallel()
	w := newWorld(t, emulator.Options{})
	cfg := baseConfig("dev-a")
	cfg.Invoke, cfg.RollbackOnFailure = true, true
	w.srv.Seed("dev-a", "login", build(t, cfg, "login", "old").Pkg.Zip)
	// The code URL cannot be fetched: the update goes ahead, without a backup.
	w.srv.Inject(emulator.Fault{Path: "/_emulator/code/dev-a/login/1", HTTPStatus: 403, Body: "<Error>AccessDenied</Error>"})
	w.srv.Inject(emulator.Fault{Path: pathInvoke, Errcode: -504002})
	run := Deploy(context.Background(), cfg, w.deps(), []Built{build(t, cfg, "login", "new")})
	r := resultFor(t, run, "login", "dev-a")
	if r.Action != result.Failed || !strings.Contains(r.Error, "no backup") {
		t.Fatalf("result = %+v, want failed saying no backup was taken", r)
	}
}

func TestCheckResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		resp, expect string
		ok           bool
	}{
		{`{"a":1,"b":{"c":[1,2]}}`, `{"b":{"c":[1,2]}}`, true},
		{`{"a":1}`, `{"a":1.0}`, true},
		{`{"a":1}`, `{"a":"1"}`, false},
		{`{"a":[1,2,3]}`, `{"a":[1,2]}`, false},
		{`hello`, `"hello"`, true},
		{`hello`, `/^hel+o$/`, true},
		{`hello`, `{"a":1}`, false},
		{`{"errorCode":-1,"errorMessage":"x"}`, ``, false},
		{`{"errorMessage":"x"}`, `/x/`, false},
		{`null`, ``, true},
		{`[1,{"k":"v","z":0}]`, `[1,{"k":"v"}]`, true},
	}
	for _, tt := range tests {
		err := checkResponse(tt.resp, tt.expect)
		if (err == nil) != tt.ok {
			t.Errorf("checkResponse(%q, %q) = %v, want ok=%v", tt.resp, tt.expect, err, tt.ok)
		}
	}
}

func TestSmokeTestInterruptedIsNotAFailedFunction(t *testing.T) {
	t.Parallel()
	w := newWorld(t, emulator.Options{})
	cfg := baseConfig("dev-a")
	cfg.Invoke, cfg.RollbackOnFailure = true, true
	w.srv.Seed("dev-a", "login", build(t, cfg, "login", "old").Pkg.Zip)
	w.srv.SetNotReady("dev-a", "login", 5)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	deps := w.deps()
	// The job is cancelled while the smoke test waits for readiness.
	deps.Sleep = func(ctx context.Context, d time.Duration) error { cancel(); return context.Canceled }
	run := Deploy(ctx, cfg, deps, []Built{build(t, cfg, "login", "new")})
	r := resultFor(t, run, "login", "dev-a")
	if r.Action != result.Failed || !strings.Contains(r.Error, "interrupted during the smoke test") || strings.Contains(r.Error, "ROLLBACK") {
		t.Fatalf("result = %+v, want failed as interrupted, without a rollback", r)
	}
	if n := writesTo(w.srv, pathUpdate); n != 1 {
		t.Errorf("%d updates, want 1 (no rollback upload)", n)
	}
}
