package report

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/output"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

func outputMap(outs []Output) map[string]string {
	m := map[string]string{}
	for _, o := range outs {
		m[o.Name] = o.Value
	}
	return m
}

func TestOutputsOrderAndValues(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		run  *result.Run
		want map[string]string
	}{
		{
			name: "mixed run fails and names the first package in PackageOrder",
			run:  mixedRun(),
			want: map[string]string{
				"status": "failure", "failed-envs": "dev-1a2b,prod-3gewtf9c10f60c76",
				"zip-sha256": shaPay, "zip-size": "1572864", "matrix": "",
			},
		},
		{
			name: "planned run succeeds",
			run:  plannedRun(),
			want: map[string]string{"status": "success", "failed-envs": "", "zip-sha256": shaLogin, "zip-size": "2345"},
		},
		{
			name: "empty run has empty JSON containers, not null",
			run:  &result.Run{},
			want: map[string]string{"status": "success", "results": "[]", "failed-envs": "", "zip-sha256": "", "zip-size": "", "packages": "{}", "matrix": ""},
		},
		{
			name: "interrupted run fails",
			run:  interruptedRun(),
			want: map[string]string{"status": "failure", "failed-envs": ""},
		},
		{
			name: "without PackageOrder the smallest name is first",
			run: &result.Run{Packages: map[string]result.Package{
				"zeta": {SHA256: "zz", Size: 2}, "alpha": {SHA256: "aa", Size: 1},
			}},
			want: map[string]string{"zip-sha256": "aa", "zip-size": "1"},
		},
		{
			name: "PackageOrder naming nothing built gives empty zip outputs",
			run: &result.Run{PackageOrder: []string{"ghost"}, Packages: map[string]result.Package{
				"alpha": {SHA256: "aa", Size: 1},
			}},
			want: map[string]string{"zip-sha256": "", "zip-size": ""},
		},
		{
			name: "plan sets matrix from the run",
			run:  &result.Run{Command: "plan", Matrix: `{"shard":["1/2","2/2"]}`},
			want: map[string]string{"status": "success", "matrix": `{"shard":["1/2","2/2"]}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			outs := Outputs(tt.run)
			var names []string
			for _, o := range outs {
				names = append(names, o.Name)
			}
			if got, want := strings.Join(names, ","), "status,results,failed-envs,zip-sha256,zip-size,packages,matrix"; got != want {
				t.Fatalf("output order = %s, want %s", got, want)
			}
			got := outputMap(outs)
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestInvalidOutputs(t *testing.T) {
	t.Parallel()
	got := outputMap(InvalidOutputs())
	if got["status"] != "failure" || got["results"] != "[]" || got["packages"] != "{}" || len(got) != 7 {
		t.Errorf("InvalidOutputs = %v, want every output set, status failure and empty JSON containers", got)
	}
}

func TestOutputsJSON(t *testing.T) {
	t.Parallel()
	run := mixedRun()
	got := outputMap(Outputs(run))

	var results []map[string]any
	if err := json.Unmarshal([]byte(got["results"]), &results); err != nil {
		t.Fatalf("results is not a JSON array: %v", err)
	}
	if len(results) != len(run.Results) {
		t.Fatalf("results has %d objects, want %d", len(results), len(run.Results))
	}
	for i, obj := range results {
		for _, field := range []string{"function", "env", "action", "errcode", "error", "sha256"} {
			if _, ok := obj[field]; !ok {
				t.Errorf("results[%d] lacks contract field %q", i, field)
			}
		}
		if _, ok := obj["invoke"]; ok != (run.Results[i].Invoke != nil) {
			t.Errorf("results[%d]: invoke present = %v, want it only when a smoke test ran", i, ok)
		}
	}
	if strings.Contains(got["results"], `\u003c`) || !strings.Contains(got["results"], "<!--") {
		t.Errorf("results escapes HTML; people read it: %s", got["results"])
	}
	var pkgs map[string]result.Package
	if err := json.Unmarshal([]byte(got["packages"]), &pkgs); err != nil {
		t.Fatalf("packages is not a JSON object: %v", err)
	}
	if pkgs["pay"] != run.Packages["pay"] || len(pkgs) != 3 {
		t.Errorf("packages = %+v", pkgs)
	}
}

// bigRun is functions x envs pairs; failEvery > 0 fails every n-th pair with
// a long, distinct error, smoke response and log.
func bigRun(functions, envs, failEvery int) *result.Run {
	run := &result.Run{Command: "deploy", Packages: map[string]result.Package{}}
	for f := range functions {
		fn := fmt.Sprintf("function-number-%03d", f)
		run.PackageOrder = append(run.PackageOrder, fn)
		run.Packages[fn] = result.Package{SHA256: shaLogin, Size: 123_456, Files: 12}
		for e := range envs {
			env := fmt.Sprintf("platform-env-%05d", e)
			r := result.Result{Function: fn, Env: env, Action: result.Updated, SHA256: shaLogin,
				Size: 123_456, MS: 2345, Invoke: &result.Invoke{OK: true, RespData: `{"ok":true}`, MS: 456}}
			if failEvery > 0 && e%failEvery == 0 {
				r.Action = result.RolledBack
				r.Invoke = &result.Invoke{OK: false, MS: 5000,
					Error:    fmt.Sprintf("invoke errcode -504002 (request %d-%d): ", f, e) + strings.Repeat("function threw an error ", 20),
					RespData: strings.Repeat(`{"errorMessage":"boom"}`, 400),
					Log:      strings.Repeat("a log line of the function\n", 50)}
			}
			run.Results = append(run.Results, r)
		}
	}
	return run
}

var moreNote = regexp.MustCompile(`_([\d,]+) more (failures?|rows?|env lists?) not shown: `)

// TestLimits renders 3,000 envs x 2 functions, mostly fine or all failing
// with long distinct errors: the summary and the comment stay within
// GitHub's limits, failures come first, and the notes count what was left
// out.
func TestLimits(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		run       *result.Run
		wantFails int
	}{
		{"6,000 pairs, a few failing", bigRun(2, 3000, 1000), 6},
		{"6,000 pairs, all failing with long distinct errors", bigRun(2, 3000, 1), 6000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for sink, tc := range map[string]struct {
				body  string
				limit int
			}{
				"summary": {Summary(tt.run, testMeta()), output.SummaryLimit},
				"comment": {Comment(tt.run, testMeta(), Marker("w", "j")), output.CommentLimit},
			} {
				if len(tc.body) > tc.limit {
					t.Errorf("%s has %d bytes, over GitHub's %d", sink, len(tc.body), tc.limit)
				}
				if !utf8.ValidString(tc.body) {
					t.Errorf("%s is not valid UTF-8 (a cut split a rune)", sink)
				}
				if !strings.Contains(tc.body, fmt.Sprintf("Failed: %s of 6,000", number(tt.wantFails))) {
					t.Errorf("%s does not count the failures first", sink)
				}
				failAt, okAt := strings.Index(tc.body, "Failed:"), strings.Index(tc.body, "Succeeded:")
				if okAt >= 0 && okAt < failAt {
					t.Errorf("%s lists successes before failures", sink)
				}
				shown := strings.Count(tc.body, "function-number-0") // names in failures, rows and env lists
				if shown == 0 {
					t.Errorf("%s shows no pair at all", sink)
				}
				if tt.wantFails == 6000 && moreNote.FindString(tc.body) == "" {
					t.Errorf("%s dropped failures without saying how many", sink)
				}
			}
		})
	}
}

// TestCollapse: above collapseAbove successful pairs, one row per function
// and outcome ("1,998 updated") instead of one per pair, everywhere.
func TestCollapse(t *testing.T) {
	t.Parallel()
	run := platformRun()
	sum, com, tab := Summary(run, testMeta()), Comment(run, testMeta(), "<!-- m -->"), Table(run)
	for name, body := range map[string]string{"summary": sum, "comment": com} {
		if !strings.Contains(body, "| login | ✅ updated | 1,995 |") {
			t.Errorf("%s lacks the collapsed row of 1,995 updated pairs", name)
		}
		if n := strings.Count(body, "\n| "); n > 10 {
			t.Errorf("%s has %d table rows for a collapsed run", name, n)
		}
	}
	if !strings.Contains(sum, "wx1998-env-") || strings.Contains(com, "wx1998-env-") {
		t.Error("the summary should list every env of a collapsed outcome, the comment none")
	}
	if !regexp.MustCompile(`(?m)^login +1,995 envs +updated `).MatchString(tab) {
		t.Errorf("table lacks the collapsed row:\n%s", tab[:min(len(tab), 2000)])
	}
	// The three 85088 failures name their env in the message: one group.
	if !strings.Contains(com, "**login** in 3 envs — errcode 85088: env \"&lt;env&gt;\" has no cloud development") {
		t.Errorf("the three identical failures are not grouped:\n%s", com)
	}
}

// TestToldOnce: each failure's reason appears once per sink.
func TestToldOnce(t *testing.T) {
	t.Parallel()
	run := mixedRun()
	reason := "cannot read properties of undefined"
	for name, body := range map[string]string{
		"table":   Table(run),
		"summary": Summary(run, testMeta()),
		"comment": Comment(run, testMeta(), "<!-- m -->"),
	} {
		// The summary line of a <details> block repeats its first line by
		// design (it is the fold's title); count outside it.
		text := regexp.MustCompile(`<summary>.*</summary>`).ReplaceAllString(body, "")
		if n := strings.Count(text, reason); n != 1 {
			t.Errorf("%s tells the smoke failure %d times, want once:\n%s", name, n, body)
		}
		if n := strings.Count(text, "has no cloud development"); n != 1 {
			t.Errorf("%s tells the 85088 failure %d times, want once", name, n)
		}
	}
}

// TestKeyFactsWhole: what a reader needs (a plan's reason, a download's
// path, a config change) is never cut in the table.
func TestKeyFactsWhole(t *testing.T) {
	t.Parallel()
	path := "/home/runner/work/mini/mini/downloads/very/long/path/to/the/function/code/login-prod-3gewtf9c10f60c76.zip"
	run := &result.Run{Results: []result.Result{
		{Function: "login", Env: "dev-1a2b", Action: result.Planned, SHA256: shaLogin,
			Detail: "planned: would update (function exists, code differs from the local zip: sha256 0f1e2d3c4b5a)"},
		{Function: "login", Env: "prod-3gewtf9c10f60c76", Action: result.Downloaded, SHA256: shaLogin, Detail: "written to " + path},
		{Function: "api", Env: "prod-7x", Action: result.Updated, Config: []string{"trigger nightly (cron 0 0 3 * * * *) created"}},
	}}
	tab := Table(run)
	for _, want := range []string{
		"would update (function exists, code differs from the local zip: sha256 0f1e2d3c4b5a)",
		path,
		"trigger nightly (cron 0 0 3 * * * *) created",
	} {
		if !strings.Contains(tab, want) {
			t.Errorf("table lacks %q:\n%s", want, tab)
		}
	}
	if strings.Contains(tab, "…") {
		t.Errorf("table cut something:\n%s", tab)
	}
}

func TestCounts(t *testing.T) {
	t.Parallel()
	run := &result.Run{Results: []result.Result{
		{Action: result.Failed}, {Action: result.Created}, {Action: "zapped"}, {Action: result.Created}, {Action: "beamed"},
	}}
	if got, want := Counts(run), "2 created, 1 failed, 1 beamed, 1 zapped"; got != want {
		t.Errorf("Counts = %q, want %q", got, want)
	}
}

func TestMarker(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, workflow, job, want string }{
		{"plain", "CI", "deploy", "<!-- wxcloud-deploy: CI/deploy -->"},
		{"comment closer cannot end the marker early", "a-->b", "j", "<!-- wxcloud-deploy: a-- >b/j -->"},
		{"newlines folded", "multi\nline", "j", "<!-- wxcloud-deploy: multi line/j -->"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := Marker(tt.workflow, tt.job); got != tt.want {
				t.Errorf("Marker = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCommentShape(t *testing.T) {
	t.Parallel()
	meta := testMeta()
	marker := Marker(meta.Workflow, meta.Job)
	for name, run := range map[string]*result.Run{"mixed": mixedRun(), "hostile": hostileRun()} {
		body := Comment(run, meta, marker)
		if first, _, _ := strings.Cut(body, "\n"); first != marker {
			t.Errorf("%s: first line = %q, want the marker %q", name, first, marker)
		}
		if n := strings.Count(outsideFences(body), "<!--"); n != 1 {
			t.Errorf("%s: outside text opened %d HTML comments:\n%s", name, n-1, body)
		}
		if strings.Contains(outsideFences(body), "</details></summary>") {
			t.Errorf("%s: outside text closed our HTML:\n%s", name, body)
		}
		if Comment(run, meta, "") != body {
			t.Errorf("%s: an empty marker should default to Marker(workflow, job)", name)
		}
	}
}

// outsideFences drops fenced code blocks, where GitHub shows HTML as text.
func outsideFences(md string) string {
	var b strings.Builder
	fence := ""
	for _, line := range strings.Split(md, "\n") {
		trimmed := strings.TrimLeft(line, " ")
		switch {
		case fence == "" && strings.HasPrefix(trimmed, "```"):
			fence = trimmed[:len(trimmed)-len(strings.TrimLeft(trimmed, "`"))]
		case fence != "" && strings.TrimSpace(line) == fence:
			fence = ""
		case fence == "":
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

func TestHostileRunHasNoToken(t *testing.T) {
	t.Parallel()
	run := hostileRun()
	for name, body := range map[string]string{
		"summary": Summary(run, testMeta()), "comment": Comment(run, testMeta(), ""), "table": Table(run),
		"results": outputMap(Outputs(run))["results"],
	} {
		for n := len(hostileToken); n >= 8; n-- {
			if strings.Contains(body, hostileToken[:n]) {
				t.Errorf("%s holds the first %d characters of the token", name, n)
				break
			}
		}
	}
}

func TestResultsFallback(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		run        *result.Run
		file       string
		wantListed int // -1: every failed pair
		wantWhere  string
	}{
		{"6,000 pairs, 6 failing, no results-file", bigRun(2, 3000, 1000), "", 6, "set results-file to get every pair"},
		{"6,000 pairs, 6 failing, results-file set", bigRun(2, 3000, 1000), "out/results.json", 6, `every pair is in results-file "out/results.json"`},
		{"6,000 long failures: as many as fit", bigRun(2, 3000, 1), "", -1, "set results-file"},
		{"small run: everything", mixedRun(), "", 0, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			tt.run.ResultsFile = tt.file
			v := outputMap(Outputs(tt.run))["results"]
			if len(v) > ResultsLimit {
				t.Fatalf("results has %d bytes, over %d", len(v), ResultsLimit)
			}
			var got []map[string]any
			if err := json.Unmarshal([]byte(v), &got); err != nil {
				t.Fatalf("results is not a JSON array: %v", err)
			}
			if tt.wantWhere == "" {
				if len(got) != len(tt.run.Results) {
					t.Errorf("a small run lists %d of %d pairs", len(got), len(tt.run.Results))
				}
				return
			}
			last := got[len(got)-1]
			for i, obj := range got {
				for _, field := range []string{"function", "env", "action", "errcode", "error", "sha256"} {
					if _, ok := obj[field]; !ok {
						t.Fatalf("results[%d] lacks contract field %q", i, field)
					}
				}
				if i < len(got)-1 && obj["action"] != "rolled_back" {
					t.Fatalf("results[%d] is a %v pair, want only failed ones", i, obj["action"])
				}
			}
			if last["action"] != "truncated" || !strings.Contains(last["error"].(string), tt.wantWhere) {
				t.Errorf("note = %v, want action truncated and %q", last, tt.wantWhere)
			}
			counts, sum := last["counts"].(map[string]any), 0.0
			for _, n := range counts {
				sum += n.(float64)
			}
			if sum != 6000 || last["pairs"].(float64) != 6000 {
				t.Errorf("note counts = %v pairs = %v", counts, last["pairs"])
			}
			listed := len(got) - 1
			if int(last["listed"].(float64)) != listed {
				t.Errorf("note says %v listed, %d are", last["listed"], listed)
			}
			if tt.wantListed >= 0 && listed != tt.wantListed {
				t.Errorf("listed %d failed pairs, want %d", listed, tt.wantListed)
			}
			if tt.wantListed < 0 && (listed == 0 || listed == 6000) {
				t.Errorf("listed %d of 6,000 long failures, want as many as fit", listed)
			}
		})
	}
}

func TestAnnotations(t *testing.T) {
	t.Parallel()
	run := mixedRun()
	run.Interrupted = true
	got := Annotations(run)
	want := []Annotation{
		{Level: "error", Title: "wxcloud-deploy: login@prod-3gewtf9c10f60c76",
			Message: "errcode 85088: " + run.Results[1].Error},
		{Level: "error", Title: "wxcloud-deploy: pay@dev-1a2b",
			Message: "smoke test: " + run.Results[2].Invoke.Error + "\nprevious code restored"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d annotations, want %d: %+v", len(got), len(want), got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("annotation %d = %+v, want %+v", i, got[i], want[i])
		}
	}
	if n := len(Annotations(plannedRun())); n != 0 {
		t.Errorf("a clean run has %d annotations", n)
	}

	tc := Annotations(tencentRun())
	if len(tc) != 2 || !strings.HasPrefix(tc[0].Message, "ResourceNotFound.Namespace: ") {
		t.Errorf("tencentcloud annotations = %+v, want the code name first", tc)
	}

	// GitHub shows ten error annotations per step: the tenth counts the rest.
	many := Annotations(bigRun(1, 40, 1))
	if len(many) != maxErrorAnnotations || many[9].Message != "31 more errors (31 failed pairs): see the job summary" {
		t.Errorf("40 failures gave %d annotations, last %q", len(many), many[len(many)-1].Message)
	}
	grouped := Annotations(platformRun())
	if grouped[0].Title != "wxcloud-deploy: login in 3 envs" || !strings.Contains(grouped[0].Message, "envs: wx0017-env-") {
		t.Errorf("grouped annotation = %+v", grouped[0])
	}
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	sizes := map[int64]string{0: "", 512: "512 B", 2345: "2.3 KiB", 1_572_864: "1.5 MiB", 3 << 30: "3 GiB"}
	for n, want := range sizes {
		if got := sizeCell(n); got != want {
			t.Errorf("sizeCell(%d) = %q, want %q", n, got, want)
		}
	}
	durations := map[int64]string{0: "", 123: "123 ms", 1530: "1.5 s", 65_000: "1m05s"}
	for ms, want := range durations {
		if got := humanMS(ms); got != want {
			t.Errorf("humanMS(%d) = %q, want %q", ms, got, want)
		}
	}
	numbers := map[int]string{0: "0", 999: "999", 1000: "1,000", 1998: "1,998", 1234567: "1,234,567", -1500: "-1,500"}
	for n, want := range numbers {
		if got := number(n); got != want {
			t.Errorf("number(%d) = %q, want %q", n, got, want)
		}
	}
	if got := truncate("héllo wörld", 5); got != "h…" || !utf8.ValidString(got) {
		t.Errorf("truncate cut a rune: %q", got)
	}
	if got := fence("a ```` b"); got != "`````" {
		t.Errorf("fence = %q, want five backticks", got)
	}
	if got := mdText(`a|b <x>` + "\n" + `*y* \| #1`); got != `a\|b &lt;x&gt; \*y\* \\\| \#1` {
		t.Errorf("mdText = %q", got)
	}
	if got := lastLines("1\n2\n3\n4\n", 2); got != "3\n4" {
		t.Errorf("lastLines = %q", got)
	}
}

// TestProblems: what failed the run beyond its pairs (a shard missing from
// a merge) is told in every sink and fails the heading.
func TestProblems(t *testing.T) {
	t.Parallel()
	run := plannedRun()
	run.Problems = []string{`shard 2/3: results file "r-2.json" is missing`}
	sum, com, tab := Summary(run, testMeta()), Comment(run, testMeta(), ""), Table(run)
	for name, body := range map[string]string{"summary": sum, "comment": com, "table": tab} {
		if !strings.Contains(body, "shard 2/3: results file") {
			t.Errorf("%s does not tell the problem:\n%s", name, body)
		}
	}
	if !strings.Contains(sum, "❌ wxcloud-deploy: failed") {
		t.Errorf("summary heading does not say the run failed:\n%s", sum)
	}
	if a := Annotations(run); len(a) != 1 || !strings.Contains(a[0].Message, "r-2.json") {
		t.Errorf("annotations = %+v", a)
	}
	if outputMap(Outputs(run))["status"] != "failure" {
		t.Error("status is not failure")
	}
}
