package e2e

import (
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/testkit"
)

const (
	// nightlyConfig is a WeChat DevTools config.json with one timer trigger.
	nightlyConfig = `{"permissions":{"openapi":[]},"triggers":[{"name":"nightly","type":"timer","config":"0 0 2 * * * *"}]}`
	// noTriggerConfig is the same file once the trigger is removed.
	noTriggerConfig = `{"permissions":{"openapi":[]}}`
	// envVarValue is an env-vars value: change lines name keys, never values.
	envVarValue = "prod-value-9d41"
)

// settingsInputs are the settings inputs of issue 14 on top of a
// tencentcloud deploy of hello from the workspace to dev-a and dev-b.
func settingsInputs(emu *testkit.Emulator, ws *testkit.Workspace) testkit.Inputs {
	return emu.TencentCloud().With("function-name", fnName, "path", fnName, "envs", "dev-a,dev-b",
		"workspace", ws.Dir, "retries", "0", "json", "true",
		"function-timeout", "20", "memory", "512", "env-vars", "MODE="+envVarValue+"\nLEVEL=3")
}

func triggerNames(fn emulator.Function) []string {
	var out []string
	for _, tr := range fn.Triggers {
		out = append(out, tr.Name)
	}
	slices.Sort(out)
	return out
}

func hasLine(lines []string, sub string) bool {
	for _, l := range lines {
		if strings.Contains(l, sub) {
			return true
		}
	}
	return false
}

// TestSettingsAndTriggers: function-timeout, memory, env-vars and a
// config.json timer trigger reach the function in every env (new or
// existing) with config lines in the results; an unchanged redeploy writes
// no setting or trigger; a trigger removed from config.json is deleted
// while one made by someone else stays, until prune-triggers: true.
func TestSettingsAndTriggers(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, testkit.EmulatorOptions{})
	ws := testkit.NewWorkspace(t)
	ws.Hello(fnName)
	ws.Write(fnName+"/config.json", nightlyConfig)
	// dev-b already runs the function, made through WeChat (3 s, 256 MB).
	emu.Seed("dev-b", fnName, oldZip(t))
	emu.ResetCalls()
	in := settingsInputs(emu, ws)
	envs := []string{"dev-a", "dev-b"}
	deploy := func(step string, kv ...string) []result.Result {
		t.Helper()
		o := testkit.CLI(t, nil, in.With(kv...).Args()...)
		res := jsonResults(t, o, false)
		checkTruthful(t, emu.Server, envs, o, res)
		if o.Code != cli.ExitOK {
			t.Fatalf("%s: %v", step, o)
		}
		for _, r := range res {
			if hasLine(r.Config, envVarValue) {
				t.Errorf("%s: %s: a config line shows an env-vars value: %q", step, r.Env, r.Config)
			}
		}
		return res
	}

	// 1. Everything is applied.
	res := deploy("first deploy")
	for _, env := range envs {
		fn, _ := emu.Function(env, fnName)
		vars := map[string]string{}
		for _, v := range fn.Environment {
			vars[v.Key] = v.Value
		}
		if fn.Timeout != 20 || fn.MemorySize != 512 || len(vars) != 2 || vars["MODE"] != envVarValue || vars["LEVEL"] != "3" {
			t.Errorf("%s: Timeout %d, MemorySize %d, Environment %v; want 20, 512, MODE and LEVEL", env, fn.Timeout, fn.MemorySize, fn.Environment)
		}
		if len(fn.Triggers) != 1 || fn.Triggers[0].Name != "nightly" || fn.Triggers[0].Type != "timer" || fn.Triggers[0].Cron != "0 0 2 * * * *" {
			t.Errorf("%s: triggers %+v, want the nightly timer 0 0 2 * * * *", env, fn.Triggers)
		}
	}
	for _, r := range res {
		if !hasLine(r.Config, "trigger nightly created") {
			t.Errorf("%s: config lines %q do not say the trigger was created", r.Env, r.Config)
		}
		if r.Env == "dev-b" {
			for _, want := range []string{"timeout 3s -> 20s", "memory 256 MB -> 512 MB", "MODE", "LEVEL"} {
				if !hasLine(r.Config, want) {
					t.Errorf("dev-b: config lines %q do not say %q", r.Config, want)
				}
			}
		}
	}

	// 2. Nothing changed: no setting or trigger is written.
	emu.ResetCalls()
	res = deploy("unchanged redeploy")
	if got := tcCounts(emu, tcWrites...); got["UpdateFunctionConfiguration"]+got["CreateTrigger"]+got["DeleteTrigger"] != 0 {
		t.Errorf("an unchanged redeploy sent %v, want no UpdateFunctionConfiguration, CreateTrigger or DeleteTrigger", got)
	}
	for _, r := range res {
		if r.Action != result.Unchanged || len(r.Config) != 0 {
			t.Errorf("%s: %s with config lines %q, want unchanged with none", r.Env, r.Action, r.Config)
		}
	}

	// 3. Someone adds a trigger of their own; config.json drops nightly.
	for _, env := range envs {
		emu.SCF(t, "CreateTrigger", map[string]any{"FunctionName": fnName, "Namespace": env,
			"TriggerName": "theirs", "Type": "timer", "TriggerDesc": "0 0 3 * * * *"})
	}
	ws.Write(fnName+"/config.json", noTriggerConfig)
	emu.ResetCalls()
	res = deploy("trigger removed")
	if got := tcCounts(emu, "DeleteTrigger", "CreateTrigger"); got["DeleteTrigger"] != 2 || got["CreateTrigger"] != 0 {
		t.Errorf("removing the trigger sent %v, want 2 DeleteTrigger (nightly in each env) and no CreateTrigger", got)
	}
	for _, r := range res {
		fn, _ := emu.Function(r.Env, fnName)
		if got := triggerNames(fn); !slices.Equal(got, []string{"theirs"}) {
			t.Errorf("%s: triggers %q, want only theirs (nightly deleted, someone else's left alone)", r.Env, got)
		}
		if !hasLine(r.Config, "trigger nightly deleted") || hasLine(r.Config, "theirs") {
			t.Errorf("%s: config lines %q, want nightly deleted and nothing about theirs", r.Env, r.Config)
		}
	}

	// 4. prune-triggers: true deletes the foreign trigger too.
	emu.ResetCalls()
	res = deploy("prune", "prune-triggers", "true")
	if n := emu.CallsOf("DeleteTrigger"); n != 2 {
		t.Errorf("prune-triggers sent %d DeleteTrigger, want 2", n)
	}
	for _, r := range res {
		fn, _ := emu.Function(r.Env, fnName)
		if len(fn.Triggers) != 0 || !hasLine(r.Config, "theirs") {
			t.Errorf("%s: triggers %q after prune-triggers, config lines %q; want none left and a line about theirs", r.Env, triggerNames(fn), r.Config)
		}
	}
}

// TestSettingsDryRun: a dry run lists the setting and trigger changes it
// would make, for an existing function and a new one, and writes nothing.
func TestSettingsDryRun(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, testkit.EmulatorOptions{})
	ws := testkit.NewWorkspace(t)
	ws.Hello(fnName)
	ws.Write(fnName+"/config.json", nightlyConfig)
	emu.Seed("dev-b", fnName, oldZip(t))
	emu.ResetCalls()
	o := testkit.CLI(t, nil, settingsInputs(emu, ws).With("dry-run", "true").Args()...)
	res := jsonResults(t, o, false)
	if o.Code != cli.ExitOK {
		t.Fatalf("dry run: %v", o)
	}
	for _, r := range res {
		if r.Action != result.Planned {
			t.Errorf("%s: %s, want planned", r.Env, r.Action)
		}
		want := []string{"nightly"}
		if r.Env == "dev-b" {
			want = append(want, "timeout 3s -> 20s", "memory 256 MB -> 512 MB", "MODE")
		}
		for _, w := range want {
			if !hasLine(r.Config, w) {
				t.Errorf("%s: the plan's config lines %q do not list %q", r.Env, r.Config, w)
			}
		}
	}
	if len(res) != 2 {
		t.Errorf("%d results, want 2", len(res))
	}
	if n := emu.Writes(); n != 0 {
		t.Errorf("a dry run sent %d write calls, want 0: %v", n, tcCounts(emu, tcWrites...))
	}
	fn, _ := emu.Function("dev-b", fnName)
	if fn.Timeout != 3 || fn.MemorySize != 256 || len(fn.Triggers) != 0 || fn.Version != 1 {
		t.Errorf("dev-b after a dry run: Timeout %d, MemorySize %d, triggers %q, version %d; want it untouched", fn.Timeout, fn.MemorySize, triggerNames(fn), fn.Version)
	}
	if _, ok := emu.Function("dev-a", fnName); ok {
		t.Errorf("a dry run created hello in dev-a")
	}
}

// TestSettingsBadValues: settings the vendor would refuse, and settings
// given to the wechat provider (whose batch API sets code only), exit 2
// naming the input before any request, through either front door.
func TestSettingsBadValues(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		wechat bool
		inputs map[string]string
		// config is the function's config.json ("" none).
		config string
		want   string
	}{
		{name: "function-timeout 0", inputs: map[string]string{"function-timeout": "0"}, want: "function-timeout"},
		{name: "memory 100", inputs: map[string]string{"memory": "100"}, want: "memory"},
		{name: "env-vars without =", inputs: map[string]string{"env-vars": "NOEQUALS"}, want: "env-vars"},
		{name: "6-field cron in config.json", config: `{"triggers":[{"name":"n","type":"timer","config":"0 0 2 * * *"}]}`, want: "config.json"},
		{name: "wechat function-timeout", wechat: true, inputs: map[string]string{"function-timeout": "20"}, want: "function-timeout"},
		{name: "wechat memory", wechat: true, inputs: map[string]string{"memory": "512"}, want: "memory"},
		{name: "wechat env-vars", wechat: true, inputs: map[string]string{"env-vars": "A=1"}, want: "env-vars"},
		{name: "wechat prune-triggers", wechat: true, inputs: map[string]string{"prune-triggers": "true"}, want: "prune-triggers"},
	}
	for _, tc := range cases {
		for _, door := range []string{"cli", "action"} {
			t.Run(door+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				emu := newEmulator(t, testkit.EmulatorOptions{})
				ws := testkit.NewWorkspace(t)
				ws.Hello(fnName)
				if tc.config != "" {
					ws.Write(fnName+"/config.json", tc.config)
				}
				in := validInputs(emu, !tc.wechat).With("path", fnName).Merge(tc.inputs)
				var o testkit.Outcome
				if door == "cli" {
					o = testkit.CLI(t, nil, in.With("workspace", ws.Dir).Args()...)
				} else {
					env := in.With("comment", "never").Env()
					env["GITHUB_ACTIONS"], env["GITHUB_WORKSPACE"] = "true", ws.Dir
					o = testkit.Action(t, env)
					checkErrorAnnotation(t, o, tc.want)
				}
				checkRefused(t, o, emu, tc.want)
				if t.Failed() {
					t.Logf("%v", o)
				}
			})
		}
	}
}

// TestSettingsWeChatTriggersWarn: on the wechat provider a config.json's
// triggers cannot be applied: the deploy goes on and says so in a warning,
// never dropping them silently.
func TestSettingsWeChatTriggersWarn(t *testing.T) {
	t.Parallel()
	for _, door := range []string{"cli", "action"} {
		t.Run(door, func(t *testing.T) {
			t.Parallel()
			emu := newEmulator(t, testkit.EmulatorOptions{})
			ws := testkit.NewWorkspace(t)
			ws.Hello(fnName)
			ws.Write(fnName+"/config.json", nightlyConfig)
			in := validInputs(emu, false).With("path", fnName)
			var o testkit.Outcome
			var warning string
			if door == "cli" {
				o = testkit.CLI(t, nil, in.With("workspace", ws.Dir).Args()...)
				for _, l := range strings.Split(o.Stderr, "\n") {
					if strings.HasPrefix(l, "warning:") {
						warning += l + "\n"
					}
				}
			} else {
				env := in.With("comment", "never").Env()
				env["GITHUB_ACTIONS"], env["GITHUB_WORKSPACE"] = "true", ws.Dir
				o = testkit.Action(t, env)
				warning = strings.Join(testkit.CommandLines(o.Stdout, "warning"), "\n")
			}
			if o.Code != cli.ExitOK {
				t.Fatalf("%v", o)
			}
			if !strings.Contains(warning, "config.json") || !strings.Contains(warning, "trigger") {
				t.Errorf("no warning names the config.json triggers the wechat provider cannot apply; warnings: %q", warning)
			}
			for _, env := range []string{"dev-a", "dev-b"} {
				fn, ok := emu.Function(env, fnName)
				if !ok || len(fn.Triggers) != 0 {
					t.Errorf("%s: deployed %v, triggers %q; want the code deployed and no trigger", env, ok, triggerNames(fn))
				}
			}
			if t.Failed() {
				t.Logf("%v", o)
			}
		})
	}
}

// TestSmokeFailureLogTail: a function that logs and then throws fails its
// smoke test, and what it logged (the log tail Invoke returns) is shown in
// the step log, the job summary and the PR comment. Needs node: the echo
// mode never throws.
func TestSmokeFailureLogTail(t *testing.T) {
	t.Parallel()
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node is not on PATH: the emulator runs functions (and so throws) only with node")
	}
	const marker = "LOGTAIL-MARKER-31337"
	emu := newEmulator(t, testkit.EmulatorOptions{Options: emulator.Options{Node: node}})
	gh := newPRGitHub(t)
	ws := testkit.NewWorkspace(t)
	ws.Write(fnName+"/index.js", "exports.main = async () => {\n  console.log('"+marker+" before the throw');\n  throw new Error('kaboom-e2e');\n};\n")
	env := emu.TencentCloud().With("function-name", fnName, "path", fnName, "envs", "dev-a1",
		"invoke", "true", "retries", "0", "github-token", ghToken).Env()
	for k, v := range map[string]string{
		"GITHUB_ACTIONS":    "true",
		"GITHUB_WORKSPACE":  ws.Dir,
		"GITHUB_EVENT_NAME": "pull_request",
		"GITHUB_EVENT_PATH": testkit.EventPath(t, "pull_request"),
		"GITHUB_REPOSITORY": prOwner + "/" + prRepo,
		"GITHUB_SHA":        mergeSHA,
		"GITHUB_SERVER_URL": serverURL,
		"GITHUB_API_URL":    gh.URL,
		"GITHUB_RUN_ID":     runID,
		"GITHUB_WORKFLOW":   workflowName,
		"GITHUB_JOB":        jobName,
	} {
		env[k] = v
	}
	o := testkit.Action(t, env)
	if o.Code != cli.ExitFailed || o.Outputs["status"] != "failure" {
		t.Errorf("exit %d, status %q; want 1 and failure for a failed smoke test", o.Code, o.Outputs["status"])
	}
	res := testkit.Results(t, o.Outputs["results"], true)
	if len(res) != 1 || res[0].Invoke == nil || res[0].Invoke.OK || !strings.Contains(res[0].Invoke.Log, marker) {
		t.Errorf("results %s: want one failed smoke test whose log holds %q", o.Outputs["results"], marker)
	}
	if !strings.Contains(o.Stdout, marker) {
		t.Errorf("the step log does not show the function's log tail (%q)", marker)
	}
	if !strings.Contains(o.Summary, marker) {
		t.Errorf("the job summary does not show the function's log tail (%q)", marker)
	}
	comments := gh.Comments()
	if len(comments) != 1 || !strings.Contains(comments[0].Body, marker) {
		t.Errorf("want one PR comment showing the function's log tail (%q), got %d: %+v", marker, len(comments), comments)
	}

	// The terminal shows it too.
	cli2 := testkit.CLI(t, nil, emu.TencentCloud().With("function-name", fnName, "path", ws.Path(fnName),
		"envs", "dev-b2", "invoke", "true", "retries", "0").Args()...)
	if cli2.Code != cli.ExitFailed || !strings.Contains(cli2.Stderr, marker) {
		t.Errorf("CLI: exit %d, want 1 with the log tail (%q) on stderr", cli2.Code, marker)
	}
	if t.Failed() {
		t.Logf("%v", o)
	}
}
