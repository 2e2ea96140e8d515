package output_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/output"
)

// stalledWriter blocks every Write until release is closed: a pipe nobody
// reads.
type stalledWriter struct {
	release chan struct{}
	buf     syncBuffer
}

func (w *stalledWriter) Write(p []byte) (int, error) {
	<-w.release
	return w.buf.Write(p)
}

// TestStalledStdoutDoesNotHang: a stream nobody reads delays a write by the
// stall timeout at most, later writes not at all, and Flush gives up when
// its context ends. Nothing is lost once the reader comes back.
func TestStalledStdoutDoesNotHang(t *testing.T) {
	t.Parallel()
	w := &stalledWriter{release: make(chan struct{})}
	released := false
	release := func() {
		if !released {
			released = true
			close(w.release)
		}
	}
	t.Cleanup(release)
	out := output.New(output.Options{Stdout: w, Action: true, StallTimeout: time.Millisecond})

	for i := range 100 {
		out.Line("line %d", i) // would hang here if a write waited for the reader
	}
	out.Mask("a-secret-value")

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := out.Flush(ctx)
	if err == nil || !strings.Contains(err.Error(), "stdout: ") || !strings.Contains(err.Error(), "unwritten") {
		t.Fatalf("Flush on a stalled stdout = %v, want an error saying what is unwritten", err)
	}

	release()
	if err := out.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	got := w.buf.String()
	if !strings.HasPrefix(got, "line 0\nline 1\n") || !strings.HasSuffix(got, "line 99\n::add-mask::a-secret-value\n") || strings.Count(got, "\n") != 101 {
		t.Errorf("after the reader came back: %q", got)
	}
}
