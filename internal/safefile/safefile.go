// Package safefile writes the files a run produces (the zip of pack, the code
// of download, the results file) so that a reader never sees half a file and
// a planted symlink cannot redirect the write: the content goes to a
// temporary file in the same folder, which is then renamed over the target
// (a rename replaces a symlink, it never follows one). With a root, the
// folder must resolve inside it.
package safefile

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// Write writes what write produces to path. root, when not "", is the
// workspace the folder must resolve inside.
func Write(path, root string, write func(w io.Writer) error) (err error) {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot make the folder %q: %w", dir, err)
	}
	if root != "" {
		real, err := filepath.EvalSymlinks(dir)
		if err != nil {
			return fmt.Errorf("cannot resolve the folder %q: %w", dir, err)
		}
		if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return fmt.Errorf("refusing to write %q: its folder resolves to %q, outside the workspace %q (a symlink?)", path, real, root)
		}
	}
	if fi, err := os.Lstat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("refusing to write %q: it is a directory", path)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write in %q: %w", dir, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := write(tmp); err != nil {
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("cannot set the mode of %q: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("cannot finish writing %q: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("cannot put %q in place: %w", path, err)
	}
	return nil
}
