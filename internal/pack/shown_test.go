package pack

import (
	"context"
	"errors"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

// TestShown: the CLI hands Build an absolute Root (the workspace need not be
// the working directory) and the path as the user wrote it in Shown. Every
// message and error field names the folder as shown; none holds the
// absolute path.
func TestShown(t *testing.T) {
	t.Parallel()
	const shown = "cloudfunctions/login"
	outside := t.TempDir()
	writeTree(t, outside, tree{"secret.js": "x"})
	tests := []struct {
		name string
		tree tree
		// root is the Root under the tree's folder; "" is the folder.
		root    string
		opts    Options
		wantMsg []string
		// wantFile is LayoutError.File; "" means no LayoutError.
		wantFile string
	}{
		{name: "no file matched", tree: tree{"index.js": "x"}, opts: Options{Files: parse(t, []string{"*.py"})},
			wantMsg: []string{`files: no file matched ["*.py"] under "cloudfunctions/login"`}},
		{name: "missing entry", tree: tree{"main.js": "x"},
			wantMsg: []string{`no "index.js" at the root of "cloudfunctions/login"`}, wantFile: shown + "/index.js"},
		{name: "single folder", tree: tree{"src/index.js": "x"},
			wantMsg: []string{"e.g. path: cloudfunctions/login/src"}, wantFile: shown + "/src"},
		{name: "over the size limit", tree: tree{"index.js": "x", "big.bin": noise(7, 20_000)}, opts: Options{SizeLimit: 1000},
			wantMsg: []string{`package for "cloudfunctions/login" is`}},
		{name: "symlink outside", tree: tree{"index.js": "x", "lib": "->" + filepath.Join(outside, "secret.js")},
			wantMsg: []string{`symlink "lib" under "cloudfunctions/login" points to`, `(copy them into "cloudfunctions/login"`}},
		{name: "symlink loop", tree: tree{"index.js": "x", "sub/up": "->.."},
			wantMsg: []string{`symlink "sub/up" under "cloudfunctions/login" points to "cloudfunctions/login", a directory that contains it`}},
		{name: "dangling symlink", tree: tree{"index.js": "x", "gone": "->nowhere.js"},
			wantMsg: []string{`symlink "gone" under "cloudfunctions/login" points to "nowhere.js"`}},
		{name: "path does not exist", tree: tree{"index.js": "x"}, root: "missing",
			wantMsg: []string{`path: "cloudfunctions/login" does not exist`}},
		{name: "path is a file", tree: tree{"index.js": "x"}, root: "index.js",
			wantMsg: []string{`path: "cloudfunctions/login" is a file`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := makeTree(t, tt.tree)
			real, err := filepath.EvalSymlinks(dir)
			mustNil(t, err)
			opts := tt.opts
			opts.Root, opts.Shown = filepath.Join(dir, tt.root), shown
			_, err = Build(context.Background(), opts)
			if err == nil {
				t.Fatal("Build succeeded, want an error")
			}
			for _, w := range tt.wantMsg {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", err, w)
				}
			}
			var fields []string
			var (
				se *SelectError
				le *LayoutError
				ze *SizeError
			)
			switch {
			case errors.As(err, &se):
				fields = append(fields, se.Root)
			case errors.As(err, &le):
				fields = append(fields, le.Root, le.File)
				if le.File != tt.wantFile {
					t.Errorf("LayoutError.File = %q, want %q", le.File, tt.wantFile)
				}
			case errors.As(err, &ze):
				fields = append(fields, ze.Root)
			default:
				t.Fatalf("err = %v (%T), want a typed pack error", err, err)
			}
			if tt.wantFile != "" && le == nil {
				t.Errorf("err = %v (%T), want a *LayoutError", err, err)
			}
			if fields[0] != shown {
				t.Errorf("Root field = %q, want %q", fields[0], shown)
			}
			for _, s := range append(fields, err.Error()) {
				if strings.Contains(s, dir) || strings.Contains(s, real) {
					t.Errorf("%q holds the absolute path %q", s, dir)
				}
			}
		})
	}
}

// TestShownOSErrors: an error from the file system names the file by the
// path pack opened; the message keeps the reason and names the folder as
// shown.
func TestShownOSErrors(t *testing.T) {
	t.Parallel()
	z := &zipper{root: "/abs/ws/cloudfunctions/login", shown: "cloudfunctions/login"}
	err := z.readError(entry{name: "a.js", path: "/abs/ws/cloudfunctions/login/a.js"},
		&fs.PathError{Op: "open", Path: "/abs/ws/cloudfunctions/login/a.js", Err: fs.ErrPermission})
	want := `path "cloudfunctions/login": read "a.js": open: permission denied`
	if err.Error() != want || !errors.Is(err, fs.ErrPermission) {
		t.Errorf("err = %q, want %q (and still fs.ErrPermission)", err, want)
	}
	// Without Shown, messages name Root.
	z.shown = ""
	if err := z.writeError(errors.New("disk full")); !strings.Contains(err.Error(), `path "/abs/ws/cloudfunctions/login"`) {
		t.Errorf("err = %q, want Root named when Shown is empty", err)
	}
}
