package testkit

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

// RepoRoot is the repository's root: the nearest directory above the working
// directory (a test runs in its package's) that holds go.mod.
func RepoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("testkit: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Hello is the absolute path of the sample function,
// testdata/functions/hello (index.js and package.json).
func Hello(t testing.TB) string {
	t.Helper()
	return filepath.Join(RepoRoot(t), "testdata", "functions", "hello")
}

// EventPath is the absolute path of a real webhook payload under
// testdata/events: "pull_request", "push" or "workflow_dispatch".
func EventPath(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(RepoRoot(t), "testdata", "events", name+".json")
}

// CopyDir copies the regular files under src to dst, keeping the layout.
func CopyDir(t testing.TB, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		WriteFile(t, filepath.Join(dst, rel), string(data))
		return nil
	})
	if err != nil {
		t.Fatalf("copying %s: %v", src, err)
	}
}

// WriteFile writes content to path, making its directory.
func WriteFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// ReadFile returns path's content.
func ReadFile(t testing.TB, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return string(data)
}

// Workspace is a repository checkout in a temporary directory: what
// GITHUB_WORKSPACE (or --workspace) names.
type Workspace struct {
	t testing.TB
	// Dir is absolute with symlinks resolved, as the program resolves it,
	// so paths it prints compare equal.
	Dir string
}

// NewWorkspace returns an empty workspace removed when the test ends.
func NewWorkspace(t testing.TB) *Workspace {
	t.Helper()
	dir, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	return &Workspace{t: t, Dir: dir}
}

// Sub is the directory rel inside w as a workspace of its own.
func (w *Workspace) Sub(rel string) *Workspace {
	return &Workspace{t: w.t, Dir: w.Path(rel)}
}

// Path is rel (slash-separated) inside the workspace.
func (w *Workspace) Path(rel string) string {
	return filepath.Join(w.Dir, filepath.FromSlash(rel))
}

// Write writes a file at rel and returns its path.
func (w *Workspace) Write(rel, content string) string {
	w.t.Helper()
	p := w.Path(rel)
	WriteFile(w.t, p, content)
	return p
}

// Read returns the content of the file at rel.
func (w *Workspace) Read(rel string) string {
	w.t.Helper()
	return ReadFile(w.t, w.Path(rel))
}

// Hello copies the sample function to rel and returns its path.
func (w *Workspace) Hello(rel string) string {
	w.t.Helper()
	p := w.Path(rel)
	CopyDir(w.t, Hello(w.t), p)
	return p
}

// SHA256Hex is the hex SHA-256 of data.
func SHA256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// Zip builds a zip of files (name -> content), in name order: code
// "someone else" deployed, to seed the emulator with.
func Zip(t testing.TB, files map[string]string) []byte {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(files[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ZipDir zips the regular files directly in dir (the sample is flat).
func ZipDir(t testing.TB, dir string) []byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for _, e := range entries {
		if e.Type().IsRegular() {
			files[e.Name()] = ReadFile(t, filepath.Join(dir, e.Name()))
		}
	}
	return Zip(t, files)
}

// ZipNames lists the entries of a zip, sorted.
func ZipNames(t testing.TB, data []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	sort.Strings(names)
	return names
}
