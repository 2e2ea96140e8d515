//go:build unix

package output_test

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/output"
)

// TestFIFONobodyReads: opening a FIFO for writing blocks until a reader
// comes; a summary or output file that is one must not hold the exit.
func TestFIFONobodyReads(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	for _, name := range []string{"output", "summary", "results.json"} {
		if err := syscall.Mkfifo(filepath.Join(dir, name), 0o600); err != nil {
			t.Skipf("no FIFOs here: %v", err)
		}
	}
	t.Cleanup(func() {
		// Let the abandoned writers finish: open each FIFO for reading,
		// which unblocks their open, and read what they write.
		for _, name := range []string{"output", "summary", "results.json"} {
			if f, err := os.OpenFile(filepath.Join(dir, name), os.O_RDONLY|syscall.O_NONBLOCK, 0); err == nil {
				defer f.Close()
			}
		}
	})
	env := map[string]string{"GITHUB_OUTPUT": filepath.Join(dir, "output"), "GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary")}
	out := output.New(output.Options{Getenv: envFunc(env), StallTimeout: time.Millisecond})

	for name, err := range map[string]error{
		"SetOutputs": out.SetOutputs([]output.Output{{Name: "status", Value: "success"}}),
		"Summary":    out.Summary("# hi"),
	} {
		if err == nil || !strings.Contains(err.Error(), "did not finish within 1ms") {
			t.Errorf("%s to a FIFO nobody reads = %v, want it to give up", name, err)
		}
	}
	// results-file is written beside and renamed over the target: a FIFO
	// planted there is replaced, never opened.
	if err := out.WriteFile(filepath.Join(dir, "results.json"), []byte("[]")); err != nil {
		t.Errorf("WriteFile over a FIFO: %v", err)
	}
	if fi, err := os.Lstat(filepath.Join(dir, "results.json")); err != nil || !fi.Mode().IsRegular() {
		t.Errorf("results.json is not a regular file now (%v)", err)
	}
}
