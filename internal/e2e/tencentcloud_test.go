package e2e

import (
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/testkit"
)

// The Tencent Cloud write actions a deploy can send.
var tcWrites = []string{"CreateFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration", "CreateTrigger", "DeleteTrigger"}

// tcCounts counts the program's calls per Tencent Cloud action.
func tcCounts(emu *testkit.Emulator, actions ...string) map[string]int {
	out := map[string]int{}
	for _, a := range actions {
		out[a] = emu.CallsOf(a)
	}
	return out
}

// TestTencentCloudDeployLifecycle: through the SCF API a first deploy
// creates the function in two envs, waits until it is Active and smoke
// tests it; a redeploy of the same code uploads nothing; a changed file is
// uploaded with UpdateFunctionCode and the emulator runs the new SHA-256.
func TestTencentCloudDeployLifecycle(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, testkit.EmulatorOptions{})
	dir := helloCopy(t)
	envs := []string{"dev-a1", "dev-b2"}
	// smoke: the run is expected to smoke test (an unchanged env is not
	// deployed, so not tested).
	deploy := func(smoke bool) (testkit.Outcome, []result.Result) {
		t.Helper()
		o := testkit.CLI(t, nil, emu.TencentCloud().With("function-name", fnName, "path", dir,
			"envs", strings.Join(envs, ","), "invoke", "true", "json", "true").Args()...)
		res := jsonResults(t, o, smoke)
		checkTruthful(t, emu.Server, envs, o, res)
		checkNoSecret(t, o, emu.SecretKey())
		return o, res
	}
	expect := func(step string, res []result.Result, want result.Action) {
		t.Helper()
		for _, r := range res {
			if r.Action != want || (want != result.Unchanged && (r.Invoke == nil || !r.Invoke.OK)) {
				t.Errorf("%s: %s@%s is %s (%q), smoke test %+v; want %s with a passed smoke test", step, r.Function, r.Env, r.Action, r.Error, r.Invoke, want)
			}
		}
	}

	// 1. Create in two envs, wait for Active, invoke.
	o, res := deploy(true)
	if o.Code != cli.ExitOK {
		t.Fatalf("first deploy: %v", o)
	}
	expect("first deploy", res, result.Created)
	for _, env := range envs {
		fn, ok := emu.Function(env, fnName)
		if !ok || fn.Status != "Active" || fn.Version != 1 {
			t.Errorf("%s: the emulator holds %v, status %q, version %d; want an Active version 1", env, ok, fn.Status, fn.Version)
		}
	}
	if got := tcCounts(emu, "CreateFunction", "UpdateFunctionCode", "Invoke"); got["CreateFunction"] != 2 || got["UpdateFunctionCode"] != 0 || got["Invoke"] != 2 {
		t.Errorf("first deploy sent %v, want 2 CreateFunction, 0 UpdateFunctionCode, 2 Invoke", got)
	}
	first := res[0].SHA256

	// 2. The same code again: probed, unchanged, not one upload.
	emu.ResetCalls()
	o, res = deploy(false)
	if o.Code != cli.ExitOK {
		t.Fatalf("unchanged redeploy: %v", o)
	}
	expect("unchanged redeploy", res, result.Unchanged)
	if got := tcCounts(emu, tcWrites...); got["CreateFunction"]+got["UpdateFunctionCode"] != 0 {
		t.Errorf("an unchanged redeploy sent code uploads: %v, want none", got)
	}
	if n := emu.Writes(); n != 0 {
		t.Errorf("an unchanged redeploy sent %d write calls, want 0", n)
	}

	// 3. One file changes: UpdateFunctionCode in each env, the new SHA-256
	// runs there.
	emu.ResetCalls()
	testkit.WriteFile(t, dir+"/index.js", "exports.main = async (event) => ({ ok: true, v: 2, event });\n")
	o, res = deploy(true)
	if o.Code != cli.ExitOK {
		t.Fatalf("changed redeploy: %v", o)
	}
	expect("changed redeploy", res, result.Updated)
	if got := tcCounts(emu, "CreateFunction", "UpdateFunctionCode"); got["CreateFunction"] != 0 || got["UpdateFunctionCode"] != 2 {
		t.Errorf("a changed redeploy sent %v, want 2 UpdateFunctionCode and no CreateFunction", got)
	}
	for _, env := range envs {
		fn, _ := emu.Function(env, fnName)
		if fn.SHA256 == first || fn.SHA256 != res[0].SHA256 || fn.Version != 2 {
			t.Errorf("%s runs version %d sha256 %.12s after the update; want version 2 with the new %.12s (not %.12s)",
				env, fn.Version, fn.SHA256, res[0].SHA256, first)
		}
	}
}

// TestTencentCloudWrongSecretKey: a secret-key that is not the key of
// secret-id fails every env with AuthFailure.SignatureFailure, exit 1, and
// the key appears in no output, through either front door.
func TestTencentCloudWrongSecretKey(t *testing.T) {
	t.Parallel()
	const wrongKey = "WRONG-secret-key-5b1e9d0c7a"
	for _, door := range []string{"cli", "action"} {
		t.Run(door, func(t *testing.T) {
			t.Parallel()
			emu := newEmulator(t, testkit.EmulatorOptions{})
			ws := testkit.NewWorkspace(t)
			ws.Hello(fnName)
			in := emu.TencentCloud().With("secret-key", wrongKey, "function-name", fnName, "path", fnName,
				"envs", "dev-a1,dev-b2", "retries", "0")
			var o testkit.Outcome
			var res []result.Result
			if door == "cli" {
				o = testkit.CLI(t, nil, in.With("workspace", ws.Dir, "json", "true").Args()...)
				res = jsonResults(t, o, false)
			} else {
				env := in.With("comment", "never").Env()
				env["GITHUB_ACTIONS"], env["GITHUB_WORKSPACE"] = "true", ws.Dir
				o = testkit.Action(t, env)
				res = testkit.Results(t, o.Outputs["results"], false)
				if o.Outputs["status"] != "failure" || o.Outputs["failed-envs"] != "dev-a1,dev-b2" {
					t.Errorf("outputs status=%q failed-envs=%q, want failure and dev-a1,dev-b2", o.Outputs["status"], o.Outputs["failed-envs"])
				}
				if !testkit.MaskedValues(o.Stdout)[wrongKey] {
					t.Errorf("the secret-key was not ::add-mask::ed")
				}
			}
			if o.Code != cli.ExitFailed {
				t.Errorf("exit %d, want %d", o.Code, cli.ExitFailed)
			}
			for _, r := range res {
				if r.Action != result.Failed || r.Code != "AuthFailure.SignatureFailure" || !strings.Contains(r.Error, "AuthFailure.SignatureFailure") {
					t.Errorf("%s: %s code %q error %q; want failed naming AuthFailure.SignatureFailure", r.Env, r.Action, r.Code, r.Error)
				}
			}
			if len(res) != 2 {
				t.Errorf("%d results, want 2", len(res))
			}
			if !strings.Contains(o.Stderr+o.Stdout, "AuthFailure.SignatureFailure") {
				t.Errorf("the log does not name AuthFailure.SignatureFailure")
			}
			if fns := emu.Functions(); len(fns) != 0 {
				t.Errorf("the emulator holds %d functions after a deploy with a wrong key", len(fns))
			}
			checkNoSecret(t, o, wrongKey)
			if t.Failed() {
				t.Logf("%v", o)
			}
		})
	}
}

// TestTencentCloudMissingEnvAmongGood: an env the account does not have
// fails alone with ResourceNotFound.Namespace (in the code field), the
// others are created, and the run exits 1 naming it in failed-envs.
func TestTencentCloudMissingEnvAmongGood(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, testkit.EmulatorOptions{Options: emulator.Options{Envs: []string{"dev-a", "dev-c"}}})
	ws := testkit.NewWorkspace(t)
	ws.Hello(fnName)
	env := emu.TencentCloud().With("function-name", fnName, "path", fnName, "envs", strings.Join(envs3, ","),
		"retries", "0", "comment", "never").Env()
	env["GITHUB_ACTIONS"], env["GITHUB_WORKSPACE"] = "true", ws.Dir
	o := testkit.Action(t, env)
	res := testkit.Results(t, o.Outputs["results"], false)
	checkTruthful(t, emu.Server, envs3, o, res)
	want := map[string]result.Action{"dev-a": result.Created, "dev-b": result.Failed, "dev-c": result.Created}
	for _, r := range res {
		if r.Action != want[r.Env] {
			t.Errorf("%s: %s (%q), want %s", r.Env, r.Action, r.Error, want[r.Env])
		}
		if r.Env == "dev-b" && (r.Code != "ResourceNotFound.Namespace" || !strings.Contains(r.Error, "ResourceNotFound.Namespace")) {
			t.Errorf("dev-b: code %q error %q, want ResourceNotFound.Namespace in both", r.Code, r.Error)
		}
	}
	if o.Code != cli.ExitFailed || o.Outputs["status"] != "failure" || o.Outputs["failed-envs"] != "dev-b" {
		t.Errorf("exit %d, status %q, failed-envs %q; want 1, failure, dev-b", o.Code, o.Outputs["status"], o.Outputs["failed-envs"])
	}
	if _, ok := emu.Function("dev-b", fnName); ok {
		t.Errorf("the emulator holds hello in dev-b, an env it does not have")
	}
	if t.Failed() {
		t.Logf("%v", o)
	}
}

// TestTencentCloudKeyless: role-arn and oidc-provider-id with GitHub's OIDC
// endpoint in the environment deploy with no key pair at all: the token is
// exchanged with STS for temporary keys that sign every call.
func TestTencentCloudKeyless(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, testkit.EmulatorOptions{Options: emulator.Options{
		OIDCRequestToken: "oidc-request-token-e2e-4411", RoleArn: keylessRole}})
	ws := testkit.NewWorkspace(t)
	ws.Hello(fnName)
	env := emu.Keyless(keylessRole, "github").With("function-name", fnName, "path", fnName,
		"envs", "dev-a1,dev-b2", "invoke", "true", "comment", "never").Env()
	for k, v := range emu.OIDCEnv() {
		env[k] = v
	}
	env["GITHUB_ACTIONS"], env["GITHUB_WORKSPACE"] = "true", ws.Dir
	if env["INPUT_SECRET-ID"] != "" || env["INPUT_SECRET-KEY"] != "" {
		t.Fatal("the keyless inputs carry a key pair")
	}
	o := testkit.Action(t, env)
	res := testkit.Results(t, o.Outputs["results"], true)
	checkTruthful(t, emu.Server, []string{"dev-a1", "dev-b2"}, o, res)
	if o.Code != cli.ExitOK {
		t.Fatalf("keyless deploy: %v", o)
	}
	for _, r := range res {
		if r.Action != result.Created || r.Invoke == nil || !r.Invoke.OK {
			t.Errorf("%s: %s %+v, want created with a passed smoke test", r.Env, r.Action, r.Invoke)
		}
	}
	if n := emu.CallsOf("AssumeRoleWithWebIdentity"); n < 1 {
		t.Errorf("%d AssumeRoleWithWebIdentity calls, want the OIDC token exchanged at least once", n)
	}
	if n := emu.CallsOf("CreateFunction"); n != 2 {
		t.Errorf("%d CreateFunction calls, want 2", n)
	}
	checkNoSecret(t, o, emu.OIDCRequestToken())
}

// TestTencentCloudBrokenPackageJSON: a package.json that does not parse
// fails the cloud's dependency install: the env where the function is new
// ends CreateFailed, the one where it existed UpdateFailed; each result
// carries the vendor's reason, the good function deploys, exit 1.
func TestTencentCloudBrokenPackageJSON(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, testkit.EmulatorOptions{})
	ws := testkit.NewWorkspace(t)
	ws.Hello("cloudfunctions/hello")
	ws.Write("cloudfunctions/broken/index.js", "exports.main = async () => 1;\n")
	ws.Write("cloudfunctions/broken/package.json", `{"name": broken`)
	emu.Seed("dev-b", "broken", oldZip(t))
	emu.ResetCalls()

	o := testkit.CLI(t, nil, emu.TencentCloud().With("functions", "cloudfunctions/*", "envs", "dev-a,dev-b",
		"workspace", ws.Dir, "retries", "0", "json", "true").Args()...)
	res := jsonResults(t, o, false)
	if o.Code != cli.ExitFailed {
		t.Errorf("exit %d, want %d", o.Code, cli.ExitFailed)
	}
	want := map[string]string{"broken@dev-a": "CreateFailed", "broken@dev-b": "UpdateFailed"}
	for _, r := range res {
		key := r.Function + "@" + r.Env
		if r.Function == "hello" {
			if r.Action != result.Created {
				t.Errorf("%s: %s (%q), want created (the other function is unaffected)", key, r.Action, r.Error)
			}
			continue
		}
		if r.Action != result.Failed || !strings.Contains(r.Error, want[key]) || !strings.Contains(r.Error, "package.json") {
			t.Errorf("%s: %s %q, want failed naming %s and package.json", key, r.Action, r.Error, want[key])
		}
		fn, _ := emu.Function(r.Env, r.Function)
		if fn.Status != want[key] {
			t.Errorf("%s: the emulator says %s, want %s", key, fn.Status, want[key])
		}
	}
	if len(res) != 4 {
		t.Errorf("%d results, want 4: %s", len(res), summarize(res))
	}
	if t.Failed() {
		t.Logf("%v", o)
	}
}

// TestWeChatWithoutComponentCredential: a wechat deploy with only the
// authorizer's token, or only appid/app-secret (which fetch that token),
// has nothing the batch upload calls take: exit 2 naming the component
// credential, before a single request.
func TestWeChatWithoutComponentCredential(t *testing.T) {
	t.Parallel()
	cases := map[string]testkit.Inputs{
		"only access-token":         {"access-token": "authorizer-token-only-0c1d"},
		"only appid and app-secret": {"appid": "wx0123456789abcdef", "app-secret": "app-secret-only-7e8f"},
	}
	for name, creds := range cases {
		for _, door := range []string{"cli", "action"} {
			t.Run(door+"/"+name, func(t *testing.T) {
				t.Parallel()
				emu := newEmulator(t, testkit.EmulatorOptions{})
				ws := testkit.NewWorkspace(t)
				ws.Hello(fnName)
				in := creds.With("provider", "wechat", "api-base-url", emu.URL, "function-name", fnName,
					"path", fnName, "envs", "dev-a,dev-b")
				var o testkit.Outcome
				if door == "cli" {
					o = testkit.CLI(t, nil, in.With("workspace", ws.Dir).Args()...)
				} else {
					env := in.With("comment", "never").Env()
					env["GITHUB_ACTIONS"], env["GITHUB_WORKSPACE"] = "true", ws.Dir
					o = testkit.Action(t, env)
				}
				checkRefused(t, o, emu, "component-access-token")
				checkNoSecret(t, o, creds["access-token"], creds["app-secret"])
				if t.Failed() {
					t.Logf("%v", o)
				}
			})
		}
	}
}
