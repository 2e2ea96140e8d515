package safefile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func TestWrite(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	outside := t.TempDir()
	victim := filepath.Join(outside, "victim")
	if err := os.WriteFile(victim, []byte("keep"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(root, "link.zip")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(root, "out")); err != nil {
		t.Fatal(err)
	}

	// A symlink at the target is replaced, never followed.
	if err := Write(filepath.Join(root, "link.zip"), root, writeString("new")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "keep" {
		t.Errorf("the symlink's target was written: %q", b)
	}
	if fi, err := os.Lstat(filepath.Join(root, "link.zip")); err != nil || fi.Mode()&os.ModeSymlink != 0 {
		t.Errorf("link.zip is still a symlink (%v)", err)
	}

	// A folder that resolves outside the root is refused.
	err := Write(filepath.Join(root, "out", "x.zip"), root, writeString("x"))
	if err == nil || !strings.Contains(err.Error(), "outside the workspace") {
		t.Errorf("err = %v, want a refusal", err)
	}
	if _, err := os.Stat(filepath.Join(outside, "x.zip")); err == nil {
		t.Error("wrote outside the root")
	}

	// A failed write leaves nothing behind, not even the temporary file.
	boom := errors.New("boom")
	if err := Write(filepath.Join(root, "sub", "f.zip"), root, func(io.Writer) error { return boom }); !errors.Is(err, boom) {
		t.Errorf("err = %v", err)
	}
	entries, _ := os.ReadDir(filepath.Join(root, "sub"))
	if len(entries) != 0 {
		t.Errorf("left %v behind", entries)
	}
}
