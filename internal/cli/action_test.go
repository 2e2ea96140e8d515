package cli_test

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/report"
)

// TestActionPullRequestStickyComment: the first run on a pull request creates
// the comment, the next run (new code) edits that same comment.
func TestActionPullRequestStickyComment(t *testing.T) {
	t.Parallel()
	a := newAction(t, "pull_request")
	marker := report.Marker(workflowName, jobName+" dev-a1,dev-b2")
	runURL := serverURL + "/" + prOwner + "/" + prRepo + "/actions/runs/" + runID

	first := a.run()
	if first.code != 0 {
		t.Fatalf("first run: %v", first)
	}
	reqs, comments := a.gh.snapshot()
	if n := a.gh.count("POST"); n != 1 || len(comments) != 1 {
		t.Fatalf("first run: %d POSTs and %d comments, want one of each; requests %+v", n, len(comments), reqs)
	}
	if n := a.gh.count("PATCH"); n != 0 {
		t.Errorf("first run: %d PATCHes, want 0 (nothing to edit yet)", n)
	}
	for _, r := range reqs {
		if r.Auth != "Bearer "+ghToken {
			t.Errorf("%s %s: Authorization %q, want the github-token as a bearer token", r.Method, r.Path, r.Auth)
		}
	}
	body := comments[0].Body
	checkCommentBody(t, body, marker, runURL)
	for _, env := range []string{"dev-a1", "dev-b2"} {
		if !strings.Contains(body, "| hello | "+env+" | ✅ created") {
			t.Errorf("first comment has no created row for hello@%s:\n%s", env, body)
		}
	}
	v1, ok := a.emu.Function("dev-a1", "hello")
	if !ok {
		t.Fatal("the emulator has no hello@dev-a1 after the first run")
	}
	if !strings.Contains(body, v1.SHA256[:12]) {
		t.Errorf("first comment does not show the deployed zip's SHA-256 %s:\n%s", v1.SHA256[:12], body)
	}
	if !strings.Contains(first.stdout, comments[0].URL) {
		t.Errorf("the step log does not link the created comment %s:\n%s", comments[0].URL, first.stdout)
	}

	// New code, same PR: the comment is edited in place.
	writeFile(t, filepath.Join(a.workspace, "hello", "index.js"),
		"exports.main = async (event) => ({ hello: 'again', event })\n")
	second := a.run()
	if second.code != 0 {
		t.Fatalf("second run: %v", second)
	}
	reqs, comments = a.gh.snapshot()
	if n := a.gh.count("POST"); n != 1 {
		t.Errorf("after the second run: %d POSTs, want still 1 (the comment is sticky); requests %+v", n, reqs)
	}
	if n := a.gh.count("PATCH"); n != 1 {
		t.Errorf("after the second run: %d PATCHes, want 1; requests %+v", n, reqs)
	}
	if len(comments) != 1 {
		t.Fatalf("after the second run the PR has %d comments, want 1", len(comments))
	}
	wantPatch := fmt.Sprintf("/repos/%s/%s/issues/comments/%d", prOwner, prRepo, comments[0].ID)
	if last := reqs[len(reqs)-1]; last.Method != "PATCH" || last.Path != wantPatch {
		t.Errorf("last request %s %s, want PATCH %s (the first run's comment)", last.Method, last.Path, wantPatch)
	}
	v2, _ := a.emu.Function("dev-a1", "hello")
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

// TestActionCommentPermissionDenied: a token without pull-requests: write is
// a warning; the deploy itself stands.
func TestActionCommentPermissionDenied(t *testing.T) {
	t.Parallel()
	for _, method := range []string{"GET", "POST"} {
		t.Run("403 on "+method, func(t *testing.T) {
			t.Parallel()
			a := newAction(t, "pull_request")
			a.gh.failWith(method, 403, "Resource not accessible by integration")
			o := a.run()
			if o.code != 0 {
				t.Fatalf("a refused comment changed the exit status: %v", o)
			}
			warned := false
			for _, w := range commandLines(o.stdout, "warning") {
				if strings.Contains(w, "pull-requests: write") {
					warned = true
				}
			}
			if !warned {
				t.Errorf("no ::warning mentioning pull-requests: write:\n%s", o.stdout)
			}
			if e := commandLines(o.stdout, "error"); len(e) > 0 {
				t.Errorf("a refused comment is not an error: %q", e)
			}
			for _, env := range []string{"dev-a1", "dev-b2"} {
				if _, ok := a.emu.Function(env, "hello"); !ok {
					t.Errorf("hello@%s was not deployed", env)
				}
			}
			if o.outputs["status"] != "success" {
				t.Errorf("status output %q, want success", o.outputs["status"])
			}
			if a.gh.count(method) == 0 {
				t.Errorf("GitHub never saw the %s it refused", method)
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
	a := newAction(t, "pull_request")
	var names []string
	for i := range nFn {
		name := fmt.Sprintf("fn%03d", i)
		names = append(names, name)
		dir := filepath.Join(a.workspace, "cloudfunctions", name)
		writeFile(t, filepath.Join(dir, "index.js"), fmt.Sprintf("exports.main = async () => %q\n", name))
		writeFile(t, filepath.Join(dir, "package.json"), fmt.Sprintf(`{"name":%q,"version":"1.0.0"}`+"\n", name))
	}
	a.set("INPUT_FUNCTION-NAME", "", "INPUT_PATH", "",
		"INPUT_FUNCTIONS", "cloudfunctions/*",
		"INPUT_ENVS", strings.Join(envs, "\n"),
		"INPUT_CONCURRENCY", "16")
	o := a.run()
	if o.code != 0 {
		t.Fatalf("%v", o)
	}
	if got := len(a.emu.Functions()); got != nFn*len(envs) {
		t.Errorf("the emulator holds %d functions, want %d", got, nFn*len(envs))
	}
	reqs, comments := a.gh.snapshot()
	if a.gh.count("POST") != 1 || len(comments) != 1 {
		t.Fatalf("want a single comment, got %d comments; requests %+v", len(comments), reqs)
	}
	body := comments[0].Body
	if n := utf8.RuneCountInString(body); n >= 65536 {
		t.Fatalf("comment is %d characters, over GitHub's limit of 65,536", n)
	}
	rowRE := regexp.MustCompile(`(?m)^\| (fn\d{3}) \| (dev-[a-z0-9]+) \|`)
	rows := rowRE.FindAllStringSubmatch(body, -1)
	shown := map[string]bool{}
	for _, r := range rows {
		shown[r[1]] = true
	}
	dropped := nFn*len(envs) - len(rows)
	note := regexp.MustCompile(`_(\d+) more rows?: `).FindStringSubmatch(body)
	switch {
	case dropped == 0:
		if note != nil {
			t.Errorf("every row is shown but the comment says %q", note[0])
		}
		for _, n := range names {
			if !shown[n] {
				t.Errorf("function %s is missing from the comment", n)
			}
		}
	case note == nil:
		t.Errorf("%d rows are missing and no note says so", dropped)
	default:
		if got, _ := strconv.Atoi(note[1]); got != dropped {
			t.Errorf("the comment says %s more rows, but %d are missing", note[1], dropped)
		}
	}
	if !strings.Contains(body, "450 created") {
		t.Errorf("the comment's counts do not say 450 created:\n%.2000s", body)
	}
}

// TestActionNoPullRequestNoComment: events without a pull request never
// reach the GitHub API, whatever comment says, and never fail the step.
func TestActionNoPullRequestNoComment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		event, comment string
	}{
		{"push", "auto"},
		{"workflow_dispatch", "auto"},
		{"push", "always"},
		{"workflow_dispatch", "always"},
		{"pull_request", "never"},
	}
	for _, tt := range tests {
		t.Run(tt.event+"/comment="+tt.comment, func(t *testing.T) {
			t.Parallel()
			a := newAction(t, tt.event).set("INPUT_COMMENT", tt.comment)
			o := a.run()
			if o.code != 0 {
				t.Fatalf("%v", o)
			}
			if reqs, _ := a.gh.snapshot(); len(reqs) != 0 {
				t.Errorf("GitHub got %d requests, want none: %+v", len(reqs), reqs)
			}
			if e := commandLines(o.stdout, "error", "warning"); len(e) > 0 {
				t.Errorf("no comment is expected, so nothing to warn about: %q", e)
			}
			if o.outputs["status"] != "success" {
				t.Errorf("status %q, want success", o.outputs["status"])
			}
		})
	}
}

// TestActionOutputs checks every output of the contract for a successful
// run, with and without a smoke test, and for a run where one env fails.
func TestActionOutputs(t *testing.T) {
	t.Parallel()

	// The zip command: pack builds the same zip a deploy uploads.
	pa := newAction(t, "push").set("INPUT_COMMAND", "pack", "INPUT_ENVS", "",
		"INPUT_OUTPUT", "hello.zip")
	po := pa.run()
	if po.code != 0 {
		t.Fatalf("pack: %v", po)
	}
	zipData, err := os.ReadFile(filepath.Join(pa.workspace, "hello.zip"))
	if err != nil {
		t.Fatalf("pack wrote no zip: %v", err)
	}
	zipSHA, zipSize := sha256Hex(zipData), strconv.Itoa(len(zipData))
	if po.outputs["zip-sha256"] != zipSHA || po.outputs["zip-size"] != zipSize {
		t.Errorf("pack outputs zip-sha256=%q zip-size=%q, want the written zip's %s, %s",
			po.outputs["zip-sha256"], po.outputs["zip-size"], zipSHA, zipSize)
	}
	files := len(zipNames(t, zipData))

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
			a := newAction(t, "push").set("INPUT_ENVS", strings.Join(tt.envs, ","),
				"INPUT_INVOKE", strconv.FormatBool(tt.invoke))
			if tt.failEnv != "" {
				a.emu.Inject(emulator.Fault{Path: pathBatchCreate, FailEnv: tt.failEnv, FailMsg: "quota exceeded for this env"})
			}
			o := a.run()
			if o.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%v", o.code, tt.wantCode, o)
			}
			for _, name := range []string{"status", "results", "failed-envs", "zip-sha256", "zip-size", "packages"} {
				if _, ok := o.outputs[name]; !ok {
					t.Errorf("output %q is not set", name)
				}
			}
			if o.outputs["status"] != tt.wantStatus {
				t.Errorf("status %q, want %q", o.outputs["status"], tt.wantStatus)
			}
			if o.outputs["failed-envs"] != tt.failEnv {
				t.Errorf("failed-envs %q, want %q", o.outputs["failed-envs"], tt.failEnv)
			}
			if o.outputs["zip-sha256"] != zipSHA || o.outputs["zip-size"] != zipSize {
				t.Errorf("zip-sha256=%q zip-size=%q, want those of the zip pack builds: %s, %s",
					o.outputs["zip-sha256"], o.outputs["zip-size"], zipSHA, zipSize)
			}
			var pkgs map[string]struct {
				SHA256 string `json:"sha256"`
				Size   int64  `json:"size"`
				Files  int    `json:"files"`
			}
			if err := json.Unmarshal([]byte(o.outputs["packages"]), &pkgs); err != nil {
				t.Fatalf("packages is not a JSON object: %v\n%s", err, o.outputs["packages"])
			}
			if p := pkgs["hello"]; len(pkgs) != 1 || p.SHA256 != zipSHA || strconv.FormatInt(p.Size, 10) != zipSize || p.Files != files {
				t.Errorf("packages %s, want only hello with sha256 %s, size %s, %d files", o.outputs["packages"], zipSHA, zipSize, files)
			}

			res := decodeResults(t, o.outputs["results"], tt.invoke)
			if len(res) != len(tt.envs) {
				t.Fatalf("%d results for %d envs: %s", len(res), len(tt.envs), o.outputs["results"])
			}
			for i, r := range res {
				if r.Function != "hello" || r.Env != tt.envs[i] || r.SHA256 != zipSHA {
					t.Errorf("result %d: %s@%s sha256 %s, want hello@%s %s", i, r.Function, r.Env, r.SHA256, tt.envs[i], zipSHA)
				}
				fn, deployed := a.emu.Function(r.Env, "hello")
				if r.Env == tt.failEnv {
					if r.Action != "failed" || !strings.Contains(r.Error, "quota exceeded") {
						t.Errorf("%s: action %q error %q, want failed with the vendor's message", r.Env, r.Action, r.Error)
					}
					if deployed {
						t.Errorf("%s: reported failed but the emulator holds the function", r.Env)
					}
					continue
				}
				if r.Action != "created" || r.Errcode != 0 || r.Error != "" {
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
				rowRE := regexp.MustCompile(`(?m)^\| hello \| (dev-[a-z0-9]+) \|`)
				rows := rowRE.FindAllStringSubmatch(o.summary, -1)
				if len(rows) != len(tt.envs) || rows[0][1] != tt.failEnv {
					t.Errorf("summary rows %q: want %d rows, the failed %s first:\n%s", rows, len(tt.envs), tt.failEnv, o.summary)
				}
				if !strings.Contains(o.summary, "quota exceeded") {
					t.Errorf("summary does not say why %s failed:\n%s", tt.failEnv, o.summary)
				}
				if e := commandLines(o.stdout, "error"); len(e) == 0 || !strings.Contains(strings.Join(e, "\n"), tt.failEnv) {
					t.Errorf("no ::error annotation names %s: %q", tt.failEnv, e)
				}
			}
		})
	}
}

// TestActionInvalidInput: bad input exits 2 with an annotation naming the
// input, before anything reaches the API or GitHub.
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
		{"no credentials", "INPUT_ACCESS-TOKEN", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := newAction(t, "pull_request").set(tt.input, tt.value)
			o := a.run()
			if o.code != 2 {
				t.Fatalf("exit %d, want 2\n%v", o.code, o)
			}
			name := strings.ToLower(strings.TrimPrefix(tt.input, "INPUT_"))
			named := false
			errs := commandLines(o.stdout, "error")
			for _, e := range errs {
				if strings.Contains(e, name) {
					named = true
				}
			}
			if !named {
				t.Errorf("no ::error annotation names %q: %q\nstdout:\n%s", name, errs, o.stdout)
			}
			if calls := a.emu.Calls(); len(calls) != 0 {
				t.Errorf("the API got %d calls for invalid input: %+v", len(calls), calls)
			}
			if reqs, _ := a.gh.snapshot(); len(reqs) != 0 {
				t.Errorf("GitHub got %d requests for invalid input: %+v", len(reqs), reqs)
			}
			if o.outputs["status"] != "failure" {
				t.Errorf("status output %q, want failure\n%s", o.outputs["status"], o.outputFile)
			}
		})
	}
}

// TestActionSummaryNamesPRHead: on a pull_request event GITHUB_SHA is a
// merge commit nobody pushed; report.Meta.Commit is documented as the PR
// head, and the comment shows it. The job summary should name the same
// commit.
func TestActionSummaryNamesPRHead(t *testing.T) {
	t.Parallel()
	a := newAction(t, "pull_request").set("INPUT_COMMENT", "never")
	o := a.run()
	if o.code != 0 {
		t.Fatalf("%v", o)
	}
	if !strings.Contains(o.summary, "`"+prHeadSHA[:12]+"`") || strings.Contains(o.summary, mergeSHA[:12]) {
		t.Errorf("summary does not name the PR head %s (GITHUB_SHA is %s):\n%s", prHeadSHA[:12], mergeSHA[:12], o.summary)
	}
}

// TestActionMatrixLegsKeepTheirOwnComments: legs of one job deploying to
// different envs must not overwrite each other's comment.
func TestActionMatrixLegsKeepTheirOwnComments(t *testing.T) {
	t.Parallel()
	a := newAction(t, "pull_request")
	if o := a.run(); o.code != 0 {
		t.Fatalf("first leg: exit %d\n%v", o.code, o)
	}
	if o := a.set("INPUT_ENVS", "dev-c3").run(); o.code != 0 {
		t.Fatalf("second leg: exit %d\n%v", o.code, o)
	}
	if o := a.run(); o.code != 0 {
		t.Fatalf("second leg again: exit %d\n%v", o.code, o)
	}
	_, comments := a.gh.snapshot()
	if len(comments) != 2 {
		t.Fatalf("%d comments, want one per env set (2)", len(comments))
	}
	if n := a.gh.count("PATCH"); n != 1 {
		t.Errorf("%d edits, want 1 (the second leg's rerun)", n)
	}
}
