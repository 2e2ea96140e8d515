package output_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/output"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

func envFunc(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestSetOutputs(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "output")
	if err := os.WriteFile(path, []byte("earlier<<EOF\nkept\nEOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := output.New(output.Options{Getenv: envFunc(map[string]string{"GITHUB_OUTPUT": path}), Redactor: redact.New(testToken)})
	outs := []output.Output{
		{Name: "status", Value: "failure"},
		{Name: "results", Value: `[{"error":"line one\nline two ` + testToken + ` ##[set-output name=x;]y","n":1.50}]`},
		{Name: "failed-envs", Value: "dev-1,dev-2\nsecond=line\nEOF"},
		{Name: "zip-size", Value: ""},
	}
	if err := out.SetOutputs(outs); err != nil {
		t.Fatal(err)
	}
	got := parseOutputs(t, readFile(t, path))
	want := map[string]string{
		"earlier": "kept",
		"status":  "failure",
		// JSON stays JSON (the number's text kept), the secret masked, the
		// legacy command prefix escaped inside its string.
		"results":     `[{"error":"line one\nline two *** ##\u005bset-output name=x;]y","n":1.50}]`,
		"failed-envs": "dev-1,dev-2\nsecond=line\nEOF",
		"zip-size":    "",
	}
	if len(got) != len(want) {
		t.Fatalf("outputs = %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	var decoded []map[string]any
	if err := json.Unmarshal([]byte(got["results"]), &decoded); err != nil || decoded[0]["error"] != "line one\nline two *** ##[set-output name=x;]y" {
		t.Errorf("results decodes to %v (%v), want the same data redacted", decoded, err)
	}
}

func TestSetOutputsRefusals(t *testing.T) {
	t.Parallel()
	clash := "ghadelimiter_" + strings.Repeat("ab", 16)
	tests := []struct {
		name    string
		random  io.Reader
		outs    []output.Output
		wantErr string
		wantSet []string
	}{
		{"value holding the delimiter is refused", fixedReader{0xab}, []output.Output{{Name: "results", Value: "x\n" + clash + "\ny"}, {Name: "status", Value: "ok"}},
			`output "results": no heredoc delimiter`, []string{"status"}},
		{"unreadable randomness is an error", failingReader{}, []output.Output{{Name: "results", Value: "x"}}, "entropy ran out", nil},
		{"a bad name is refused", fixedReader{1}, []output.Output{{Name: "a b\nc", Value: "x"}, {Name: "status", Value: "ok"}}, "not a valid output name", []string{"status"}},
		{"a value over 1 MiB is left unset", fixedReader{1}, []output.Output{{Name: "results", Value: strings.Repeat("x", output.OutputLimit+1)}, {Name: "status", Value: "ok"}},
			`output "results": 1048577 bytes`, []string{"status"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "output")
			out := output.New(output.Options{Getenv: envFunc(map[string]string{"GITHUB_OUTPUT": path}), Random: tt.random})
			err := out.SetOutputs(tt.outs)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			got := parseOutputs(t, readFile(t, path))
			if len(got) != len(tt.wantSet) {
				t.Errorf("set %v, want only %v", got, tt.wantSet)
			}
		})
	}
}

func TestFilesUnwritableOrUnset(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() // a directory cannot be opened for appending
	out := output.New(output.Options{Getenv: envFunc(map[string]string{"GITHUB_OUTPUT": dir, "GITHUB_STEP_SUMMARY": dir})})
	if err := out.SetOutputs([]output.Output{{Name: "status", Value: "success"}}); err == nil || !strings.Contains(err.Error(), "$GITHUB_OUTPUT") {
		t.Errorf("SetOutputs err = %v, want one naming $GITHUB_OUTPUT", err)
	}
	if err := out.Summary("# hi"); err == nil || !strings.Contains(err.Error(), "$GITHUB_STEP_SUMMARY") {
		t.Errorf("Summary err = %v, want one naming $GITHUB_STEP_SUMMARY", err)
	}

	var stdout bytes.Buffer
	unset := output.New(output.Options{Stdout: &stdout})
	if err := unset.SetOutputs([]output.Output{{Name: "status", Value: "success"}}); err != nil {
		t.Error(err)
	}
	if err := unset.Summary("# hi"); err != nil {
		t.Error(err)
	}
	if stdout.Len() != 0 {
		t.Errorf("printed %q outside GitHub Actions", stdout.String())
	}
}

func TestSummary(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "summary")
	out := output.New(output.Options{Getenv: envFunc(map[string]string{"GITHUB_STEP_SUMMARY": path}), Redactor: redact.New(testToken)})
	for _, md := range []string{"# one " + testToken, "# two\x1b[2J\r\n"} {
		if err := out.Summary(md); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := readFile(t, path), "# one ***\n# two\\x1b[2J\\r\n"; got != want {
		t.Errorf("summary file = %q, want %q", got, want)
	}

	// The limit counts what the step's file already holds.
	big := strings.Repeat("| row |\n", output.SummaryLimit/8)
	if err := out.Summary(big); err != nil {
		t.Fatal(err)
	}
	got := readFile(t, path)
	if len(got) > output.SummaryLimit || !strings.HasSuffix(got, "GitHub shows at most 1 MiB per step._\n") {
		t.Errorf("summary file has %d bytes, ends %q", len(got), got[len(got)-80:])
	}
	if err := os.WriteFile(path, []byte(strings.Repeat("x", output.SummaryLimit)), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := out.Summary("more"); err == nil || !strings.Contains(err.Error(), "already holds") {
		t.Errorf("a full summary file took more: %v", err)
	}
}

func TestCommentBody(t *testing.T) {
	t.Parallel()
	out := output.New(output.Options{Redactor: redact.New(testToken)})
	marker := "<!-- wxcloud-deploy: CI/deploy -->"
	body := out.CommentBody(marker + "\n" + strings.Repeat("ä row "+testToken+"\n", 20000))
	if len(body) > output.CommentLimit {
		t.Errorf("comment has %d bytes, over %d", len(body), output.CommentLimit)
	}
	if !strings.HasPrefix(body, marker+"\n") || strings.Contains(body, testToken) || !strings.Contains(body, "ä row ***\n") {
		t.Errorf("comment lost its marker or kept the secret: %q", body[:200])
	}
	if !strings.HasSuffix(body, "See the job summary._\n") {
		t.Errorf("comment does not say it was cut: %q", body[len(body)-100:])
	}
	if got := out.CommentBody("a\x1b[31mb"); got != `a\x1b[31mb` {
		t.Errorf("CommentBody kept a control character: %q", got)
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		action  bool
		secrets []string
		want    string
	}{
		{"single, escaped", true, []string{"s3cr%t-value"}, "::add-mask::s3cr%25t-value\n"},
		{"empty and blank are skipped", true, []string{"", "  "}, ""},
		{"each line of a multi-line secret", true, []string{"line1-secret\r\nline2-secret\n\n"}, "::add-mask::line1-secret\n::add-mask::line2-secret\n"},
		{"once per secret", true, []string{"same-secret", "same-secret"}, "::add-mask::same-secret\n"},
		{"nothing printed in a terminal", false, []string{"cli-secret"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			out := output.New(output.Options{Stdout: &stdout, Stderr: &stderr, Action: tt.action})
			out.Mask(tt.secrets...)
			if stdout.String() != tt.want || stderr.Len() != 0 {
				t.Errorf("printed %q / %q, want %q", stdout.String(), stderr.String(), tt.want)
			}
			stdout.Reset()
			for _, s := range tt.secrets {
				out.Line("got %s", s)
			}
			for _, s := range tt.secrets {
				if strings.TrimSpace(s) != "" && (strings.Contains(stdout.String(), "secret") || strings.Contains(stderr.String(), "secret")) {
					t.Errorf("a masked secret was printed: %q %q", stdout.String(), stderr.String())
				}
			}
		})
	}
}

func TestLineAndPrint(t *testing.T) {
	t.Parallel()
	for _, action := range []bool{true, false} {
		t.Run(fmt.Sprint("action=", action), func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			out := output.New(output.Options{Stdout: &stdout, Stderr: &stderr, Action: action, Redactor: redact.New(testToken)})
			out.Line("%s: %s", "login@dev", "bad\n::warning::INJ "+testToken)
			out.Print("TABLE\n::error::cell\n")
			out.PrintErr("help\n  ##[group]x")
			progress, quiet := &stdout, &stderr
			if !action {
				progress, quiet = &stderr, &stdout
			}
			wantProgress := `login@dev: bad\n::warning::INJ ***` + "\n"
			if !strings.HasPrefix(progress.String(), wantProgress) && !strings.Contains(progress.String(), wantProgress) {
				t.Errorf("progress = %q, want it to hold %q", progress.String(), wantProgress)
			}
			if !action && strings.Contains(quiet.String(), "login@dev") {
				t.Errorf("a progress line reached stdout in a terminal: %q", quiet.String())
			}
			if !strings.Contains(stdout.String(), "TABLE\n\\::error::cell\n") || !strings.Contains(stderr.String(), "help\n  #\\#[group]x\n") {
				t.Errorf("Print/PrintErr did not defuse: %q / %q", stdout.String(), stderr.String())
			}
			if cmds := output.RunnerCommands(stdout.String() + stderr.String()); len(cmds) != 0 {
				t.Errorf("the runner would run %v", cmds)
			}
		})
	}
}

func TestLineIsAtomic(t *testing.T) {
	t.Parallel()
	var stderr syncBuffer
	out := output.New(output.Options{Stderr: &stderr})
	var wg sync.WaitGroup
	for g := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				out.Line("goroutine %02d line %02d %s", g, i, strings.Repeat("x", 100))
			}
		}()
	}
	wg.Wait()
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if len(lines) != 1000 {
		t.Fatalf("got %d lines, want 1000", len(lines))
	}
	for _, l := range lines {
		if len(l) != len("goroutine 00 line 00 ")+100 {
			t.Fatalf("interleaved line %q", l)
		}
	}
}

func TestGroup(t *testing.T) {
	t.Parallel()
	var stdout, stderr bytes.Buffer
	out := output.New(output.Options{Stdout: &stdout, Stderr: &stderr, Action: true})
	end := out.Group("deploy login\n::error::x")
	out.Line("inside")
	end()
	end()
	if got, want := stdout.String(), "::group::deploy login\\n::error::x\ninside\n::endgroup::\n"; got != want {
		t.Errorf("Actions group = %q, want %q", got, want)
	}
	if names(output.RunnerCommands(stdout.String())) != "group,endgroup" {
		t.Errorf("commands = %v", output.RunnerCommands(stdout.String()))
	}

	stdout.Reset()
	cli := output.New(output.Options{Stdout: &stdout, Stderr: &stderr})
	cli.Group("deploy login")()
	if stderr.String() != "== deploy login ==\n" || stdout.Len() != 0 {
		t.Errorf("terminal group = %q / %q", stderr.String(), stdout.String())
	}
}

func TestAnnotate(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	if err := os.MkdirAll(filepath.Join(ws, "cloudfunctions", "a,b"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ws, "cloudfunctions", "a,b", "index.js"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name        string
		action      bool
		a           output.Annotation
		want        string
		wantCommand string
	}{
		{"properties and message escaped, file made relative", true,
			output.Annotation{Level: "error", Title: "wxcloud-deploy: login@dev-1", File: filepath.Join(ws, "cloudfunctions/a,b/index.js"), Line: 3,
				Message: "100% broken\nsecond line"},
			"::error file=cloudfunctions/a%2Cb/index.js,line=3,title=wxcloud-deploy%3A login@dev-1::100%25 broken%0Asecond line\n", "error"},
		{"a relative file that exists is kept", true,
			output.Annotation{Level: "warning", File: "cloudfunctions/a,b/index.js", Message: "careful"},
			"::warning file=cloudfunctions/a%2Cb/index.js::careful\n", "warning"},
		{"a file outside the workspace is dropped", true,
			output.Annotation{Level: "error", File: "/etc/passwd", Line: 1, Message: "m"}, "::error::m\n", "error"},
		{"a missing file is dropped", true,
			output.Annotation{Level: "error", File: "nope.js", Message: "m"}, "::error::m\n", "error"},
		{"a file escaping with .. is dropped", true,
			output.Annotation{Level: "error", File: "../x.js", Message: "m"}, "::error::m\n", "error"},
		{"notice", true, output.Annotation{Level: "notice", Title: "t", Message: "m"}, "::notice title=t::m\n", "notice"},
		{"unknown level is an error", true, output.Annotation{Level: "fatal", Message: "m"}, "::error::m\n", "error"},
		{"outside text in the message stays data", true,
			output.Annotation{Level: "error", Message: "nope\n::set-output name=status::success\r\x1b[2J"},
			"::error::nope%0A\\::set-output name=status::success\\r\\x1b[2J\n", "error"},
		{"a secret is masked", true, output.Annotation{Level: "error", Title: testToken, Message: "testToken " + testToken},
			"::error title=***::testToken ***\n", "error"},
		{"terminal form", false,
			output.Annotation{Level: "error", Title: "wxcloud-deploy: login@dev-1", File: "cloudfunctions/a,b/index.js", Line: 3,
				Message: "broken\n::warning::second line"},
			"cloudfunctions/a,b/index.js:3: error: wxcloud-deploy: login@dev-1: broken\n  \\::warning::second line\n", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			out := output.New(output.Options{Stdout: &stdout, Stderr: &stderr, Action: tt.action, Workspace: ws, Redactor: redact.New(testToken)})
			out.Annotate(tt.a)
			got, other := stdout.String(), stderr.String()
			if !tt.action {
				got, other = other, got
			}
			if got != tt.want || other != "" {
				t.Errorf("printed %q (and %q), want %q", got, other, tt.want)
			}
			if cmds := output.RunnerCommands(got); names(cmds) != tt.wantCommand {
				t.Errorf("the runner would run %v, want only %q", cmds, tt.wantCommand)
			}
		})
	}
}

func TestJSON(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	out := output.New(output.Options{Stdout: &stdout, Redactor: redact.New(testToken, `tok"en-with-quote`)})
	v := []map[string]any{{
		"function": "a<b>",
		"error":    "x\n##[set-output name=a;]b \u0085 \u202e " + testToken + ` tok"en-with-quote`,
		"n":        12345678901234567890.0,
		"nested":   map[string]any{testToken: []any{true, nil, "::warning::x"}},
	}}
	if err := out.JSON(v); err != nil {
		t.Fatal(err)
	}
	text := stdout.String()
	var got []map[string]any
	if err := json.Unmarshal([]byte(text), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, text)
	}
	if want := "x\n##[set-output name=a;]b \u0085 \u202e *** ***"; got[0]["error"] != want {
		t.Errorf("error decodes to %q, want %q", got[0]["error"], want)
	}
	if _, ok := got[0]["nested"].(map[string]any)["***"]; !ok {
		t.Errorf("a secret map key was kept: %v", got[0]["nested"])
	}
	if strings.Contains(text, testToken) || strings.Contains(text, "##[") || strings.Contains(text, "\u202e") || strings.Contains(text, "\u0085") {
		t.Errorf("raw text left in the JSON:\n%s", text)
	}
	if !strings.Contains(text, "a<b>") || !strings.HasPrefix(text, "[\n  {\n") {
		t.Errorf("want indented JSON without HTML escapes:\n%s", text)
	}
	if cmds := output.RunnerCommands(text); len(cmds) != 0 {
		t.Errorf("the runner would run %v", cmds)
	}
}

func TestWriteFile(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := output.New(output.Options{Redactor: redact.New(testToken)})
	path := filepath.Join(dir, "results.json")
	if err := out.WriteFile(path, []byte(`[{"error":"`+testToken+`"}]`)); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, path); got != "[\n  {\n    \"error\": \"***\"\n  }\n]\n" {
		t.Errorf("results file = %q", got)
	}
	// A folder that is a file cannot hold it.
	if err := out.WriteFile(filepath.Join(path, "x.json"), []byte("x")); err == nil || !strings.Contains(err.Error(), "cannot make the folder") {
		t.Errorf("err = %v", err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	return string(data)
}
