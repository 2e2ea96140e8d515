package tencentcloud

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
)

func vars(kv ...string) []any {
	var out []any
	for i := 0; i < len(kv); i += 2 {
		out = append(out, map[string]any{"Key": kv[i], "Value": kv[i+1]})
	}
	return out
}

func trig(name, desc string, managed bool) map[string]any {
	t := map[string]any{"TriggerName": name, "Type": "timer", "TriggerDesc": desc, "Enable": 1, "Qualifier": "$DEFAULT"}
	if managed {
		t["Description"] = managedMarker
	}
	return t
}

func timerT(name, cron string) backend.Trigger {
	return backend.Trigger{Name: name, Type: "timer", Config: cron}
}

func TestConfigureSettings(t *testing.T) {
	t.Parallel()
	current := fn("Active", map[string]any{"Timeout": 3, "MemorySize": 128,
		"Environment": map[string]any{"Variables": vars("OLD", "x", "KEEP", "same", "CHANGE", "a")}})
	tests := []struct {
		name   string
		want   backend.Settings
		dryRun bool
		lines  []string
		body   map[string]any // UpdateFunctionConfiguration; nil: none sent
	}{
		{
			name: "equal: nothing written",
			want: backend.Settings{Timeout: intp(3), MemorySize: intp(128), EnvVars: map[string]string{"OLD": "x", "KEEP": "same", "CHANGE": "a"},
				Runtime: "Nodejs18.15", Handler: "index.main", InstallDependency: boolp(true)},
		},
		{
			name:  "unmanaged settings are left alone",
			want:  backend.Settings{},
			lines: nil,
		},
		{
			name:  "changes",
			want:  backend.Settings{Timeout: intp(20), MemorySize: intp(512), EnvVars: map[string]string{"KEEP": "same", "CHANGE": "b", "API_KEY": "s3cr3t-value-123"}},
			lines: []string{"timeout 3s -> 20s", "memory 128 MB -> 512 MB", "env vars: set API_KEY, CHANGE, removed OLD"},
			body: map[string]any{"FunctionName": "login", "Namespace": "dev-1", "Timeout": 20, "MemorySize": 512, "InstallDependency": "TRUE",
				"Environment": map[string]any{"Variables": vars("API_KEY", "s3cr3t-value-123", "CHANGE", "b", "KEEP", "same")}},
		},
		{
			name:   "changes, dry run",
			want:   backend.Settings{Timeout: intp(20), Runtime: "Nodejs16.13", InstallDependency: boolp(false)},
			dryRun: true,
			lines:  []string{"timeout 3s -> 20s", "runtime Nodejs18.15 -> Nodejs16.13", "install dependency TRUE -> FALSE"},
		},
		{
			name:  "removing every variable",
			want:  backend.Settings{EnvVars: map[string]string{}},
			lines: []string{"env vars: removed CHANGE, KEEP, OLD"},
			body:  map[string]any{"FunctionName": "login", "Namespace": "dev-1", "InstallDependency": "TRUE", "Environment": map[string]any{"Variables": []any{}}},
		},
		{
			name:   "handler, dry run: it goes with the code",
			want:   backend.Settings{Handler: "app.main"},
			dryRun: true,
			lines:  []string{"handler index.main -> app.main (sent with the code)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := newKit(t, nil)
			k.api.always("GetFunction", current)
			lines, err := k.b.Configure(context.Background(), "login", "dev-1", tt.want, tt.dryRun)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(lines, tt.lines) {
				t.Errorf("lines\n got %q\nwant %q", lines, tt.lines)
			}
			for _, l := range lines {
				noSecrets(t, l, "s3cr3t-value-123")
			}
			reqs := k.api.requests("UpdateFunctionConfiguration")
			switch {
			case tt.body == nil && k.api.writes() != 0:
				t.Errorf("%d writes, want none", k.api.writes())
			case tt.body != nil && len(reqs) != 1:
				t.Fatalf("%d UpdateFunctionConfiguration, want 1", len(reqs))
			case tt.body != nil:
				if got, want := jsonOf(t, reqs[0].Body), jsonOf(t, tt.body); got != want {
					t.Errorf("body\n got %s\nwant %s", got, want)
				}
				if k.api.count("GetFunction") < 2 {
					t.Error("did not wait for Active after the update")
				}
			}
			if k.api.count("ListTriggers") != 0 {
				t.Error("listed triggers of a function that says it has none, with none wanted")
			}
		})
	}
}

func TestConfigureHandlerMismatchFails(t *testing.T) {
	t.Parallel()
	k := newKit(t, nil)
	k.api.always("GetFunction", fn("Active", nil))
	_, err := k.b.Configure(context.Background(), "login", "dev-1", backend.Settings{Handler: "app.main", Timeout: intp(9)}, false)
	if err == nil || !strings.Contains(err.Error(), "UpdateFunctionCode") || k.api.writes() != 0 {
		t.Errorf("err = %v, %d writes", err, k.api.writes())
	}
}

func TestConfigureMissingFunction(t *testing.T) {
	t.Parallel()
	k := newKit(t, nil)
	k.api.always("GetFunction", apiErr("ResourceNotFound.Function", "no"))
	want := backend.Settings{Timeout: intp(20), MemorySize: intp(256), EnvVars: map[string]string{"B": "x", "A": "y"}, Triggers: []backend.Trigger{timerT("nightly", "0 0 2 * * * *")}}
	lines, err := k.b.Configure(context.Background(), "login", "dev-1", want, true)
	wantLines := []string{"timeout 20s (new function)", "memory 256 MB (new function)", "env vars: set A, B (new function)",
		"runtime Nodejs18.15 (new function)", "handler index.main (new function)", "trigger nightly created (0 0 2 * * * *)"}
	if err != nil || !slices.Equal(lines, wantLines) {
		t.Errorf("dry run: %v\n got %q\nwant %q", err, lines, wantLines)
	}
	if _, err := k.b.Configure(context.Background(), "login", "dev-1", want, false); backend.KindOf(err) != backend.KindNotFound {
		t.Errorf("not a dry run: err = %v, want not found", err)
	}
	if k.api.writes() != 0 {
		t.Errorf("%d writes", k.api.writes())
	}
}

func TestConfigureTriggers(t *testing.T) {
	t.Parallel()
	existing := []any{
		trig("nightly", `{"cron":"0 0 1 * * * *"}`, true),
		trig("hourly", "0 0  * * * * *", true),
		trig("old", `{"cron":"0 0 5 * * * *"}`, true),
		trig("manual", `{"cron":"0 30 9 * * * *"}`, false),
	}
	want := []backend.Trigger{timerT("nightly", "0 0 2 * * * *"), timerT("hourly", "0 0 * * * * *"), timerT("weekly", "0 0 3 * * 1 *")}
	tests := []struct {
		name    string
		prune   bool
		want    []backend.Trigger
		dryRun  bool
		lines   []string
		deletes []string
		creates []string
	}{
		{
			name: "create, replace, delete what this tool made; leave the rest", want: want,
			lines:   []string{"trigger old deleted", "trigger nightly replaced (0 0 1 * * * * -> 0 0 2 * * * *)", "trigger weekly created (0 0 3 * * 1 *)"},
			deletes: []string{"nightly", "old"}, creates: []string{"nightly", "weekly"},
		},
		{
			name: "dry run", want: want, dryRun: true,
			lines: []string{"trigger old deleted", "trigger nightly replaced (0 0 1 * * * * -> 0 0 2 * * * *)", "trigger weekly created (0 0 3 * * 1 *)"},
		},
		{
			name: "prune deletes the others too", want: want, prune: true,
			lines:   []string{"trigger old deleted", "trigger manual deleted (timer, not created by wxcloud-deploy; prune-triggers)", "trigger nightly replaced (0 0 1 * * * * -> 0 0 2 * * * *)", "trigger weekly created (0 0 3 * * 1 *)"},
			deletes: []string{"nightly", "old", "manual"}, creates: []string{"nightly", "weekly"},
		},
		{
			name:    "no triggers wanted: only this tool's are deleted",
			lines:   []string{"trigger nightly deleted", "trigger hourly deleted", "trigger old deleted"},
			deletes: []string{"nightly", "hourly", "old"},
		},
		{
			name: "equal: nothing", want: []backend.Trigger{timerT("nightly", "0 0 1 * * * *"), timerT("hourly", "0 0 * * * * *"), timerT("old", "0  0 5 * * * *"), timerT("manual", "0 30 9 * * * *")},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := newKit(t, nil)
			k.api.always("GetFunction", fn("Active", map[string]any{"Triggers": existing}))
			k.api.always("ListTriggers", map[string]any{"TotalCount": len(existing), "Triggers": existing})
			lines, err := k.b.Configure(context.Background(), "login", "dev-1", backend.Settings{Triggers: tt.want, PruneTriggers: tt.prune}, tt.dryRun)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(lines, tt.lines) {
				t.Errorf("lines\n got %q\nwant %q", lines, tt.lines)
			}
			var dels, creates []string
			for _, r := range k.api.requests("DeleteTrigger", "CreateTrigger") {
				if r.Action == "DeleteTrigger" {
					dels = append(dels, r.Body["TriggerName"].(string))
					if r.Body["Type"] != "timer" || r.Body["Qualifier"] != "$DEFAULT" || r.Body["Namespace"] != "dev-1" {
						t.Errorf("DeleteTrigger body %v", r.Body)
					}
					continue
				}
				creates = append(creates, r.Body["TriggerName"].(string))
				if r.Body["TriggerName"] == "weekly" {
					wantBody := map[string]any{"FunctionName": "login", "Namespace": "dev-1", "TriggerName": "weekly", "Type": "timer",
						"TriggerDesc": "0 0 3 * * 1 *", "Enable": "OPEN", "Description": managedMarker}
					if got, w := jsonOf(t, r.Body), jsonOf(t, wantBody); got != w {
						t.Errorf("CreateTrigger body\n got %s\nwant %s", got, w)
					}
				}
			}
			if !slices.Equal(dels, tt.deletes) || !slices.Equal(creates, tt.creates) {
				t.Errorf("deleted %q, created %q; want %q, %q", dels, creates, tt.deletes, tt.creates)
			}
			if n := len(k.api.requests("DeleteTrigger", "CreateTrigger")); n > 0 && k.api.requests("DeleteTrigger", "CreateTrigger")[0].Action == "CreateTrigger" && len(dels) > 0 {
				t.Error("created before deleting: a replaced trigger's name must be free first")
			}
		})
	}
}

func TestConfigureTriggerConflict(t *testing.T) {
	t.Parallel()
	k := newKit(t, nil)
	existing := []any{trig("nightly", "0 0 1 * * * *", false)}
	k.api.always("GetFunction", fn("Active", map[string]any{"Triggers": existing}))
	k.api.always("ListTriggers", map[string]any{"TotalCount": 1, "Triggers": existing})
	_, err := k.b.Configure(context.Background(), "login", "dev-1", backend.Settings{Triggers: []backend.Trigger{timerT("nightly", "0 0 2 * * * *")}}, false)
	if err == nil || !strings.Contains(err.Error(), "not created by wxcloud-deploy") || !strings.Contains(err.Error(), "prune-triggers") || k.api.writes() != 0 {
		t.Errorf("err = %v, %d writes", err, k.api.writes())
	}
}

func TestConfigureTriggerListing(t *testing.T) {
	t.Parallel()
	t.Run("pages", func(t *testing.T) {
		t.Parallel()
		k := newKit(t, nil)
		k.api.always("GetFunction", fn("Active", map[string]any{"Triggers": nil}))
		k.api.on("ListTriggers", func(r apiRequest, n int) answer {
			off := int(r.Body["Offset"].(float64))
			var page []any
			for i := off; i < min(off+int(r.Body["Limit"].(float64)), 150); i++ {
				page = append(page, trig(fmt.Sprintf("t%03d", i), "0 0 1 * * * *", i == 149))
			}
			return map[string]any{"TotalCount": 150, "Triggers": page}
		})
		lines, err := k.b.Configure(context.Background(), "login", "dev-1", backend.Settings{}, true)
		if err != nil || !slices.Equal(lines, []string{"trigger t149 deleted"}) || k.api.count("ListTriggers") != 2 {
			t.Errorf("err %v, lines %q, %d pages", err, lines, k.api.count("ListTriggers"))
		}
	})
	t.Run("without ListTriggers, GetFunction's list", func(t *testing.T) {
		t.Parallel()
		k := newKit(t, nil)
		k.api.always("GetFunction", fn("Active", map[string]any{"Triggers": []any{trig("old", "0 0 1 * * * *", true)}}))
		k.api.always("ListTriggers", apiErr("InvalidAction", "no such action"))
		lines, err := k.b.Configure(context.Background(), "login", "dev-1", backend.Settings{}, false)
		if err != nil || !slices.Equal(lines, []string{"trigger old deleted"}) || k.api.count("DeleteTrigger") != 1 {
			t.Errorf("err %v, lines %q", err, lines)
		}
	})
	t.Run("a trigger already gone is fine", func(t *testing.T) {
		t.Parallel()
		k := newKit(t, nil)
		k.api.always("GetFunction", fn("Active", map[string]any{"Triggers": []any{trig("old", "0 0 1 * * * *", true)}}))
		k.api.always("ListTriggers", map[string]any{"TotalCount": 1, "Triggers": []any{trig("old", "0 0 1 * * * *", true)}})
		k.api.always("DeleteTrigger", apiErr("ResourceNotFound.Trigger", "gone"))
		if _, err := k.b.Configure(context.Background(), "login", "dev-1", backend.Settings{}, false); err != nil {
			t.Error(err)
		}
	})
}

func TestConfigureRefusesBadTriggers(t *testing.T) {
	t.Parallel()
	for _, tr := range [][]backend.Trigger{
		{{Name: "up", Type: "cos", Config: "x"}},
		{timerT("short", "0 0 1 * *")},
		{timerT("", "0 0 1 * * * *")},
		{timerT("twice", "0 0 1 * * * *"), timerT("twice", "0 0 2 * * * *")},
	} {
		k := newKit(t, nil)
		if _, err := k.b.Configure(context.Background(), "login", "dev-1", backend.Settings{Triggers: tr}, true); err == nil || len(k.api.requests()) != 0 {
			t.Errorf("%v: err = %v, %d requests", tr, err, len(k.api.requests()))
		}
	}
}

func TestParseCron(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"0 0 2 * * * *", "0 0 2 * * * *", true},
		{"  0  0 2 * * *   * ", "0 0 2 * * * *", true},
		{`{"cron":"0 0 2 * * * *"}`, "0 0 2 * * * *", true},
		{`{"cron": "0 0 2 * * * *", "other": 1}`, "0 0 2 * * * *", true},
		{"0 0 2 * * *", "", false},
		{`{"cron":`, "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got, ok := parseCron(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("parseCron(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// The wait's last GetFunction (or the probe's, for unchanged code) serves
// the Configure that follows: no second read of the same state; an upload
// in between makes it stale.
func TestConfigureReusesTheWaitsRead(t *testing.T) {
	t.Parallel()
	k := newKit(t, nil)
	k.api.on("GetFunction", func(apiRequest, int) answer { return fn("Active", map[string]any{"Timeout": 3}) })
	k.api.on("ListTriggers", func(apiRequest, int) answer { return map[string]any{"Triggers": []any{}, "TotalCount": 0} })
	ctx := context.Background()
	if err := k.b.WaitReady(ctx, "login", "dev-1", backend.Zip{}); err != nil {
		t.Fatal(err)
	}
	if _, err := k.b.Configure(ctx, "login", "dev-1", backend.Settings{Timeout: intp(3)}, false); err != nil {
		t.Fatal(err)
	}
	if n := k.api.count("GetFunction"); n != 1 {
		t.Errorf("%d GetFunction calls, want the wait's one", n)
	}
	// Read once: a second Configure reads again.
	if _, err := k.b.Configure(ctx, "login", "dev-1", backend.Settings{Timeout: intp(3)}, false); err != nil {
		t.Fatal(err)
	}
	if n := k.api.count("GetFunction"); n != 2 {
		t.Errorf("%d GetFunction calls, want 2", n)
	}
	// An upload makes what was read stale.
	if _, err := k.b.Probe(ctx, "login", "dev-1"); err != nil {
		t.Fatal(err)
	}
	k.b.Upload(ctx, backend.UploadRequest{Op: backend.Update, Function: "login", Envs: []string{"dev-1"}, Zip: testZip(t, "zip")})
	before := k.api.count("GetFunction")
	if _, err := k.b.Configure(ctx, "login", "dev-1", backend.Settings{Timeout: intp(3)}, false); err != nil {
		t.Fatal(err)
	}
	if k.api.count("GetFunction") != before+1 {
		t.Error("Configure after an upload used a read from before it")
	}
}
