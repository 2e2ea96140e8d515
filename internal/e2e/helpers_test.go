package e2e

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/testkit"
)

// The real webhook payloads (testdata/events at the repository root) fix
// what the fake GitHub serves: the pull_request payload is PR #2 of
// Codertocat/Hello-World at this head commit.
const (
	prOwner   = "Codertocat"
	prRepo    = "Hello-World"
	prNumber  = 2
	prHeadSHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	// mergeSHA is GITHUB_SHA of a pull_request run: the merge commit nobody
	// pushed, which the summary and comment must not name.
	mergeSHA = "9f1d2c3b4a5e6f708192a3b4c5d6e7f809a1b2c3"

	workflowName = "deploy"
	jobName      = "functions"
	serverURL    = "https://github.com"
	runID        = "4242"

	fnName = "hello"
	// emuToken is the token the emulator accepts as every kind: distinctive,
	// so a leak is easy to spot, and hunted for in every output.
	emuToken = "emu-accepted-token-3c5e"
	ghToken  = "ghs_plain_test_token"
)

var envs3 = []string{"dev-a", "dev-b", "dev-c"}

// newEmulator is the suite's emulator: echo mode, emuToken, and Tencent
// Cloud functions that settle fast (the wait phase still runs once).
func newEmulator(t *testing.T, opts testkit.EmulatorOptions) *testkit.Emulator {
	t.Helper()
	if opts.Token == "" {
		opts.Token = emuToken
	}
	if opts.StatusDelay == 0 {
		opts.StatusDelay = 20 * time.Millisecond
	}
	return testkit.NewEmulator(t, opts)
}

// newPRGitHub is the fake GitHub serving the pull_request payload's PR.
func newPRGitHub(t *testing.T) *testkit.GitHub {
	return testkit.NewGitHub(t, testkit.GitHubOptions{Owner: prOwner, Repo: prRepo, PR: prNumber})
}

// job is one simulated GitHub Actions job step: a workspace with the
// sample function at hello/, the runner's variables, and the fakes on both
// sides.
type job struct {
	t   *testing.T
	ws  *testkit.Workspace
	emu *testkit.Emulator
	gh  *testkit.GitHub
	env map[string]string
}

// newJob prepares a job triggered by event (a payload under
// testdata/events) whose inputs deploy hello to dev-a1 and dev-b2 through
// the WeChat API (provider auto, the emulator's token as both tokens).
func newJob(t *testing.T, event string) *job {
	t.Helper()
	j := &job{t: t, ws: testkit.NewWorkspace(t), emu: newEmulator(t, testkit.EmulatorOptions{}), gh: newPRGitHub(t)}
	j.ws.Hello(fnName)
	repo := prOwner + "/" + prRepo
	if event == "workflow_dispatch" {
		repo = "octo-org/octo-repo" // that payload's repository
	}
	j.env = map[string]string{
		"GITHUB_ACTIONS":    "true",
		"GITHUB_WORKSPACE":  j.ws.Dir,
		"GITHUB_EVENT_NAME": event,
		"GITHUB_EVENT_PATH": testkit.EventPath(t, event),
		"GITHUB_REPOSITORY": repo,
		"GITHUB_SHA":        mergeSHA,
		"GITHUB_SERVER_URL": serverURL,
		"GITHUB_API_URL":    j.gh.URL,
		"GITHUB_RUN_ID":     runID,
		"GITHUB_WORKFLOW":   workflowName,
		"GITHUB_JOB":        jobName,
	}
	in := j.emu.WeChat().With("provider", "",
		"function-name", fnName, "path", fnName, "envs", "dev-a1,dev-b2",
		"github-token", ghToken, "retries", "0", "timeout", "10s")
	for k, v := range in.Env() {
		j.env[k] = v
	}
	return j
}

// set sets inputs and variables; "" makes one absent.
func (j *job) set(kv ...string) *job {
	for i := 0; i+1 < len(kv); i += 2 {
		j.env[kv[i]] = kv[i+1]
	}
	return j
}

func (j *job) run() testkit.Outcome {
	j.t.Helper()
	return testkit.Action(j.t, j.env)
}

// deployArgs is a --json deploy of dir to envs through the WeChat API of
// emu, with retries and a short timeout, for the fault and cancel cases;
// kv are further inputs (name, value, …).
func deployArgs(emu *testkit.Emulator, dir string, envs []string, kv ...string) []string {
	return emu.WeChat().With("function-name", fnName, "path", dir, "envs", strings.Join(envs, ","),
		"retries", "3", "timeout", "300ms", "json", "true").With(kv...).Args()
}

// helloCopy is a private copy of the sample function.
func helloCopy(t *testing.T) string {
	t.Helper()
	return testkit.NewWorkspace(t).Hello(fnName)
}

// oldZip is another version of the function, for envs where it exists.
func oldZip(t *testing.T) []byte {
	return testkit.Zip(t, map[string]string{"index.js": "exports.main = async () => ({ version: 'old' });\n"})
}

// packZip builds dir's zip exactly as deploy will, through the pack command.
func packZip(t *testing.T, dir string) []byte {
	t.Helper()
	out := dir + ".zip"
	if o := testkit.CLI(t, nil, "pack", "--function-name", fnName, "--path", dir, "--output", out); o.Code != cli.ExitOK {
		t.Fatalf("pack: %v", o)
	}
	data := testkit.ReadFile(t, out)
	return []byte(data)
}

// jsonResults decodes --json's stdout.
func jsonResults(t *testing.T, o testkit.Outcome, invoke bool) []result.Result {
	t.Helper()
	if o.Stdout == "" {
		t.Fatalf("no results on stdout:\n%v", o)
	}
	return testkit.Results(t, o.Stdout, invoke)
}

var hexSHA256 = regexp.MustCompile(`^[0-9a-f]{64}$`)

// checkTruthful is the suite's invariant: the results and the exit status
// agree with what the emulator holds.
//
//   - one result per requested env, in input order, for the one function;
//   - created/updated/unchanged: the env holds the function with exactly the
//     reported SHA-256 (the one package every result names);
//   - failed/rolled_back: a non-empty reason;
//   - exit 0 exactly when every pair succeeded, otherwise 1 (2 is for bad
//     input and would mean the run lied about sending nothing).
func checkTruthful(t *testing.T, emu *emulator.Server, envs []string, o testkit.Outcome, res []result.Result) {
	t.Helper()
	if len(res) != len(envs) {
		t.Errorf("got %d results for %d envs %v: %s", len(res), len(envs), envs, summarize(res))
	}
	allOK := len(res) > 0
	pkgSHA := ""
	for i, r := range res {
		if i < len(envs) && r.Env != envs[i] {
			t.Errorf("result %d is for env %q, want %q (input order)", i, r.Env, envs[i])
		}
		if r.Function != fnName {
			t.Errorf("result %d is for function %q, want %q", i, r.Function, fnName)
		}
		if !hexSHA256.MatchString(r.SHA256) {
			t.Errorf("%s@%s: sha256 %q is not a hex SHA-256", r.Function, r.Env, r.SHA256)
		}
		if pkgSHA == "" {
			pkgSHA = r.SHA256
		} else if r.SHA256 != pkgSHA {
			t.Errorf("%s@%s: sha256 %s differs from the other results' %s (one package)", r.Function, r.Env, r.SHA256, pkgSHA)
		}
		switch r.Action {
		case result.Created, result.Updated, result.Unchanged:
			fn, ok := emu.Function(r.Env, r.Function)
			switch {
			case !ok:
				t.Errorf("%s@%s: reported %s, but the env has no such function", r.Function, r.Env, r.Action)
			case fn.SHA256 != r.SHA256:
				t.Errorf("%s@%s: reported %s with sha256 %s, but the env runs %s", r.Function, r.Env, r.Action, r.SHA256, fn.SHA256)
			}
			if r.Error != "" {
				t.Errorf("%s@%s: reported %s with an error %q", r.Function, r.Env, r.Action, r.Error)
			}
			if r.Invoke != nil && !r.Invoke.OK {
				t.Errorf("%s@%s: reported %s although its smoke test failed: %+v", r.Function, r.Env, r.Action, r.Invoke)
			}
		case result.Failed, result.RolledBack:
			allOK = false
			if strings.TrimSpace(r.Error) == "" {
				t.Errorf("%s@%s: reported %s without a reason", r.Function, r.Env, r.Action)
			}
		default:
			allOK = false
			t.Errorf("%s@%s: unexpected action %q for a deploy", r.Function, r.Env, r.Action)
		}
	}
	want := cli.ExitFailed
	if allOK {
		want = cli.ExitOK
	}
	if o.Code != want {
		t.Errorf("exit status %d, want %d for results %s", o.Code, want, summarize(res))
	}
	checkNoSecret(t, o, emuToken)
}

// checkNoSecret: no secret appears where a user can see it. The
// ::add-mask:: lines are the one place it must appear: they are how the
// runner learns what to hide, and it never shows them.
func checkNoSecret(t *testing.T, o testkit.Outcome, secrets ...string) {
	t.Helper()
	places := map[string]string{
		"stdout":          testkit.WithoutMasks(o.Stdout),
		"stderr":          o.Stderr,
		"GITHUB_OUTPUT":   o.OutputFile,
		"the job summary": o.Summary,
	}
	for where, text := range places {
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("%s contains the secret %q", where, s)
			}
		}
	}
}

func summarize(res []result.Result) string {
	var parts []string
	for _, r := range res {
		s := r.Env + "=" + string(r.Action)
		if r.Error != "" {
			s += " (" + r.Error + ")"
		}
		parts = append(parts, s)
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// checkRefused: invalid input exits 2, the message names want (the input),
// and not one request reached the API.
func checkRefused(t *testing.T, o testkit.Outcome, emu *testkit.Emulator, want string) {
	t.Helper()
	if o.Code != cli.ExitInvalid {
		t.Errorf("exit %d, want %d", o.Code, cli.ExitInvalid)
	}
	if !strings.Contains(o.Stderr+o.Stdout, want) {
		t.Errorf("the message does not name %q", want)
	}
	if calls := emu.Calls(); len(calls) != 0 {
		t.Errorf("%d requests reached the API, want 0: %+v", len(calls), calls)
	}
}

// checkErrorAnnotation: in Actions, an ::error annotation names want.
func checkErrorAnnotation(t *testing.T, o testkit.Outcome, want string) {
	t.Helper()
	if errs := strings.Join(testkit.CommandLines(o.Stdout, "error"), "\n"); !strings.Contains(errs, want) {
		t.Errorf("no ::error annotation names %q: %q", want, errs)
	}
}
