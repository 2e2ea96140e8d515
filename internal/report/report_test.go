package report

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"

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
				"zip-sha256": shaPay, "zip-size": "1572864",
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
			want: map[string]string{"status": "success", "results": "[]", "failed-envs": "", "zip-sha256": "", "zip-size": "", "packages": "{}"},
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
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			outs := Outputs(tt.run)
			var names []string
			for _, o := range outs {
				names = append(names, o.Name)
			}
			if got, want := strings.Join(names, ","), "status,results,failed-envs,zip-sha256,zip-size,packages"; got != want {
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
	if results[1]["errcode"].(float64) != 85088 {
		t.Errorf("results[1].errcode = %v", results[1]["errcode"])
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
	if i, j := strings.Index(got["packages"], `"login"`), strings.Index(got["packages"], `"notify_user"`); i > j {
		t.Errorf("packages keys are not sorted: %s", got["packages"])
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
	body := Comment(mixedRun(), meta, marker)
	if first, _, _ := strings.Cut(body, "\n"); first != marker {
		t.Errorf("first line = %q, want the marker %q", first, marker)
	}
	if strings.Count(body, "<!--") != 1 {
		t.Errorf("untrusted text opened an HTML comment:\n%s", body)
	}
	if !strings.Contains(body, "`ec26c3e57ca3`") || !strings.Contains(body, "("+meta.RunURL+")") {
		t.Errorf("comment lacks the short commit or the run link:\n%s", body)
	}
	if Comment(mixedRun(), meta, "") != body {
		t.Error("an empty marker should default to Marker(workflow, job)")
	}
}

// tableRows returns the data rows of the first markdown table.
func tableRows(body string) []string {
	var rows []string
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "| ") && !strings.HasPrefix(line, "| Function") && !strings.HasPrefix(line, "| ---") {
			rows = append(rows, line)
		}
	}
	return rows
}

func TestFailuresFirst(t *testing.T) {
	t.Parallel()
	for name, body := range map[string]string{
		"summary": Summary(mixedRun(), testMeta()),
		"comment": Comment(mixedRun(), testMeta(), "<!-- m -->"),
	} {
		rows := tableRows(body)
		var got []string
		for _, r := range rows {
			cells := strings.Split(r, " | ")
			got = append(got, strings.TrimPrefix(cells[0], "| ")+"@"+cells[1])
		}
		want := "login@prod-3gewtf9c10f60c76 pay@dev-1a2b login@dev-1a2b pay@prod-3gewtf9c10f60c76 notify\\_user@dev-1a2b"
		if strings.Join(got, " ") != want {
			t.Errorf("%s row order = %v, want %s", name, got, want)
		}
	}
}

func TestCommentSizeLimit(t *testing.T) {
	t.Parallel()
	more := regexp.MustCompile(`_(\d+) more rows: see the job summary\._`)
	tests := []struct {
		name     string
		run      *result.Run
		wantDrop bool
	}{
		{"150 functions x 3 envs all fit", bigRun(false), false},
		{"450 long failures are cut from the end", bigRun(true), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			body := Comment(tt.run, testMeta(), Marker("w", "j"))
			if n := utf8.RuneCountInString(body); n >= commentLimit {
				t.Fatalf("comment has %d characters, GitHub accepts fewer than %d", n, commentLimit)
			}
			if !utf8.ValidString(body) {
				t.Fatal("comment is not valid UTF-8 (a cut split a rune)")
			}
			rows := tableRows(body)
			m := more.FindStringSubmatch(body)
			if !tt.wantDrop {
				if m != nil || len(rows) != len(tt.run.Results) {
					t.Fatalf("kept %d of %d rows (note %q), want all", len(rows), len(tt.run.Results), m)
				}
				return
			}
			if m == nil {
				t.Fatalf("no \"N more rows\" note in a cut comment")
			}
			if got := fmt.Sprint(len(tt.run.Results) - len(rows)); m[1] != got {
				t.Errorf("note says %s more rows, %s were dropped", m[1], got)
			}
			if len(rows) == 0 {
				t.Error("every row was dropped")
			}
			// The summary has a larger budget and keeps every row.
			if got := len(tableRows(Summary(tt.run, testMeta()))); got != len(tt.run.Results) {
				t.Errorf("summary kept %d rows, want %d", got, len(tt.run.Results))
			}
		})
	}
}

func TestCommentKeepsFailuresOverSuccesses(t *testing.T) {
	t.Parallel()
	run := bigRun(false)
	// One failure at the very end of the run order must survive the cut.
	last := &run.Results[len(run.Results)-1]
	last.Action, last.Error = result.Failed, "the one that broke"
	for i := range run.Results {
		run.Results[i].Detail = strings.Repeat("x", 200) // widen every row past the limit
	}
	body := Comment(run, testMeta(), "<!-- m -->")
	rows := tableRows(body)
	if len(rows) == len(run.Results) {
		t.Fatal("test needs a run that does not fit")
	}
	if !strings.Contains(rows[0], "❌ failed") || !strings.Contains(body, "the one that broke") {
		t.Errorf("the failure was not kept first:\n%s", rows[0])
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
}

func TestHelpers(t *testing.T) {
	t.Parallel()
	sizes := map[int64]string{0: "", 512: "512 B", 2345: "2.3 KiB", 1_572_864: "1.5 MiB", 3 << 30: "3.0 GiB"}
	for n, want := range sizes {
		if got := humanSize(n); got != want {
			t.Errorf("humanSize(%d) = %q, want %q", n, got, want)
		}
	}
	durations := map[int64]string{0: "", 123: "123 ms", 1530: "1.5 s", 65_000: "1m05s"}
	for ms, want := range durations {
		if got := humanMS(ms); got != want {
			t.Errorf("humanMS(%d) = %q, want %q", ms, got, want)
		}
	}
	if got := truncate("héllo wörld", 5); got != "h…" || !utf8.ValidString(got) {
		t.Errorf("truncate cut a rune: %q", got)
	}
	if got := fence("a ```` b"); got != "`````" {
		t.Errorf("fence = %q, want five backticks", got)
	}
	if got := mdText("a|b <x>\n*y*"); got != `a\|b &lt;x&gt; \*y\*` {
		t.Errorf("mdText = %q", got)
	}
}
