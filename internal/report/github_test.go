package report

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

// parseOutputs reads a $GITHUB_OUTPUT file the way the runner does.
func parseOutputs(t *testing.T, text string) map[string]string {
	t.Helper()
	out := map[string]string{}
	lines := strings.Split(text, "\n")
	for i := 0; i < len(lines); i++ {
		if lines[i] == "" {
			continue
		}
		name, delim, ok := strings.Cut(lines[i], "<<")
		if !ok {
			t.Fatalf("line %d is not in heredoc form: %q", i+1, lines[i])
		}
		var val []string
		for i++; i < len(lines) && lines[i] != delim; i++ {
			val = append(val, lines[i])
		}
		if i == len(lines) {
			t.Fatalf("delimiter %q of %q never closes", delim, name)
		}
		out[name] = strings.Join(val, "\n")
	}
	return out
}

func TestSetOutputs(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "output")
	if err := os.WriteFile(path, []byte("earlier<<EOF\nkept\nEOF\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	g := NewGitHub(envMap(map[string]string{"GITHUB_OUTPUT": path}), &bytes.Buffer{})
	outs := []Output{
		{Name: "status", Value: "failure"},
		{Name: "results", Value: "[{\"error\":\"line one\\nline two\"}]\nsecond=line\nEOF"},
		{Name: "zip-size", Value: ""},
	}
	if err := g.SetOutputs(outs); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	got := parseOutputs(t, string(data))
	want := map[string]string{"earlier": "kept"}
	for _, o := range outs {
		want[o.Name] = o.Value
	}
	if len(got) != len(want) {
		t.Fatalf("outputs = %q, want %q", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// fixedReader yields the same bytes forever, so every delimiter is equal.
type fixedReader struct{ b byte }

func (r fixedReader) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = r.b
	}
	return len(p), nil
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, errors.New("entropy ran out") }

func TestSetOutputsDelimiter(t *testing.T) {
	t.Parallel()
	clash := "ghadelimiter_" + strings.Repeat("ab", 16)
	tests := []struct {
		name    string
		random  io.Reader
		value   string
		wantErr string
	}{
		{"value holding the delimiter is refused", fixedReader{0xab}, "x\n" + clash + "\ny", "no heredoc delimiter"},
		{"unreadable randomness is an error", failingReader{}, "x", "entropy ran out"},
		{"other values pass", fixedReader{0xab}, "x", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(t.TempDir(), "output")
			g := NewGitHub(envMap(map[string]string{"GITHUB_OUTPUT": path}), &bytes.Buffer{})
			g.random = tt.random
			err := g.SetOutputs([]Output{{Name: "results", Value: tt.value}})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), `"results"`) {
				t.Fatalf("err = %v, want one naming the output and %q", err, tt.wantErr)
			}
			if _, statErr := os.Stat(path); statErr == nil {
				t.Error("a refused output was partly written")
			}
		})
	}
}

func TestFileErrorsDoNotPanic(t *testing.T) {
	t.Parallel()
	dir := t.TempDir() // a directory cannot be opened for appending
	g := NewGitHub(envMap(map[string]string{"GITHUB_OUTPUT": dir, "GITHUB_STEP_SUMMARY": dir}), &bytes.Buffer{})
	if err := g.SetOutputs([]Output{{Name: "status", Value: "success"}}); err == nil || !strings.Contains(err.Error(), "$GITHUB_OUTPUT") {
		t.Errorf("SetOutputs err = %v, want one naming $GITHUB_OUTPUT", err)
	}
	if err := g.AddSummary("# hi"); err == nil || !strings.Contains(err.Error(), "$GITHUB_STEP_SUMMARY") {
		t.Errorf("AddSummary err = %v, want one naming $GITHUB_STEP_SUMMARY", err)
	}
}

func TestUnsetFilesAreSkipped(t *testing.T) {
	t.Parallel()
	var stdout bytes.Buffer
	g := NewGitHub(envMap(nil), &stdout)
	if err := g.SetOutputs([]Output{{Name: "status", Value: "success"}}); err != nil {
		t.Error(err)
	}
	if err := g.AddSummary("# hi"); err != nil {
		t.Error(err)
	}
	if stdout.Len() != 0 {
		t.Errorf("printed %q outside GitHub Actions", stdout.String())
	}
}

func TestAddSummaryAppends(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "summary")
	g := NewGitHub(envMap(map[string]string{"GITHUB_STEP_SUMMARY": path}), &bytes.Buffer{})
	for _, md := range []string{"# one", "# two\n"} {
		if err := g.AddSummary(md); err != nil {
			t.Fatal(err)
		}
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := string(data), "# one\n# two\n"; got != want {
		t.Errorf("summary file = %q, want %q", got, want)
	}
}

func TestMask(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, secret, want string }{
		{"single", "s3cr%t", "::add-mask::s3cr%25t\n"},
		{"empty is skipped", "", ""},
		{"each line of a multi-line secret", "line1\r\nline2\n\n", "::add-mask::line1\n::add-mask::line2\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			NewGitHub(envMap(nil), &out).Mask(tt.secret)
			if out.String() != tt.want {
				t.Errorf("printed %q, want %q", out.String(), tt.want)
			}
		})
	}
}

func TestAnnotate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		a    Annotation
		want string
	}{
		{
			name: "properties and message escaped",
			a: Annotation{Level: "error", Title: "wxcloud-deploy: login@dev-1", File: "cloudfunctions/a,b/index.js", Line: 3,
				Message: "100% broken\r\nsecond line"},
			want: "::error file=cloudfunctions/a%2Cb/index.js,line=3,title=wxcloud-deploy%3A login@dev-1::100%25 broken%0D%0Asecond line\n",
		},
		{"warning without properties", Annotation{Level: "warning", Message: "careful"}, "::warning::careful\n"},
		{"notice", Annotation{Level: "notice", Title: "t", Message: "m"}, "::notice title=t::m\n"},
		{"unknown level is an error", Annotation{Level: "fatal", Message: "m"}, "::error::m\n"},
		{"line without file", Annotation{Level: "error", Line: 7, Message: "m"}, "::error line=7::m\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			NewGitHub(envMap(nil), &out).Annotate(tt.a)
			if out.String() != tt.want {
				t.Errorf("printed %q, want %q", out.String(), tt.want)
			}
		})
	}
}
