package deploy

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/wxcloud"
)

const (
	pathCreate   = "/componenttcb/batchuploadscf"
	pathUpdate   = "/componenttcb/batchuploadscfcode"
	pathInvoke   = "/tcb/invokecloudfunction"
	pathDownload = "/tcb/downloadfunction"
)

func TestDeployAuto(t *testing.T) {
	t.Parallel()
	type seed struct{ env, version string }
	tests := []struct {
		name        string
		seeds       []seed
		want        map[string]result.Action
		wantCreates int
		wantUpdates int
	}{
		{
			name:        "fresh envs are created with one batch call",
			want:        map[string]result.Action{"dev-a": result.Created, "dev-b": result.Created},
			wantCreates: 1,
		},
		{
			name:        "existing envs are updated with one batch call",
			seeds:       []seed{{"dev-a", "old"}, {"dev-b", "old"}},
			want:        map[string]result.Action{"dev-a": result.Updated, "dev-b": result.Updated},
			wantUpdates: 1,
		},
		{
			name:  "identical code is unchanged and nothing is uploaded",
			seeds: []seed{{"dev-a", "new"}, {"dev-b", "new"}},
			want:  map[string]result.Action{"dev-a": result.Unchanged, "dev-b": result.Unchanged},
		},
		{
			name:        "mixed envs in one run",
			seeds:       []seed{{"dev-a", "new"}, {"dev-b", "old"}},
			want:        map[string]result.Action{"dev-a": result.Unchanged, "dev-b": result.Updated, "dev-c": result.Created},
			wantCreates: 1,
			wantUpdates: 1,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, emulator.Options{})
			envs := []string{"dev-a", "dev-b"}
			if len(tt.want) == 3 {
				envs = append(envs, "dev-c")
			}
			cfg := baseConfig(envs...)
			for _, s := range tt.seeds {
				w.srv.Seed(s.env, "login", build(t, cfg, "login", s.version).Pkg.Zip)
			}
			b := build(t, cfg, "login", "new")
			run := Deploy(context.Background(), cfg, w.deps(), []Built{b})

			if got := actions(run, "login"); fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("actions = %v, want %v\nresults: %+v", got, tt.want, run.Results)
			}
			if got := writesTo(w.srv, pathCreate); got != tt.wantCreates {
				t.Errorf("batchuploadscf calls = %d, want %d", got, tt.wantCreates)
			}
			if got := writesTo(w.srv, pathUpdate); got != tt.wantUpdates {
				t.Errorf("batchuploadscfcode calls = %d, want %d", got, tt.wantUpdates)
			}
			if !run.OK() {
				t.Errorf("run not OK: %+v", run.Results)
			}
			for _, env := range envs {
				fn, ok := w.srv.Function(env, "login")
				if !ok || fn.SHA256 != b.Pkg.SHA256 {
					t.Errorf("%s runs %q, want the new code %q", env, fn.SHA256, b.Pkg.SHA256)
				}
			}
		})
	}
}

func TestDeployFailingEnvAmongSucceeding(t *testing.T) {
	t.Parallel()
	w := newWorld(t, emulator.Options{})
	w.srv.Inject(emulator.Fault{Path: pathCreate, FailEnv: "dev-b", FailMsg: "[LimitExceeded] function quota exceeded"})
	cfg := baseConfig("dev-a", "dev-b", "dev-c")
	b := build(t, cfg, "login", "v1")
	run := Deploy(context.Background(), cfg, w.deps(), []Built{b})

	want := map[string]result.Action{"dev-a": result.Created, "dev-b": result.Failed, "dev-c": result.Created}
	if got := actions(run, "login"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("actions = %v, want %v", got, want)
	}
	if run.OK() {
		t.Error("run.OK() = true with a failed env")
	}
	if r := resultFor(t, run, "login", "dev-b"); !strings.Contains(r.Error, "quota exceeded") {
		t.Errorf("dev-b error %q does not carry the vendor's message", r.Error)
	}
	if got := run.FailedEnvs(); fmt.Sprint(got) != "[dev-b]" {
		t.Errorf("FailedEnvs = %v", got)
	}
	if _, ok := w.srv.Function("dev-b", "login"); ok {
		t.Error("dev-b has the function although its create failed")
	}
}

func TestDeployFailListNamingUnrequestedEnv(t *testing.T) {
	t.Parallel()
	w := newWorld(t, emulator.Options{})
	w.srv.Inject(emulator.Fault{Path: pathCreate, FailEnv: "other-env", FailMsg: "stray"})
	cfg := baseConfig("dev-a")
	run := Deploy(context.Background(), cfg, w.deps(), []Built{build(t, cfg, "login", "v1")})
	if got := actions(run, "login")["dev-a"]; got != result.Created {
		t.Fatalf("dev-a = %s, want created", got)
	}
	if len(run.Warnings) == 0 || !strings.Contains(strings.Join(run.Warnings, "\n"), "other-env") {
		t.Errorf("no warning names the unrequested env: %q", run.Warnings)
	}
}

func TestDeployDryRunSendsNoWrite(t *testing.T) {
	t.Parallel()
	w := newWorld(t, emulator.Options{})
	cfg := baseConfig("dev-a", "dev-b", "dev-c")
	cfg.DryRun = true
	w.srv.Seed("dev-a", "login", build(t, cfg, "login", "old").Pkg.Zip)
	b := build(t, cfg, "login", "new")
	w.srv.Seed("dev-b", "login", b.Pkg.Zip)

	run := Deploy(context.Background(), cfg, w.deps(), []Built{b})
	if w.srv.Writes() != 0 {
		t.Fatalf("dry run sent %d write calls", w.srv.Writes())
	}
	want := map[string]result.Action{"dev-a": result.Planned, "dev-b": result.Unchanged, "dev-c": result.Planned}
	if got := actions(run, "login"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("actions = %v, want %v", got, want)
	}
	if d := resultFor(t, run, "login", "dev-a").Detail; !strings.Contains(d, "update") {
		t.Errorf("dev-a detail %q does not say update", d)
	}
	if d := resultFor(t, run, "login", "dev-c").Detail; !strings.Contains(d, "create") {
		t.Errorf("dev-c detail %q does not say create", d)
	}
}

func TestDeployManyFunctions(t *testing.T) {
	t.Parallel()
	w := newWorld(t, emulator.Options{})
	cfg := baseConfig("dev-a", "dev-b", "dev-c")
	var built []Built
	for i := 0; i < 20; i++ {
		built = append(built, build(t, cfg, fmt.Sprintf("fn%02d", i), "v1"))
	}
	// One function fails everywhere: the others must not care.
	w.srv.Inject(emulator.Fault{Path: pathCreate, Times: 1, Errcode: 40097})
	run := Deploy(context.Background(), cfg, w.deps(), built)
	if len(run.Results) != 60 {
		t.Fatalf("%d results, want 60", len(run.Results))
	}
	failed := 0
	for _, r := range run.Results {
		switch r.Action {
		case result.Created:
		case result.Failed:
			failed++
			if r.Errcode != 40097 {
				t.Errorf("%s@%s errcode = %d (%s), want 40097", r.Function, r.Env, r.Errcode, r.Error)
			}
		default:
			t.Errorf("%s@%s = %s", r.Function, r.Env, r.Action)
		}
	}
	if failed != 3 {
		t.Errorf("%d failed pairs, want the 3 of the one function whose call failed", failed)
	}
	if got := len(w.srv.Functions()); got != 57 {
		t.Errorf("emulator holds %d functions, want 57", got)
	}
	for i := 1; i < len(run.Results); i++ {
		if run.Results[i-1].Function > run.Results[i].Function {
			t.Fatal("results are not sorted by function")
		}
	}
}

func TestDeployFallsBackOnce(t *testing.T) {
	t.Parallel()
	w := newWorld(t, emulator.Options{})
	// downloadfunction keeps failing: existence unknown, so an update is tried
	// first; the function is missing, so it is retried as a create.
	w.srv.Inject(emulator.Fault{Path: pathDownload, Errcode: 40097})
	cfg := baseConfig("dev-a")
	run := Deploy(context.Background(), cfg, w.deps(), []Built{build(t, cfg, "login", "v1")})
	r := resultFor(t, run, "login", "dev-a")
	if r.Action != result.Created || !strings.Contains(r.Detail, "retried as create") {
		t.Fatalf("result = %+v, want created after a retry as create", r)
	}
	if got, want := writesTo(w.srv, pathUpdate)+writesTo(w.srv, pathCreate), 2; got != want {
		t.Errorf("%d upload calls, want %d", got, want)
	}
}

func TestDeployCreateModeDoesNotFallBack(t *testing.T) {
	t.Parallel()
	w := newWorld(t, emulator.Options{})
	cfg := baseConfig("dev-a")
	cfg.Mode = "create"
	w.srv.Seed("dev-a", "login", build(t, cfg, "login", "old").Pkg.Zip)
	run := Deploy(context.Background(), cfg, w.deps(), []Built{build(t, cfg, "login", "v1")})
	r := resultFor(t, run, "login", "dev-a")
	if r.Action != result.Failed || !wxcloud.MsgIsExists(r.Error) {
		t.Fatalf("result = %+v, want failed: function exists", r)
	}
	if writesTo(w.srv, pathUpdate) != 0 || writesTo(w.srv, pathDownload) != 0 {
		t.Error("mode create sent a probe or an update")
	}
}

func TestDeployNoCloudDevelopment(t *testing.T) {
	t.Parallel()
	w := newWorld(t, emulator.Options{Envs: []string{"dev-a"}})
	cfg := baseConfig("dev-a", "nocloud-1")
	run := Deploy(context.Background(), cfg, w.deps(), []Built{build(t, cfg, "login", "v1")})
	r := resultFor(t, run, "login", "nocloud-1")
	if r.Action != result.Failed || r.Errcode != 85088 {
		t.Fatalf("result = %+v, want failed with 85088", r)
	}
	if !strings.Contains(r.Error, "cloud development") {
		t.Errorf("error %q does not explain 85088", r.Error)
	}
	if got := actions(run, "login")["dev-a"]; got != result.Created {
		t.Errorf("dev-a = %s, want created", got)
	}
}

func TestDeployCancelledReportsEveryPair(t *testing.T) {
	t.Parallel()
	w := newWorld(t, emulator.Options{})
	cfg := baseConfig("dev-a", "dev-b")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	run := Deploy(ctx, cfg, w.deps(), []Built{build(t, cfg, "a1", "v1"), build(t, cfg, "b1", "v1")})
	if !run.Interrupted || run.OK() {
		t.Fatalf("interrupted=%v ok=%v, want an interrupted, failed run", run.Interrupted, run.OK())
	}
	if len(run.Results) != 4 {
		t.Fatalf("%d results, want 4", len(run.Results))
	}
	for _, r := range run.Results {
		if r.Action != result.Failed || r.Error == "" {
			t.Errorf("%s@%s = %s %q, want failed with a reason", r.Function, r.Env, r.Action, r.Error)
		}
	}
	if w.srv.Writes() != 0 {
		t.Errorf("%d writes after cancel", w.srv.Writes())
	}
}

func TestTokenRefreshOn42001(t *testing.T) {
	t.Parallel()
	// The access token comes from stable_token, so a 42001 can be refreshed.
	w2 := newWorld(t, emulator.Options{})
	c := wxcloud.NewClient(nil, wxcloud.WithBaseURL(w2.url), wxcloud.WithSleep(noSleep), wxcloud.WithRetries(1))
	wxcloud.WithTokens(wxcloud.StableToken(c, "wx-appid-1", "app-secret-123456"), nil)(c)
	w2.client = c

	cfg := baseConfig("dev-a")
	run := Deploy(context.Background(), cfg, w2.deps(), []Built{build(t, cfg, "login", "v1")})
	if !run.OK() {
		t.Fatalf("first deploy failed: %+v", run.Results)
	}
	w2.srv.ExpireTokens()
	run = Deploy(context.Background(), cfg, w2.deps(), []Built{build(t, cfg, "login", "v2")})
	if got := actions(run, "login")["dev-a"]; got != result.Updated {
		t.Fatalf("after expiry: %+v", run.Results)
	}
	if got := writesTo(w2.srv, "/cgi-bin/stable_token"); got != 2 {
		t.Errorf("stable_token called %d times, want 2 (first fetch + one refresh)", got)
	}
	if got := writesTo(w2.srv, "/cgi-bin/token"); got != 0 {
		t.Errorf("/cgi-bin/token was called %d times: it must never be", got)
	}
}

func TestDeployWithOnlyComponentToken(t *testing.T) {
	t.Parallel()
	w := newWorld(t, emulator.Options{})
	c := wxcloud.NewClient(nil, wxcloud.WithBaseURL(w.url), wxcloud.WithSleep(noSleep))
	wxcloud.WithTokens(nil, wxcloud.StaticToken(w.srv.Token()))(c)
	w.client = c
	cfg := baseConfig("dev-a", "dev-b")
	cfg.ComponentAccessToken = w.srv.Token()
	w.srv.Seed("dev-a", "login", build(t, cfg, "login", "old").Pkg.Zip)

	run := Deploy(context.Background(), cfg, w.deps(), []Built{build(t, cfg, "login", "new")})
	want := map[string]result.Action{"dev-a": result.Updated, "dev-b": result.Created}
	if got := actions(run, "login"); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("actions = %v, want %v: %+v", got, want, run.Results)
	}
	if n := writesTo(w.srv, pathDownload); n != 0 {
		t.Errorf("%d downloadfunction calls without an access token", n)
	}
}

func TestDeployUnknownServerWording(t *testing.T) {
	t.Parallel()
	// A server whose probe fails with a code we do not know and whose update
	// fail list words "missing" its own way: the update is retried as a
	// create once, and a failure of both keeps both messages.
	tests := []struct {
		name      string
		createErr string // fail the create too, with this message
		want      result.Action
	}{
		{name: "create succeeds", want: result.Created},
		{name: "create fails too", createErr: "quota", want: result.Failed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, emulator.Options{})
			w.srv.Inject(emulator.Fault{Path: pathDownload, Body: `{"errcode":-99999,"errmsg":"something odd"}`})
			w.srv.Inject(emulator.Fault{Path: pathUpdate, FailEnv: "dev-a", FailMsg: "E_NOFUNC"})
			if tt.createErr != "" {
				w.srv.Inject(emulator.Fault{Path: pathCreate, FailEnv: "dev-a", FailMsg: tt.createErr})
			}
			cfg := baseConfig("dev-a")
			run := Deploy(context.Background(), cfg, w.deps(), []Built{build(t, cfg, "login", "v1")})
			r := resultFor(t, run, "login", "dev-a")
			if r.Action != tt.want {
				t.Fatalf("result = %+v, want %s", r, tt.want)
			}
			if tt.createErr != "" && (!strings.Contains(r.Error, "E_NOFUNC") || !strings.Contains(r.Error, tt.createErr)) {
				t.Errorf("error %q should carry both the update's and the create's message", r.Error)
			}
		})
	}
}

func TestDeployUnattributedFailureIsNotSuccess(t *testing.T) {
	t.Parallel()
	w := newWorld(t, emulator.Options{})
	cfg := baseConfig("dev-a", "dev-b")
	w.srv.Inject(emulator.Fault{Path: pathCreate, Body: `{"errcode":0,"errmsg":"ok","fail_env_list":[{"errmsg":"[FailedOperation] create failed"}]}`})
	run := Deploy(context.Background(), cfg, w.deps(), []Built{build(t, cfg, "login", "v1")})
	for _, env := range cfg.Envs {
		r := resultFor(t, run, "login", env)
		if r.Action != result.Failed || !strings.Contains(r.Error, "without naming its env") {
			t.Errorf("%s = %+v, want failed: the failure was not attributed", env, r)
		}
	}
}

func TestDeployFallbackDecidesOnVendorMessage(t *testing.T) {
	t.Parallel()
	t.Run("whole-call exists error on create retries as update", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, emulator.Options{})
		cfg := baseConfig("dev-a")
		w.srv.Seed("dev-a", "login", build(t, cfg, "login", "old").Pkg.Zip)
		w.srv.Inject(emulator.Fault{Path: pathDownload, Body: `{"errcode":-501000,"errmsg":"[ResourceNotFound.Function] function not found"}`})
		w.srv.Inject(emulator.Fault{Path: pathCreate, Body: `{"errcode":-501000,"errmsg":"[ResourceInUse.Function] function already exists"}`})
		run := Deploy(context.Background(), cfg, w.deps(), []Built{build(t, cfg, "login", "new")})
		if r := resultFor(t, run, "login", "dev-a"); r.Action != result.Updated {
			t.Fatalf("result = %+v, want updated after the retry", r)
		}
	})
	t.Run("other -501000 error on update is not retried as create", func(t *testing.T) {
		t.Parallel()
		w := newWorld(t, emulator.Options{})
		cfg := baseConfig("dev-a")
		w.srv.Seed("dev-a", "login", build(t, cfg, "login", "old").Pkg.Zip)
		w.srv.Inject(emulator.Fault{Path: pathUpdate, Body: `{"errcode":-501000,"errmsg":"[FailedOperation] function operation failed"}`})
		run := Deploy(context.Background(), cfg, w.deps(), []Built{build(t, cfg, "login", "new")})
		if r := resultFor(t, run, "login", "dev-a"); r.Action != result.Failed {
			t.Fatalf("result = %+v, want failed", r)
		}
		if n := writesTo(w.srv, pathCreate); n != 0 {
			t.Errorf("%d creates sent for a function that exists", n)
		}
	})
}
