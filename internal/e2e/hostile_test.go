package e2e

import (
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/report"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/testkit"
)

// actionEnv is a GitHub Actions step in ws with inputs (comment never
// unless the inputs say otherwise), on a push.
func actionEnv(t *testing.T, ws *testkit.Workspace, in testkit.Inputs) map[string]string {
	t.Helper()
	env := in.Env()
	if env["INPUT_COMMENT"] == "" {
		env["INPUT_COMMENT"] = "never"
	}
	env["GITHUB_ACTIONS"], env["GITHUB_WORKSPACE"] = "true", ws.Dir
	return env
}

// runnerCommands are the lines of a stream the runner would execute as
// workflow commands (it trims leading whitespace before looking for "::").
func runnerCommands(stream string) []string {
	var out []string
	for _, line := range strings.Split(stream, "\n") {
		if l := strings.TrimLeft(line, " \t"); strings.HasPrefix(l, "::") {
			out = append(out, l)
		}
	}
	return out
}

// checkNoInjectedCommand: no line the runner reads (stdout, stderr) is a
// workflow command built from the vendor's text: no set-output at all (the
// program writes outputs to $GITHUB_OUTPUT), no warning whose message is
// the injected one. The vendor text may appear inside the program's own
// annotation, escaped onto its one line.
func checkNoInjectedCommand(t *testing.T, o testkit.Outcome, injected string) {
	t.Helper()
	for name, stream := range map[string]string{"stdout": o.Stdout, "stderr": o.Stderr} {
		for _, l := range runnerCommands(stream) {
			if strings.HasPrefix(l, "::set-output") || strings.HasPrefix(l, "::warning::"+injected) ||
				strings.HasPrefix(l, "::stop-commands") || strings.HasPrefix(l, "::add-mask::"+injected) {
				t.Errorf("%s has a workflow command made of the vendor's text: %q", name, l)
			}
		}
	}
}

// TestHostileTextNeverBecomesACommand: a fail-list message and a
// function's error carrying newlines and workflow commands stay text: the
// runner executes none of them and status stays failure.
func TestHostileTextNeverBecomesACommand(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name         string
		tencentcloud bool
		invoke       bool
		fault        emulator.Fault
		injected     string
	}{
		{name: "wechat fail-list errmsg", injected: "INJECTED",
			fault: emulator.Fault{Path: testkit.PathBatchCreate, FailEnv: "dev-b",
				FailMsg: "nope\n::set-output name=status::success\n::warning::INJECTED"}},
		{name: "wechat function response", invoke: true, injected: "INJ",
			fault: emulator.Fault{Path: testkit.PathInvoke, Env: "dev-b",
				Body: `{"errcode":0,"errmsg":"ok","resp_data":"{\"errorCode\":-1,\"errorMessage\":\"bad\\n::warning::INJ\"}"}`}},
		{name: "tencentcloud function error and log", tencentcloud: true, invoke: true, injected: "INJ",
			fault: emulator.Fault{Action: "Invoke", Env: "dev-b",
				Body: `{"Response":{"Result":{"InvokeResult":-1,"RetMsg":"","ErrMsg":"{\"errorCode\":-1,\"errorMessage\":\"bad\\n::warning::INJ\"}",` +
					`"Log":"START\n::warning::INJ from the log\n::set-output name=status::success\nEND","MemUsage":1,"Duration":1,"BillDuration":1,"FunctionRequestId":"r"},` +
					`"RequestId":"3f1e5c2a-1b2c-4d5e-8f90-a1b2c3d4e5f6"}}`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			emu := newEmulator(t, testkit.EmulatorOptions{})
			emu.Inject(tc.fault)
			ws := testkit.NewWorkspace(t)
			ws.Hello(fnName)
			in := validInputs(emu, tc.tencentcloud).With("path", fnName, "retries", "0",
				"invoke", fmt.Sprint(tc.invoke))
			o := testkit.Action(t, actionEnv(t, ws, in))
			checkNoInjectedCommand(t, o, tc.injected)
			if o.Outputs["status"] != "failure" || o.Code != cli.ExitFailed {
				t.Errorf("status %q, exit %d; want failure and 1", o.Outputs["status"], o.Code)
			}
			res := testkit.Results(t, o.Outputs["results"], tc.invoke)
			for _, r := range res {
				if r.Env == "dev-b" && r.Action.OK() {
					t.Errorf("dev-b: %s, want failed", r.Action)
				}
			}
			if o.Outputs["failed-envs"] != "dev-b" {
				t.Errorf("failed-envs %q, want dev-b", o.Outputs["failed-envs"])
			}
			if !strings.Contains(o.Stdout, tc.injected) {
				t.Errorf("the vendor's text is not shown at all (want it, as text)")
			}
			if t.Failed() {
				t.Logf("%v", o)
			}
		})
	}
}

// TestRedirectToAnotherHostRefused: an API answer redirecting to another
// host is refused: the other host never gets a request (the token, the
// signature and the zip stay home) and the env fails saying why.
func TestRedirectToAnotherHostRefused(t *testing.T) {
	t.Parallel()
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			t.Parallel()
			var hits atomic.Int64
			other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				hits.Add(1)
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write([]byte(`{"errcode":0,"errmsg":"ok"}`))
			}))
			t.Cleanup(other.Close)
			emu := newEmulator(t, testkit.EmulatorOptions{})
			f := emulator.Fault{Path: testkit.PathBatchCreate, Redirect: other.URL + testkit.PathBatchCreate}
			if p.name == "tencentcloud" {
				f = emulator.Fault{Action: "CreateFunction", Redirect: other.URL + "/"}
			}
			emu.Inject(f)
			o := testkit.CLI(t, nil, p.inputs(emu).With("function-name", fnName, "path", helloCopy(t),
				"envs", "dev-a,dev-b", "retries", "1", "json", "true").Args()...)
			res := jsonResults(t, o, false)
			checkTruthful(t, emu.Server, []string{"dev-a", "dev-b"}, o, res)
			if n := hits.Load(); n != 0 {
				t.Errorf("the other host got %d requests, want 0", n)
			}
			for _, r := range res {
				if r.Action != result.Failed || !strings.Contains(strings.ToLower(r.Error), "redirect") {
					t.Errorf("%s: %s %q, want failed saying a redirect was refused", r.Env, r.Action, r.Error)
				}
			}
			if o.Code != cli.ExitFailed {
				t.Errorf("exit %d, want 1", o.Code)
			}
		})
	}
}

// replaceNth answers the nth request (1-based) matching with body, without
// passing it on: the vendor did nothing and said something odd. seen
// counts the matching requests, the replaced one included.
func replaceNth(match func(*http.Request) bool, nth int, body string, seen *atomic.Int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			hit := false
			if match(r) {
				hit = seen.Add(1) == int64(nth)
			}
			if !hit {
				next.ServeHTTP(w, r)
				return
			}
			w.Header().Set("Content-Type", "application/json; charset=utf-8")
			_, _ = w.Write([]byte(body))
		})
	}
}

// TestRollbackHostileAnswers: a rollback whose answer lists a failure
// without an env, or names the env in another case, is not rolled_back:
// the env still runs the new code, and the result says it failed. An
// honest answer does roll back (the setup reaches the rollback).
func TestRollbackHostileAnswers(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		// body answers the rollback (the second batchuploadscfcode); ""
		// leaves it to the emulator.
		body string
		want result.Action
	}{
		{name: "honest answer", want: result.RolledBack},
		{name: "fail list without env", want: result.Failed,
			body: `{"errcode":0,"errmsg":"ok","fail_list":[{"errcode":-501000,"errormsg":"rollback failed"}]}`},
		{name: "fail list naming DEV-A", want: result.Failed,
			body: `{"errcode":0,"errmsg":"ok","fail_list":[{"env":"DEV-A","errcode":-501000,"errormsg":"rollback failed"}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			opts := testkit.EmulatorOptions{}
			var updates atomic.Int64
			if tc.body == "" {
				opts.Wrap = replaceNth(onPath(testkit.PathBatchUpdate), -1, "", &updates)
			} else {
				opts.Wrap = replaceNth(onPath(testkit.PathBatchUpdate), 2, tc.body, &updates)
			}
			emu := newEmulator(t, opts)
			emu.Seed("dev-a", fnName, oldZip(t))
			old, _ := emu.Function("dev-a", fnName)
			emu.Inject(emulator.Fault{Path: testkit.PathInvoke, Errcode: -504002})
			o := testkit.CLI(t, nil, deployArgs(emu, helloCopy(t), []string{"dev-a"},
				"invoke", "true", "rollback-on-failure", "true", "retries", "0", "timeout", "10s")...)
			res := jsonResults(t, o, true)
			if len(res) != 1 {
				t.Fatalf("%d results, want 1:\n%v", len(res), o)
			}
			r := res[0]
			fn, _ := emu.Function("dev-a", fnName)
			if r.Action != tc.want {
				t.Errorf("dev-a: %s (%q), want %s", r.Action, r.Error, tc.want)
			}
			if n := updates.Load(); n != 2 {
				t.Errorf("%d batchuploadscfcode calls, want 2 (the update and the rollback)", n)
			}
			switch tc.want {
			case result.RolledBack:
				if fn.SHA256 != old.SHA256 {
					t.Errorf("rolled_back, but dev-a runs %.12s, not the old %.12s", fn.SHA256, old.SHA256)
				}
			default:
				if fn.SHA256 == old.SHA256 || strings.TrimSpace(r.Error) == "" {
					t.Errorf("dev-a runs %.12s (old %.12s), error %q; want the new code still there and a reason", fn.SHA256, old.SHA256, r.Error)
				}
			}
			if o.Code != cli.ExitFailed {
				t.Errorf("exit %d, want 1", o.Code)
			}
			if t.Failed() {
				t.Logf("%v", o)
			}
		})
	}
}

// TestDryRunProbeFailures: a dry run whose probe is refused (invalid
// token 40001, IP not allow-listed 40164, a gateway's 502) has no real
// plan: exit 1. With a probe that answers, the plan is real: exit 0.
func TestDryRunProbeFailures(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		fault *emulator.Fault
		want  int
	}{
		{name: "probe answers", want: cli.ExitOK},
		{name: "40001", fault: &emulator.Fault{Path: testkit.PathDownload, Errcode: 40001}, want: cli.ExitFailed},
		{name: "40164", fault: &emulator.Fault{Path: testkit.PathDownload, Errcode: 40164}, want: cli.ExitFailed},
		{name: "HTTP 502", fault: &emulator.Fault{Path: testkit.PathDownload, HTTPStatus: http.StatusBadGateway}, want: cli.ExitFailed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			emu := newEmulator(t, testkit.EmulatorOptions{})
			emu.Seed("dev-a", fnName, oldZip(t))
			if tc.fault != nil {
				emu.Inject(*tc.fault)
			}
			o := testkit.CLI(t, nil, deployArgs(emu, helloCopy(t), envs3, "dry-run", "true", "retries", "0")...)
			res := jsonResults(t, o, false)
			if o.Code != tc.want {
				t.Errorf("exit %d, want %d: %s", o.Code, tc.want, summarize(res))
			}
			for _, r := range res {
				if tc.want == cli.ExitOK && r.Action != result.Planned {
					t.Errorf("%s: %s, want planned", r.Env, r.Action)
				}
				if tc.want != cli.ExitOK && r.Action != result.Failed {
					t.Errorf("%s: %s (%q), want failed: the probe did not answer", r.Env, r.Action, r.Detail)
				}
			}
			if n := emu.Writes(); n != 0 {
				t.Errorf("a dry run sent %d writes", n)
			}
			checkNoSecret(t, o, emuToken)
		})
	}
}

// TestInvokeExpectOverflow: invoke-expect whose number overflows a float
// is invalid input: exit 2 before any request.
func TestInvokeExpectOverflow(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, testkit.EmulatorOptions{})
	ws := testkit.NewWorkspace(t)
	ws.Hello(fnName)
	o := testkit.CLI(t, nil, validInputs(emu, false).With("workspace", ws.Dir, "invoke", "true",
		"invoke-expect", `{"a":1e999}`).Args()...)
	if o.Code != cli.ExitInvalid || !strings.Contains(o.Stderr, "invoke-expect") {
		t.Errorf("exit %d, want 2 naming invoke-expect:\n%v", o.Code, o)
	}
	if n := len(emu.Calls()); n != 0 {
		t.Errorf("%d requests reached the API, want 0", n)
	}
}

// TestAbsoluteFunctionsGlob: a functions glob written as an absolute path
// inside the workspace deploys every function it matches.
func TestAbsoluteFunctionsGlob(t *testing.T) {
	t.Parallel()
	emu := newEmulator(t, testkit.EmulatorOptions{})
	ws := testkit.NewWorkspace(t)
	for _, fn := range []string{"login", "pay"} {
		ws.Hello("cloudfunctions/" + fn)
	}
	glob := filepath.ToSlash(ws.Path("cloudfunctions")) + "/*"
	o := testkit.CLI(t, nil, emu.WeChat().With("workspace", ws.Dir, "functions", glob, "envs", "dev-a",
		"json", "true").Args()...)
	if o.Code != cli.ExitOK {
		t.Fatalf("functions %q: %v", glob, o)
	}
	res := jsonResults(t, o, false)
	got := map[string]bool{}
	for _, r := range res {
		fn, ok := emu.Function(r.Env, r.Function)
		if r.Action != result.Created || !ok || fn.SHA256 != r.SHA256 {
			t.Errorf("%s@%s: %s, the emulator holds %v", r.Function, r.Env, r.Action, ok)
		}
		got[r.Function] = true
	}
	if len(res) != 2 || !got["login"] || !got["pay"] {
		t.Errorf("deployed %s, want login and pay", summarize(res))
	}
}

// TestOutputConfinedToWorkspace: pack's output outside the workspace is
// invalid input, and an output path through a symlink that points outside
// never writes through it.
func TestOutputConfinedToWorkspace(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	const original = "ORIGINAL CONTENT"
	cases := []struct {
		name string
		// output is relative to the workspace; outside is the file outside
		// that must stay as it was (or absent).
		output  func(root *testkit.Workspace) string
		outside string
		// wantInvalid: exit 2 naming output.
		wantInvalid bool
	}{
		{name: "relative path out", output: func(*testkit.Workspace) string { return "../outside/out.zip" },
			outside: "outside/out.zip", wantInvalid: true},
		{name: "absolute path out", output: func(root *testkit.Workspace) string { return root.Path("outside/abs.zip") },
			outside: "outside/abs.zip", wantInvalid: true},
		{name: "symlinked file", output: func(*testkit.Workspace) string { return "link.zip" }, outside: "outside/target.zip"},
		{name: "symlinked directory", output: func(*testkit.Workspace) string { return "linkdir/new.zip" }, outside: "outside/new.zip"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			root := testkit.NewWorkspace(t)
			ws := root.Sub("ws")
			ws.Hello(fnName)
			root.Write("outside/target.zip", original)
			if err := os.Symlink(root.Path("outside/target.zip"), ws.Path("link.zip")); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink(root.Path("outside"), ws.Path("linkdir")); err != nil {
				t.Fatal(err)
			}
			before, statErr := os.ReadFile(root.Path(tc.outside))
			o := testkit.CLI(t, nil, "pack", "--workspace", ws.Dir, "--function-name", fnName, "--path", fnName,
				"--output", tc.output(root))
			after, err := os.ReadFile(root.Path(tc.outside))
			switch {
			case statErr != nil && err == nil:
				t.Errorf("%s was created outside the workspace", tc.outside)
			case statErr == nil && string(after) != string(before):
				t.Errorf("%s outside the workspace was written through the symlink", tc.outside)
			}
			if tc.wantInvalid && (o.Code != cli.ExitInvalid || !strings.Contains(o.Stderr, "output")) {
				t.Errorf("exit %d, want 2 naming output", o.Code)
			}
			if !tc.wantInvalid && o.Code == cli.ExitOK {
				// Written, then it must be inside: the link replaced, not followed.
				if fi, err := os.Lstat(ws.Path(tc.output(root))); err != nil || !fi.Mode().IsRegular() {
					t.Errorf("exit 0, but %s is not a regular file in the workspace (%v)", tc.output(root), err)
				}
			}
			if t.Failed() {
				t.Logf("%v", o)
			}
		})
	}
}

// TestCommentOfAnotherUserNeverEdited: a PR comment that starts with the
// marker but was written by someone else is never edited: the run writes
// its own comment, and the next run edits that one.
func TestCommentOfAnotherUserNeverEdited(t *testing.T) {
	t.Parallel()
	for _, self := range []string{"", "deploy-bot"} {
		t.Run("self="+self, func(t *testing.T) {
			t.Parallel()
			j := newJob(t, "pull_request")
			j.gh = testkit.NewGitHub(t, testkit.GitHubOptions{Owner: prOwner, Repo: prRepo, PR: prNumber, Self: self})
			j.set("GITHUB_API_URL", j.gh.URL)
			marker := report.Marker(workflowName, jobName+" dev-a1,dev-b2")
			const fake = "\nall green, merge away"
			theirs := j.gh.Seed("mallory", marker+fake)

			for run := 1; run <= 2; run++ {
				if run == 2 {
					j.ws.Write("hello/index.js", "exports.main = async () => 2;\n")
				}
				if o := j.run(); o.Code != cli.ExitOK {
					t.Fatalf("run %d: %v", run, o)
				}
			}
			wantPath := fmt.Sprintf("/repos/%s/%s/issues/comments/%d", prOwner, prRepo, theirs)
			for _, r := range j.gh.Requests() {
				if r.Endpoint == testkit.EditComment && r.Path == wantPath {
					t.Errorf("mallory's comment %d was edited: %q", theirs, r.Body)
				}
			}
			comments := j.gh.Comments()
			if len(comments) != 2 || comments[0].Body != marker+fake || comments[0].Author != "mallory" {
				t.Fatalf("comments %+v: want mallory's untouched and one of ours", comments)
			}
			if comments[1].Author != j.gh.Author() || j.gh.Count(testkit.CreateComment) != 1 || j.gh.Count(testkit.EditComment) != 1 {
				t.Errorf("ours by %q, %d creates, %d edits; want by %q, created once then edited", comments[1].Author,
					j.gh.Count(testkit.CreateComment), j.gh.Count(testkit.EditComment), j.gh.Author())
			}
		})
	}
}

// TestSignalWithStalledGitHub: when the GitHub API stalls on the PR
// comment, SIGINT still ends the built binary within 5 s.
func TestSignalWithStalledGitHub(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGINT cannot be sent to a process on Windows")
	}
	t.Parallel()
	bin := buildBinary(t)
	arrived := make(chan struct{})
	var once sync.Once
	stalled := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(arrived) })
		<-r.Context().Done()
	}))
	t.Cleanup(stalled.Close)

	j := newJob(t, "pull_request")
	j.set("GITHUB_API_URL", stalled.URL, "INPUT_TIMEOUT", "60s")
	dir := t.TempDir()
	j.set("GITHUB_OUTPUT", filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY", filepath.Join(dir, "summary"))
	testkit.WriteFile(t, j.env["GITHUB_OUTPUT"], "")
	testkit.WriteFile(t, j.env["GITHUB_STEP_SUMMARY"], "")

	p := startBinary(t, bin, nil, testkit.Environ(j.env))
	cmd, exited, stdout := p.cmd, p.exited, &p.stdout
	select {
	case <-arrived:
	case err := <-exited:
		t.Fatalf("the binary exited (%v) before it called GitHub:\n%s", err, stdout.String())
	case <-time.After(guard):
		t.Fatalf("no GitHub request within %s:\n%s", guard, stdout.String())
	}
	if err := cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	signalled := time.Now()
	var err error
	select {
	case err = <-exited:
	case <-time.After(6 * time.Second):
		t.Fatalf("the binary did not exit within 6s of SIGINT (want 5s) while the GitHub API stalled on the PR comment "+
			"(a signal must shorten the comment's deadline, internal/cli/action.go comment); step log:\n%s", stdout.String())
	}
	if d := time.Since(signalled); d > 5*time.Second {
		t.Errorf("the binary took %s to exit after SIGINT, want at most 5s", d)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) || !cmd.ProcessState.Exited() {
		t.Errorf("the binary was killed by the signal instead of exiting on its own (%v)", err)
	}
	outputs, perr := testkit.ParseOutputs(testkit.ReadFile(t, j.env["GITHUB_OUTPUT"]))
	if perr != nil || outputs["status"] == "" {
		t.Errorf("GITHUB_OUTPUT after SIGINT: %v, status %q; want the outputs written before the comment", perr, outputs["status"])
	}
}

// TestSecretStraddlingSnippetCut: a gateway's error page that echoes the
// token so that the error snippet's cut (80 characters for WeChat, 200
// for Tencent Cloud) falls inside it never shows a piece of it anywhere.
func TestSecretStraddlingSnippetCut(t *testing.T) {
	t.Parallel()
	const secret = "Zq7STRADDLE-c4f1e9a2b7d3K"
	cases := []struct {
		provider string
		cut      int
	}{
		{provider: "wechat", cut: 80},
		{provider: "tencentcloud", cut: 200},
	}
	for _, tc := range cases {
		for _, inside := range []int{4, 12, len(secret) - 2} {
			t.Run(fmt.Sprintf("%s/%d of %d characters before the cut", tc.provider, inside, len(secret)), func(t *testing.T) {
				t.Parallel()
				opts := testkit.EmulatorOptions{}
				var in testkit.Inputs
				var fault emulator.Fault
				var body string
				if tc.provider == "wechat" {
					// The secret is the access token (and the component token):
					// the one the emulator accepts. WeChat's client quotes a 502
					// body only when it is JSON.
					opts.Token = secret
					head := `{"errcode":-1,"errmsg":"`
					body = head + strings.Repeat("x", tc.cut-inside-len(head)) + secret + ` echoed by the gateway"}`
					fault = emulator.Fault{Path: testkit.PathDownload, HTTPStatus: http.StatusBadGateway, Body: body}
				} else {
					opts.SecretID = "AKID" + secret
					body = strings.Repeat("x", tc.cut-inside-4) + opts.SecretID + " </body></html>"
					fault = emulator.Fault{Action: "GetFunction", HTTPStatus: http.StatusBadGateway, Body: body}
				}
				emu := newEmulator(t, opts)
				emu.Inject(fault)
				in = emu.WeChat()
				if tc.provider == "tencentcloud" {
					in = emu.TencentCloud()
				}
				ws := testkit.NewWorkspace(t)
				ws.Hello(fnName)
				o := testkit.Action(t, actionEnv(t, ws, in.With("function-name", fnName, "path", fnName,
					"envs", "dev-a", "retries", "0")))
				if !strings.Contains(o.Stdout+o.OutputFile, "502") {
					t.Errorf("the 502 is not reported at all:\n%v", o)
				}
				piece := secret[:4]
				for where, text := range map[string]string{"stdout": testkit.WithoutMasks(o.Stdout), "stderr": o.Stderr,
					"GITHUB_OUTPUT": o.OutputFile, "the job summary": o.Summary} {
					if i := strings.Index(text, piece); i >= 0 {
						t.Errorf("%s shows a piece of the secret: %q", where, text[max(0, i-20):min(len(text), i+len(secret))])
					}
				}
				checkNoSecret(t, o, secret)
			})
		}
	}
}
