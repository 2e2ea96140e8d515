package output_test

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/output"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

// names lists the commands' names.
func names(cmds []output.Command) string {
	var n []string
	for _, c := range cmds {
		n = append(n, c.Name)
	}
	return strings.Join(n, ",")
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

// world is an Out with buffers and runner files in a temp dir.
type world struct {
	out                 *output.Out
	stdout, stderr      *syncBuffer
	outputFile, summary string
}

func newWorld(t *testing.T, action bool, secrets ...string) *world {
	t.Helper()
	dir := t.TempDir()
	w := &world{stdout: &syncBuffer{}, stderr: &syncBuffer{},
		outputFile: filepath.Join(dir, "output"), summary: filepath.Join(dir, "summary")}
	env := map[string]string{"GITHUB_OUTPUT": w.outputFile, "GITHUB_STEP_SUMMARY": w.summary}
	w.out = output.New(output.Options{Stdout: w.stdout, Stderr: w.stderr, Action: action,
		Getenv: func(k string) string { return env[k] }, Redactor: redact.New()})
	w.out.Mask(secrets...)
	return w
}

func (w *world) file(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return string(data)
}

// syncBuffer is a bytes.Buffer safe for the stream's writer goroutine and
// the test reading it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
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
