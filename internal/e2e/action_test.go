package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/report"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/testkit"
)

// contractOutputs are the outputs every deploy sets (CONTRACT.md).
var contractOutputs = []string{"status", "results", "failed-envs", "zip-sha256", "zip-size", "packages"}

// TestActionPullRequestStickyComment: the first run on a pull request
// creates the comment, the next run (new code) edits that same comment.
func TestActionPullRequestStickyComment(t *testing.T) {
	t.Parallel()
	j := newJob(t, "pull_request")
	marker := report.Marker(workflowName, jobName+" dev-a1,dev-b2")
	runURL := serverURL + "/" + prOwner + "/" + prRepo + "/actions/runs/" + runID

	first := j.run()
	if first.Code != 0 {
		t.Fatalf("first run: %v", first)
	}
	comments := j.gh.Comments()
	if n := j.gh.Count(testkit.CreateComment); n != 1 || len(comments) != 1 {
		t.Fatalf("first run: %d creates and %d comments, want one of each; requests %+v", n, len(comments), j.gh.Requests())
	}
	if n := j.gh.Count(testkit.EditComment); n != 0 {
		t.Errorf("first run: %d edits, want 0 (nothing to edit yet)", n)
	}
	for _, r := range j.gh.Requests() {
		if r.Auth != "Bearer "+ghToken {
			t.Errorf("%s: Authorization %q, want the github-token as a bearer token", r.Endpoint, r.Auth)
		}
	}
	body := comments[0].Body
	checkCommentBody(t, body, marker, runURL)
	for _, env := range []string{"dev-a1", "dev-b2"} {
		if !strings.Contains(body, "| hello | "+env+" | ✅ created") {
			t.Errorf("first comment has no created row for hello@%s:\n%s", env, body)
		}
	}
	v1, ok := j.emu.Function("dev-a1", fnName)
	if !ok {
		t.Fatal("the emulator has no hello@dev-a1 after the first run")
	}
	if !strings.Contains(body, v1.SHA256[:12]) {
		t.Errorf("first comment does not show the deployed zip's SHA-256 %s:\n%s", v1.SHA256[:12], body)
	}
	if !strings.Contains(first.Stdout, comments[0].URL) {
		t.Errorf("the step log does not link the created comment %s:\n%s", comments[0].URL, first.Stdout)
	}

	// New code, same PR: the comment is edited in place.
	j.ws.Write("hello/index.js", "exports.main = async (event) => ({ hello: 'again', event })\n")
	second := j.run()
	if second.Code != 0 {
		t.Fatalf("second run: %v", second)
	}
	reqs, comments := j.gh.Requests(), j.gh.Comments()
	if n := j.gh.Count(testkit.CreateComment); n != 1 {
		t.Errorf("after the second run: %d creates, want still 1 (the comment is sticky); requests %+v", n, reqs)
	}
	if n := j.gh.Count(testkit.EditComment); n != 1 {
		t.Errorf("after the second run: %d edits, want 1; requests %+v", n, reqs)
	}
	if len(comments) != 1 {
		t.Fatalf("after the second run the PR has %d comments, want 1", len(comments))
	}
	wantPatch := fmt.Sprintf("/repos/%s/%s/issues/comments/%d", prOwner, prRepo, comments[0].ID)
	if last := reqs[len(reqs)-1]; last.Endpoint != testkit.EditComment || last.Path != wantPatch {
		t.Errorf("last request %s %s, want PATCH %s (the first run's comment)", last.Endpoint, last.Path, wantPatch)
	}
	v2, _ := j.emu.Function("dev-a1", fnName)
	if v2.SHA256 == v1.SHA256 || v2.Version != 2 {
		t.Fatalf("the second run did not deploy the new code: version %d, sha256 %s", v2.Version, v2.SHA256)
	}
	body = comments[0].Body
	checkCommentBody(t, body, marker, runURL)
	if !strings.Contains(body, "| hello | dev-a1 | ✅ updated") || !strings.Contains(body, v2.SHA256[:12]) {
		t.Errorf("edited comment does not show the update to %s:\n%s", v2.SHA256[:12], body)
	}
	if strings.Contains(body, v1.SHA256[:12]) {
		t.Errorf("edited comment still shows the old SHA-256 %s:\n%s", v1.SHA256[:12], body)
	}
	if !strings.Contains(second.Stdout, "PR comment updated: "+comments[0].URL) {
		t.Errorf("the step log does not say the comment was updated:\n%s", second.Stdout)
	}
}

func checkCommentBody(t *testing.T, body, marker, runURL string) {
	t.Helper()
	if first, _, _ := strings.Cut(body, "\n"); first != marker {
		t.Errorf("comment's first line is %q, want the marker %q", first, marker)
	}
	if !strings.Contains(body, "`"+prHeadSHA[:12]+"`") {
		t.Errorf("comment does not name the PR head commit %s:\n%s", prHeadSHA[:12], body)
	}
	if strings.Contains(body, mergeSHA[:12]) {
		t.Errorf("comment names GITHUB_SHA %s (the merge commit) instead of the PR head:\n%s", mergeSHA[:12], body)
	}
	if !strings.Contains(body, "("+runURL+")") {
		t.Errorf("comment does not link the run %s:\n%s", runURL, body)
	}
	if !strings.Contains(body, "| Function | Env | Action |") {
		t.Errorf("comment has no results table:\n%s", body)
	}
}

// TestActionCommentRefused: a token without pull-requests: write (403), or
// one that cannot see the repository (404), is a warning; the deploy
// itself stands.
func TestActionCommentRefused(t *testing.T) {
	t.Parallel()
	tests := []struct {
		endpoint testkit.Endpoint
		status   int
		msg      string
	}{
		{testkit.ListComments, 403, "Resource not accessible by integration"},
		{testkit.CreateComment, 403, "Resource not accessible by integration"},
		{testkit.ListComments, 404, "Not Found"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d on %s", tt.status, tt.endpoint), func(t *testing.T) {
			t.Parallel()
			j := newJob(t, "pull_request")
			j.gh.Fail(tt.endpoint, tt.status, tt.msg, nil)
			o := j.run()
			if o.Code != 0 {
				t.Fatalf("a refused comment changed the exit status: %v", o)
			}
			warned := false
			for _, w := range testkit.CommandLines(o.Stdout, "warning") {
				if strings.Contains(w, "pull-requests: write") && strings.Contains(w, strconv.Itoa(tt.status)) {
					warned = true
				}
			}
			if !warned {
				t.Errorf("no ::warning mentioning %d and pull-requests: write:\n%s", tt.status, o.Stdout)
			}
			if e := testkit.CommandLines(o.Stdout, "error"); len(e) > 0 {
				t.Errorf("a refused comment is not an error: %q", e)
			}
			for _, env := range []string{"dev-a1", "dev-b2"} {
				if _, ok := j.emu.Function(env, fnName); !ok {
					t.Errorf("hello@%s was not deployed", env)
				}
			}
			if o.Outputs["status"] != "success" {
				t.Errorf("status output %q, want success", o.Outputs["status"])
			}
			if j.gh.Count(tt.endpoint) == 0 {
				t.Errorf("GitHub never saw the %s it refused", tt.endpoint)
			}
			if len(j.gh.Comments()) != 0 {
				t.Errorf("a comment was made although GitHub refused")
			}
		})
	}
}

// TestActionCommentManyFunctions: 150 functions in 3 envs make one comment
// that fits GitHub's 65,536-character limit and accounts for every row.
func TestActionCommentManyFunctions(t *testing.T) {
	t.Parallel()
	const nFn = 150
	envs := []string{"dev-a1", "dev-b2", "dev-c3"}
	j := newJob(t, "pull_request")
	var names []string
	for i := range nFn {
		name := fmt.Sprintf("fn%03d", i)
		names = append(names, name)
		j.ws.Write("cloudfunctions/"+name+"/index.js", fmt.Sprintf("exports.main = async () => %q\n", name))
		j.ws.Write("cloudfunctions/"+name+"/package.json", fmt.Sprintf(`{"name":%q,"version":"1.0.0"}`+"\n", name))
	}
	j.set("INPUT_FUNCTION-NAME", "", "INPUT_PATH", "",
		"INPUT_FUNCTIONS", "cloudfunctions/*",
		"INPUT_ENVS", strings.Join(envs, "\n"),
		"INPUT_CONCURRENCY", "16", "INPUT_MAX-RPS", "1000")
	o := j.run()
	if o.Code != 0 {
		t.Fatalf("%v", o)
	}
	if got := len(j.emu.Functions()); got != nFn*len(envs) {
		t.Errorf("the emulator holds %d functions, want %d", got, nFn*len(envs))
	}
	comments := j.gh.Comments()
	if j.gh.Count(testkit.CreateComment) != 1 || len(comments) != 1 {
		t.Fatalf("want a single comment, got %d comments; requests %+v", len(comments), j.gh.Requests())
	}
	body := comments[0].Body
	if n := utf8.RuneCountInString(body); n >= 65536 {
		t.Fatalf("comment is %d characters, over GitHub's limit of 65,536", n)
	}
	// A row is one pair ("| fn000 | dev-a1 | ✅ created |"), or in a large
	// run one function and outcome ("| fn000 | ✅ created | 3 |"); rows
	// that do not fit are counted in a note. Every pair is accounted for.
	pairRows := regexp.MustCompile(`(?m)^\| (fn\d{3}) \| dev-[a-z0-9]+ \| ✅ created`).FindAllStringSubmatch(body, -1)
	groupRows := regexp.MustCompile(`(?m)^\| (fn\d{3}) \| ✅ created \| (\d+) \|`).FindAllStringSubmatch(body, -1)
	perRow := 1
	if len(groupRows) > 0 {
		perRow = len(envs)
	}
	shown := map[string]int{}
	for _, r := range pairRows {
		shown[r[1]]++
	}
	for _, r := range groupRows {
		n, _ := strconv.Atoi(r[2])
		shown[r[1]] += n
	}
	dropped := 0
	if note := regexp.MustCompile(`_(\d+) more rows? not shown`).FindStringSubmatch(body); note != nil {
		dropped, _ = strconv.Atoi(note[1])
	}
	covered := dropped * perRow
	for _, n := range names {
		if shown[n] != 0 && shown[n] != len(envs) {
			t.Errorf("function %s: the comment accounts for %d of its %d envs", n, shown[n], len(envs))
		}
		covered += shown[n]
	}
	if covered != nFn*len(envs) {
		t.Errorf("the comment accounts for %d pairs (%d rows, %d not shown), want %d:\n%.3000s",
			covered, len(pairRows)+len(groupRows), dropped, nFn*len(envs), body)
	}
	if !strings.Contains(body, "450 created") {
		t.Errorf("the comment's counts do not say 450 created:\n%.2000s", body)
	}
}

// TestActionNoPullRequestNoComment: events without a pull request never
// reach the GitHub API, whatever comment says, and never fail the step;
// only comment: always, which cannot be honoured, says why in a warning.
func TestActionNoPullRequestNoComment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		event, comment string
		warn           bool
	}{
		{"push", "auto", false},
		{"workflow_dispatch", "auto", false},
		{"push", "always", true},
		{"workflow_dispatch", "always", true},
		{"pull_request", "never", false},
	}
	for _, tt := range tests {
		t.Run(tt.event+"/comment="+tt.comment, func(t *testing.T) {
			t.Parallel()
			o := newJob(t, tt.event).set("INPUT_COMMENT", tt.comment)
			out := o.run()
			if out.Code != 0 {
				t.Fatalf("%v", out)
			}
			if reqs := o.gh.Requests(); len(reqs) != 0 {
				t.Errorf("GitHub got %d requests, want none: %+v", len(reqs), reqs)
			}
			if e := testkit.CommandLines(out.Stdout, "error"); len(e) > 0 {
				t.Errorf("no comment is not an error: %q", e)
			}
			warnings := testkit.CommandLines(out.Stdout, "warning")
			switch {
			case tt.warn && (len(warnings) != 1 || !strings.Contains(warnings[0], "no pull request")):
				t.Errorf("comment: always on a %s event: want one warning saying there is no pull request, got %q", tt.event, warnings)
			case !tt.warn && len(warnings) > 0:
				t.Errorf("no comment is expected, so nothing to warn about: %q", warnings)
			}
			if out.Outputs["status"] != "success" {
				t.Errorf("status %q, want success", out.Outputs["status"])
			}
		})
	}
}

// TestActionOutputs checks every output of the contract for a successful
// run, with and without a smoke test, and for a run where one env fails;
// zip-sha256 and zip-size are those of the zip the pack command builds.
func TestActionOutputs(t *testing.T) {
	t.Parallel()
	pj := newJob(t, "push").set("INPUT_COMMAND", "pack", "INPUT_ENVS", "", "INPUT_OUTPUT", "hello.zip",
		"INPUT_ACCESS-TOKEN", "", "INPUT_COMPONENT-ACCESS-TOKEN", "", "INPUT_API-BASE-URL", "")
	po := pj.run()
	if po.Code != 0 {
		t.Fatalf("pack: %v", po)
	}
	zipData, err := os.ReadFile(pj.ws.Path("hello.zip"))
	if err != nil {
		t.Fatalf("pack wrote no zip: %v", err)
	}
	zipSHA, zipSize := testkit.SHA256Hex(zipData), strconv.Itoa(len(zipData))
	if po.Outputs["zip-sha256"] != zipSHA || po.Outputs["zip-size"] != zipSize {
		t.Errorf("pack outputs zip-sha256=%q zip-size=%q, want the written zip's %s, %s",
			po.Outputs["zip-sha256"], po.Outputs["zip-size"], zipSHA, zipSize)
	}
	files := len(testkit.ZipNames(t, zipData))

	tests := []struct {
		name       string
		envs       []string
		invoke     bool
		failEnv    string
		wantCode   int
		wantStatus string
	}{
		{name: "success", envs: []string{"dev-a1", "dev-b2"}, wantStatus: "success"},
		{name: "success with smoke test", envs: []string{"dev-a1", "dev-b2"}, invoke: true, wantStatus: "success"},
		{name: "one env fails", envs: []string{"dev-a1", "dev-b2", "dev-c3"}, failEnv: "dev-b2", wantCode: 1, wantStatus: "failure"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := newJob(t, "push").set("INPUT_ENVS", strings.Join(tt.envs, ","),
				"INPUT_INVOKE", strconv.FormatBool(tt.invoke))
			if tt.failEnv != "" {
				j.emu.Inject(emulator.Fault{Path: testkit.PathBatchCreate, FailEnv: tt.failEnv, FailMsg: "quota exceeded for this env"})
			}
			o := j.run()
			if o.Code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%v", o.Code, tt.wantCode, o)
			}
			for _, name := range contractOutputs {
				if _, ok := o.Outputs[name]; !ok {
					t.Errorf("output %q is not set", name)
				}
			}
			if o.Outputs["status"] != tt.wantStatus {
				t.Errorf("status %q, want %q", o.Outputs["status"], tt.wantStatus)
			}
			if o.Outputs["failed-envs"] != tt.failEnv {
				t.Errorf("failed-envs %q, want %q", o.Outputs["failed-envs"], tt.failEnv)
			}
			if o.Outputs["zip-sha256"] != zipSHA || o.Outputs["zip-size"] != zipSize {
				t.Errorf("zip-sha256=%q zip-size=%q, want those of the zip pack builds: %s, %s",
					o.Outputs["zip-sha256"], o.Outputs["zip-size"], zipSHA, zipSize)
			}
			var pkgs map[string]result.Package
			if err := json.Unmarshal([]byte(o.Outputs["packages"]), &pkgs); err != nil {
				t.Fatalf("packages is not a JSON object: %v\n%s", err, o.Outputs["packages"])
			}
			if p := pkgs[fnName]; len(pkgs) != 1 || p.SHA256 != zipSHA || strconv.FormatInt(p.Size, 10) != zipSize || p.Files != files {
				t.Errorf("packages %s, want only hello with sha256 %s, size %s, %d files", o.Outputs["packages"], zipSHA, zipSize, files)
			}

			res := testkit.Results(t, o.Outputs["results"], tt.invoke)
			if len(res) != len(tt.envs) {
				t.Fatalf("%d results for %d envs: %s", len(res), len(tt.envs), o.Outputs["results"])
			}
			for i, r := range res {
				if r.Function != fnName || r.Env != tt.envs[i] || r.SHA256 != zipSHA {
					t.Errorf("result %d: %s@%s sha256 %s, want hello@%s %s", i, r.Function, r.Env, r.SHA256, tt.envs[i], zipSHA)
				}
				fn, deployed := j.emu.Function(r.Env, fnName)
				if r.Env == tt.failEnv {
					if r.Action != result.Failed || !strings.Contains(r.Error, "quota exceeded") {
						t.Errorf("%s: action %q error %q, want failed with the vendor's message", r.Env, r.Action, r.Error)
					}
					if deployed {
						t.Errorf("%s: reported failed but the emulator holds the function", r.Env)
					}
					continue
				}
				if r.Action != result.Created || r.Errcode != 0 || r.Error != "" {
					t.Errorf("%s: action %q errcode %d error %q, want created", r.Env, r.Action, r.Errcode, r.Error)
				}
				if !deployed || fn.SHA256 != zipSHA {
					t.Errorf("%s: reported created, emulator has it=%v with sha256 %s", r.Env, deployed, fn.SHA256)
				}
				if tt.invoke && (r.Invoke == nil || !r.Invoke.OK || !strings.Contains(r.Invoke.RespData, `"echo"`)) {
					t.Errorf("%s: invoke %+v, want ok with the emulator's echo", r.Env, r.Invoke)
				}
			}

			if tt.failEnv != "" {
				// The failures first, each with its reason, then a row per
				// successful pair.
				failed := regexp.MustCompile(`(?m)^- ❌ \*\*hello\*\* @ (dev-[a-z0-9]+) — .*quota exceeded`).FindAllStringSubmatchIndex(o.Summary, -1)
				rows := regexp.MustCompile(`(?m)^\| hello \| (dev-[a-z0-9]+) \| ✅ created`).FindAllStringSubmatchIndex(o.Summary, -1)
				if len(failed) != 1 || o.Summary[failed[0][2]:failed[0][3]] != tt.failEnv || len(rows) != len(tt.envs)-1 || rows[0][0] < failed[0][0] {
					t.Errorf("summary: want the failed %s first with the vendor's reason, then %d created rows:\n%s", tt.failEnv, len(tt.envs)-1, o.Summary)
				}
				if e := testkit.CommandLines(o.Stdout, "error"); !strings.Contains(strings.Join(e, "\n"), tt.failEnv) {
					t.Errorf("no ::error annotation names %s: %q", tt.failEnv, e)
				}
			}
			checkGroups(t, o.Stdout, tt.invoke)
		})
	}
}

// checkGroups: in Actions the progress is one collapsible group per phase,
// every group closed.
func checkGroups(t *testing.T, stdout string, smoke bool) {
	t.Helper()
	want := []string{"pack:", "probe:", "upload:", "wait:"}
	if smoke {
		want = append(want, "smoke:")
	}
	groups := testkit.CommandLines(stdout, "group")
	for _, w := range want {
		found := false
		for _, g := range groups {
			found = found || strings.HasPrefix(g, "::group::"+w)
		}
		if !found {
			t.Errorf("no ::group:: for the %s phase: %q", w, groups)
		}
	}
	if ends := strings.Count(stdout, "\n::endgroup::\n"); ends != len(groups) {
		t.Errorf("%d groups opened, %d closed", len(groups), ends)
	}
}

// TestActionWithOnlyInputsAndOutputFile: an Actions-compatible runner (or
// a contract test) that sets nothing but INPUT_* and GITHUB_OUTPUT still
// gets action mode and every output of CONTRACT.md.
func TestActionWithOnlyInputsAndOutputFile(t *testing.T) {
	t.Parallel()
	j := newJob(t, "push")
	for k := range j.env {
		if !strings.HasPrefix(k, "INPUT_") {
			delete(j.env, k)
		}
	}
	j.set("INPUT_PATH", j.ws.Path(fnName), "INPUT_GITHUB-TOKEN", "", "GITHUB_STEP_SUMMARY", "")
	o := j.run()
	if o.Code != 0 {
		t.Fatalf("exit %d\n%v", o.Code, o)
	}
	for _, name := range contractOutputs {
		if _, ok := o.Outputs[name]; !ok {
			t.Errorf("output %q missing from GITHUB_OUTPUT:\n%s", name, o.OutputFile)
		}
	}
	if o.Outputs["status"] != "success" {
		t.Errorf("status = %q", o.Outputs["status"])
	}
	for _, r := range testkit.Results(t, o.Outputs["results"], false) {
		if r.Action != result.Created {
			t.Errorf("%s@%s = %s", r.Function, r.Env, r.Action)
		}
	}
	if _, ok := j.emu.Function("dev-b2", fnName); !ok {
		t.Error("the function was not deployed")
	}
	if !strings.Contains(o.Stdout, "::group::") {
		t.Errorf("progress is not in Actions form (::group::):\n%s", o.Stdout)
	}
}

// TestActionInvalidInput: bad input exits 2 with an annotation naming the
// input, before anything reaches the API or GitHub, and still sets every
// output (valid JSON, so `if: always()` steps reading them do not break)
// and writes a summary saying nothing was sent.
func TestActionInvalidInput(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, input, value string
	}{
		{"env with a space", "INPUT_ENVS", "dev 1"},
		{"bad function name", "INPUT_FUNCTION-NAME", "1hello"},
		{"unknown mode", "INPUT_MODE", "upsert"},
		{"bad timeout", "INPUT_TIMEOUT", "forever"},
		{"bad comment mode", "INPUT_COMMENT", "sometimes"},
		{"path outside the workspace", "INPUT_PATH", "../elsewhere"},
		{"missing function dir", "INPUT_PATH", "nope"},
		{"no component token (wechat deploy)", "INPUT_COMPONENT-ACCESS-TOKEN", ""},
		{"keys given to the wechat provider", "INPUT_SECRET-KEY", "sk-given-to-wechat"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			j := newJob(t, "pull_request").set(tt.input, tt.value)
			o := j.run()
			if o.Code != 2 {
				t.Fatalf("exit %d, want 2\n%v", o.Code, o)
			}
			name := strings.ToLower(strings.TrimPrefix(tt.input, "INPUT_"))
			errs := testkit.CommandLines(o.Stdout, "error")
			if !strings.Contains(strings.Join(errs, "\n"), name) {
				t.Errorf("no ::error annotation names %q: %q\nstdout:\n%s", name, errs, o.Stdout)
			}
			if calls := j.emu.Calls(); len(calls) != 0 {
				t.Errorf("the API got %d calls for invalid input: %+v", len(calls), calls)
			}
			if reqs := j.gh.Requests(); len(reqs) != 0 {
				t.Errorf("GitHub got %d requests for invalid input: %+v", len(reqs), reqs)
			}
			want := map[string]string{"status": "failure", "results": "[]", "packages": "{}", "failed-envs": ""}
			for k, v := range want {
				if got, ok := o.Outputs[k]; !ok || got != v {
					t.Errorf("output %s = %q (set: %v), want %q", k, got, ok, v)
				}
			}
			if !strings.Contains(o.Summary, name) {
				t.Errorf("the job summary does not name %q:\n%s", name, o.Summary)
			}
		})
	}
}

// TestActionInvalidInputMasksSecrets: even when the inputs are invalid,
// the secrets among them are registered with ::add-mask:: before the step
// ends, so that later steps (which may print them) are masked too.
func TestActionInvalidInputMasksSecrets(t *testing.T) {
	t.Parallel()
	j := newJob(t, "pull_request").set("INPUT_ACCESS-TOKEN", secretAccess,
		"INPUT_GITHUB-TOKEN", secretGitHub, "INPUT_ENVS", "dev 1")
	o := j.run()
	if o.Code != 2 {
		t.Fatalf("exit %d, want 2\n%v", o.Code, o)
	}
	masks := testkit.MaskedValues(o.Stdout)
	for _, s := range []string{secretAccess, secretGitHub, emuToken} {
		if !masks[s] {
			t.Errorf("no ::add-mask:: for %q:\n%s", s, o.Stdout)
		}
	}
	checkNoSecret(t, o, secretAccess, secretGitHub, emuToken)
}

// TestActionSummaryNamesPRHead: on a pull_request event GITHUB_SHA is a
// merge commit nobody pushed; the summary names the PR head, as the
// comment does.
func TestActionSummaryNamesPRHead(t *testing.T) {
	t.Parallel()
	o := newJob(t, "pull_request").set("INPUT_COMMENT", "never").run()
	if o.Code != 0 {
		t.Fatalf("%v", o)
	}
	if !strings.Contains(o.Summary, "`"+prHeadSHA[:12]+"`") || strings.Contains(o.Summary, mergeSHA[:12]) {
		t.Errorf("summary does not name the PR head %s (GITHUB_SHA is %s):\n%s", prHeadSHA[:12], mergeSHA[:12], o.Summary)
	}
}

// TestActionMatrixLegsKeepTheirOwnComments: legs of one job deploying to
// different envs must not overwrite each other's comment.
func TestActionMatrixLegsKeepTheirOwnComments(t *testing.T) {
	t.Parallel()
	j := newJob(t, "pull_request")
	if o := j.run(); o.Code != 0 {
		t.Fatalf("first leg: %v", o)
	}
	if o := j.set("INPUT_ENVS", "dev-c3").run(); o.Code != 0 {
		t.Fatalf("second leg: %v", o)
	}
	if o := j.run(); o.Code != 0 {
		t.Fatalf("second leg again: %v", o)
	}
	comments := j.gh.Comments()
	if len(comments) != 2 {
		t.Fatalf("%d comments, want one per env set (2)", len(comments))
	}
	if n := j.gh.Count(testkit.EditComment); n != 1 {
		t.Errorf("%d edits, want 1 (the second leg's rerun)", n)
	}
	if !strings.Contains(comments[0].Body, "dev-a1") || strings.Contains(comments[0].Body, "dev-c3") ||
		!strings.Contains(comments[1].Body, "dev-c3") || strings.Contains(comments[1].Body, "dev-a1") {
		t.Errorf("each leg's comment should show its own envs only:\n%s\n---\n%s", comments[0].Body, comments[1].Body)
	}
}

// TestActionShardLeavesTheCommentToTheMerge: a shard of a sharded deploy
// does not comment (the merge job does, with every shard's results).
func TestActionShardLeavesTheCommentToTheMerge(t *testing.T) {
	t.Parallel()
	j := newJob(t, "pull_request").set("INPUT_SHARD", "1/2")
	o := j.run()
	if o.Code != 0 {
		t.Fatalf("%v", o)
	}
	if reqs := j.gh.Requests(); len(reqs) != 0 {
		t.Errorf("a shard made %d GitHub requests, want none: %+v", len(reqs), reqs)
	}
	if res := testkit.Results(t, o.Outputs["results"], false); len(res) != 1 || res[0].Env != "dev-a1" {
		t.Errorf("shard 1/2 of 2 pairs deployed %+v, want hello@dev-a1 alone", res)
	}
	if !strings.Contains(o.Stdout, "comment: left to the merge job") {
		t.Errorf("the log does not say why there is no comment:\n%s", o.Stdout)
	}
}
