package pack

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
)

func build(tb testing.TB, opts Options) *Package {
	tb.Helper()
	pkg, err := Build(context.Background(), opts)
	if err != nil {
		tb.Fatal(err)
	}
	return pkg
}

func TestBuildFlatLayout(t *testing.T) {
	t.Parallel()
	root := makeTree(t, tree{
		"index.js":       "exports.main = async () => 'hi'\n",
		"package.json":   `{"name":"login"}`,
		"lib/util.js":    jsLike(1, 5000),
		"node_modules/x": "left out",
	})
	pkg := build(t, Options{Root: root})
	data := zipBytes(t, pkg)
	got := unzipAll(t, data)
	want := map[string]string{
		"index.js":     "exports.main = async () => 'hi'\n",
		"package.json": `{"name":"login"}`,
		"lib/util.js":  jsLike(1, 5000),
	}
	if len(got) != len(want) {
		t.Fatalf("entries %v, want %v", keys(got), want)
	}
	for name, content := range want {
		if string(got[name]) != content {
			t.Errorf("entry %q: content differs", name)
		}
	}
	wantFiles := []File{{"index.js", 32}, {"lib/util.js", 5000}, {"package.json", 16}}
	if len(pkg.Files) != len(wantFiles) {
		t.Fatalf("Files = %v, want %v", pkg.Files, wantFiles)
	}
	for i := range wantFiles {
		if pkg.Files[i] != wantFiles[i] {
			t.Errorf("Files[%d] = %v, want %v", i, pkg.Files[i], wantFiles[i])
		}
	}
	sum := sha256.Sum256(data)
	if pkg.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("SHA256 = %s, want %x", pkg.SHA256, sum)
	}
	if pkg.Size() != int64(len(data)) {
		t.Errorf("Size() = %d, want %d", pkg.Size(), len(data))
	}
}

func keys(m map[string][]byte) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestBuildLayoutErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		tree     tree
		opts     Options
		wantMsg  []string
		wantFile string // relative to root; "" => root-only check skipped
		ok       bool
	}{
		{name: "single folder refused", tree: tree{"src/index.js": "x", "src/package.json": "{}"},
			wantMsg: []string{`holds only the folder "src/"`, "set path to that directory, e.g. path: ROOT/src"}, wantFile: "src"},
		{name: "single folder refused even without entry check", tree: tree{"src/main.py": "x"}, opts: Options{Entry: "-"},
			wantMsg: []string{`holds only the folder "src/"`}, wantFile: "src"},
		{name: "single folder after excludes", tree: tree{"src/index.js": "x", "node_modules/a": "a", ".DS_Store": "x"},
			wantMsg: []string{`holds only the folder "src/"`}, wantFile: "src"},
		{name: "missing entry", tree: tree{"main.js": "x", "package.json": "{}", "lib/a.js": "a"},
			wantMsg:  []string{`no "index.js" at the root of "ROOT"`, "found: lib/, main.js, package.json", "set path to the folder containing index.js, or entry: - for other runtimes"},
			wantFile: "index.js"},
		{name: "entry only in a subfolder", tree: tree{"package.json": "{}", "src/index.js": "x"},
			wantMsg: []string{`no "index.js" at the root`, "found: package.json, src/"}, wantFile: "index.js"},
		{name: "entry excluded by files", tree: tree{"index.js": "x", "a.js": "a"}, opts: Options{Files: globs.List{{Pattern: "a.js"}}},
			wantMsg: []string{`no "index.js"`}, wantFile: "index.js"},
		{name: "custom entry missing", tree: tree{"index.js": "x"}, opts: Options{Entry: "index.py"},
			wantMsg: []string{`no "index.py"`}, wantFile: "index.py"},
		{name: "entry dash passes", tree: tree{"main.py": "x", "lib/a.py": "a"}, opts: Options{Entry: "-"}, ok: true},
		{name: "custom entry present", tree: tree{"index.py": "x"}, opts: Options{Entry: "index.py"}, ok: true},
		{name: "single folder plus a file is fine", tree: tree{"index.js": "x", "src/a.js": "a"}, ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := makeTree(t, tt.tree)
			opts := tt.opts
			opts.Root = root
			_, err := Build(context.Background(), opts)
			if tt.ok {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var le *LayoutError
			if !errors.As(err, &le) {
				t.Fatalf("err = %v (%T), want *LayoutError", err, err)
			}
			for _, w := range tt.wantMsg {
				w = strings.ReplaceAll(w, "ROOT", root)
				if !strings.Contains(le.Error(), w) {
					t.Errorf("error %q\nwant it to contain %q", le.Error(), w)
				}
			}
			if want := root + "/" + tt.wantFile; le.File != want {
				t.Errorf("File = %q, want %q", le.File, want)
			}
			if le.Root != root {
				t.Errorf("Root = %q, want %q", le.Root, root)
			}
		})
	}
}

func TestBuildDeterministic(t *testing.T) {
	t.Parallel()
	files := tree{
		"index.js":        jsLike(1, 3000),
		"package.json":    `{"name":"x"}`,
		"lib/a.js":        jsLike(2, 20000),
		"lib/b.bin":       noise(3, 4000),
		"lib/deep/c.json": "{}",
		"a.b":             "dot sorts before slash",
		"empty.txt":       "",
	}
	rootA := makeTree(t, files)
	ref := build(t, Options{Root: rootA})

	t.Run("rebuild", func(t *testing.T) {
		if again := build(t, Options{Root: rootA}); !bytes.Equal(zipBytes(t, again), zipBytes(t, ref)) {
			t.Fatal("two builds of the same tree differ")
		}
	})
	t.Run("one worker", func(t *testing.T) {
		if one := build(t, Options{Root: rootA, Workers: 1}); !bytes.Equal(zipBytes(t, one), zipBytes(t, ref)) {
			t.Fatal("worker count changed the bytes")
		}
	})
	t.Run("touched", func(t *testing.T) {
		root := makeTree(t, files)
		when := time.Date(2031, 7, 4, 12, 30, 0, 0, time.FixedZone("x", 5*3600))
		err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			return os.Chtimes(p, when, when)
		})
		mustNil(t, err)
		if got := build(t, Options{Root: root}); !bytes.Equal(zipBytes(t, got), zipBytes(t, ref)) {
			t.Fatal("changing every file's time changed the zip")
		}
	})
	t.Run("created in another order with other permissions", func(t *testing.T) {
		root := t.TempDir()
		names := []string{"lib/deep/c.json", "empty.txt", "lib/b.bin", "a.b", "package.json", "lib/a.js", "index.js"}
		for i, name := range names { // reverse-ish creation order, varied permissions
			p := filepath.Join(root, filepath.FromSlash(name))
			mustNil(t, os.MkdirAll(filepath.Dir(p), 0o700))
			perm := os.FileMode(0o600)
			if i%2 == 0 {
				perm = 0o664
			}
			mustNil(t, os.WriteFile(p, []byte(files[name]), perm))
			mustNil(t, os.Chmod(p, perm)) // umask-proof
		}
		if got := build(t, Options{Root: root}); !bytes.Equal(zipBytes(t, got), zipBytes(t, ref)) {
			t.Fatal("creation order or permissions changed the zip")
		}
	})
}

func TestBuildHeaders(t *testing.T) {
	t.Parallel()
	root := makeTree(t, tree{
		"index.js":   jsLike(7, 10000),
		"random.bin": noise(8, 10000),
		"empty":      "",
		"中文/名字.js":   "utf-8 name",
	})
	exe := filepath.Join(root, "run.sh")
	mustNil(t, os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755))
	mustNil(t, os.Chmod(exe, 0o750))
	pkg := build(t, Options{Root: root})
	zr, err := zip.NewReader(pkg, pkg.Size()) // the Package is the io.ReaderAt uploads read

	mustNil(t, err)
	epoch := time.Date(1980, 1, 1, 0, 0, 0, 0, time.UTC)
	methods := map[string]uint16{}
	for _, f := range zr.File {
		methods[f.Name] = f.Method
		if !f.Modified.Equal(epoch) {
			t.Errorf("%q: modified %v, want %v", f.Name, f.Modified, epoch)
		}
		if len(f.Extra) != 0 {
			t.Errorf("%q: extra field %x, want none", f.Name, f.Extra)
		}
		if f.Flags&0x8 != 0 {
			t.Errorf("%q: data descriptor flag set", f.Name)
		}
		if f.CreatorVersion>>8 != 3 {
			t.Errorf("%q: creator %d, want 3 (Unix)", f.Name, f.CreatorVersion>>8)
		}
		wantMode := os.FileMode(0o644)
		if f.Name == "run.sh" && runtime.GOOS != "windows" {
			wantMode = 0o755
		}
		if f.Mode() != wantMode {
			t.Errorf("%q: mode %v, want %v", f.Name, f.Mode(), wantMode)
		}
		if f.NonUTF8 {
			t.Errorf("%q: NonUTF8 set", f.Name)
		}
	}
	if methods["index.js"] != zip.Deflate {
		t.Errorf("compressible file stored with method %d, want deflate", methods["index.js"])
	}
	if methods["random.bin"] != zip.Store {
		t.Errorf("incompressible file stored with method %d, want store (0)", methods["random.bin"])
	}
	if methods["empty"] != zip.Store {
		t.Errorf("empty file method %d, want store", methods["empty"])
	}
	if _, ok := methods["中文/名字.js"]; !ok {
		t.Errorf("utf-8 name missing: %v", methods)
	}
	unzipAll(t, zipBytes(t, pkg))
}

// TestBuildExternalTools opens the zip with Info-ZIP's unzip and Python's
// zipfile, the readers closest to what WeChat's side may use.
func TestBuildExternalTools(t *testing.T) {
	t.Parallel()
	root := makeTree(t, tree{
		"index.js":     jsLike(11, 30000),
		"package.json": `{"name":"x"}`,
		"img/a.png":    noise(12, 3000),
		"lib/big.js":   jsLike(13, wholeFile+100_000), // the streamed path
		"lib/big.bin":  noise(14, wholeFile+10_000),   // streamed, then stored
		"empty":        "",
	})
	pkg := build(t, Options{Root: root})
	data := zipBytes(t, pkg)
	got := unzipAll(t, data)
	if string(got["lib/big.js"]) != jsLike(13, wholeFile+100_000) || string(got["lib/big.bin"]) != noise(14, wholeFile+10_000) {
		t.Fatal("large files did not round-trip")
	}
	zipPath := filepath.Join(t.TempDir(), "fn.zip")
	mustNil(t, os.WriteFile(zipPath, data, 0o644))
	t.Run("unzip", func(t *testing.T) {
		if _, err := exec.LookPath("unzip"); err != nil {
			t.Skip("unzip not installed")
		}
		out, err := exec.Command("unzip", "-t", zipPath).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "No errors detected") {
			t.Fatalf("unzip -t: %v\n%s", err, out)
		}
	})
	t.Run("python zipfile", func(t *testing.T) {
		py, err := exec.LookPath("python3")
		if err != nil {
			t.Skip("python3 not installed")
		}
		script := "import zipfile,sys; z=zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.namelist()))"
		out, err := exec.Command(py, "-c", script, zipPath).CombinedOutput()
		if err != nil {
			t.Fatalf("python zipfile: %v\n%s", err, out)
		}
		if strings.TrimSpace(string(out)) != "6" {
			t.Fatalf("python counted %s entries, want 6", out)
		}
	})
}

func TestBuildSizeLimit(t *testing.T) {
	t.Parallel()
	root := makeTree(t, tree{
		"index.js":        "x",
		"assets/big.bin":  noise(21, 30_000),
		"assets/mid.bin":  noise(22, 20_000),
		"assets/small.js": jsLike(23, 5_000),
	})
	_, err := Build(context.Background(), Options{Root: root, SizeLimit: 40_000})
	var se *SizeError
	if !errors.As(err, &se) {
		t.Fatalf("err = %v (%T), want *SizeError", err, err)
	}
	if se.Size <= 40_000 || se.Limit != 40_000 || se.Base64Size != base64Len(se.Size) || se.AtLeast {
		t.Errorf("SizeError = %+v", se)
	}
	want := []File{{"assets/big.bin", 30_000}, {"assets/mid.bin", 20_000}, {"assets/small.js", 5_000}, {"index.js", 1}}
	if len(se.Largest) != len(want) {
		t.Fatalf("Largest = %v, want %v", se.Largest, want)
	}
	for i := range want {
		if se.Largest[i] != want[i] {
			t.Errorf("Largest[%d] = %v, want %v", i, se.Largest[i], want[i])
		}
	}
	msg := se.Error()
	for _, w := range []string{`package for "` + root + `" is `, "over size-limit 39.1 KiB", "(base64 ",
		`largest files: "assets/big.bin" (29.3 KiB), "assets/mid.bin" (19.5 KiB)`, "exclude them with files: !pattern"} {
		if !strings.Contains(msg, w) {
			t.Errorf("message %q\nwant it to contain %q", msg, w)
		}
	}
	// Just under: the same tree passes with a limit at its size.
	if _, err := Build(context.Background(), Options{Root: root, SizeLimit: se.Size}); err != nil {
		t.Errorf("limit equal to the size: %v", err)
	}
}

func TestSizeErrorTopTen(t *testing.T) {
	t.Parallel()
	files := make([]File, 15)
	for i := range files {
		files[i] = File{Name: string(rune('a' + i)), Size: int64(i)}
	}
	se := sizeError("fn", 10, 25480396, false, files)
	if len(se.Largest) != 10 || se.Largest[0].Size != 14 || se.Largest[9].Size != 5 {
		t.Fatalf("Largest = %v", se.Largest)
	}
	if !strings.HasPrefix(se.Error(), `package for "fn" is 24.3 MiB, over size-limit 10 B (base64 32.4 MiB); largest files: "o" (14 B), "n" (13 B)`) {
		t.Fatalf("Error() = %q", se.Error())
	}
	// A file name is outside text: quoted, its line breaks stay escapes.
	odd := sizeError("fn", 10, 100, false, []File{{Name: "big\n::warning::x.bin", Size: 99}})
	if strings.Contains(odd.Error(), "\n") || !strings.Contains(odd.Error(), `"big\n::warning::x.bin"`) {
		t.Errorf("Error() = %q", odd.Error())
	}
}

func TestBuildCeiling(t *testing.T) {
	t.Parallel()
	root := makeTree(t, tree{"index.js": "x", "a.bin": noise(31, 50_000), "b.bin": noise(32, 50_000), "c.bin": noise(33, 50_000)})
	rules, err := rulesFor(nil)
	mustNil(t, err)
	z := &zipper{root: root, rules: rules, level: DefaultLevel, workers: 2, ceiling: 60_000}
	_, err = z.run(context.Background(), newContainer(io.Discard))
	var ce *ceilingError
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *ceilingError", err)
	}
	if ce.size <= 60_000 || len(ce.files) == 0 {
		t.Fatalf("ceilingError = %+v", ce)
	}
	se := sizeError(root, 1000, ce.size, true, ce.files)
	if !strings.Contains(se.Error(), "is more than ") {
		t.Errorf("AtLeast message = %q", se.Error())
	}
}

func TestCeiling(t *testing.T) {
	t.Parallel()
	for limit, want := range map[int64]int64{
		1000:             1000 + 16<<20,
		DefaultSizeLimit: 2 * DefaultSizeLimit,
		3 << 30:          maxUint32 - 1,
		1<<63 - 1:        maxUint32 - 1, // "no limit" must not overflow
	} {
		if got := ceiling(limit); got != want {
			t.Errorf("ceiling(%d) = %d, want %d", limit, got, want)
		}
	}
}

func TestBuildOptionsErrors(t *testing.T) {
	t.Parallel()
	root := makeTree(t, tree{"index.js": "x"})
	if _, err := Build(context.Background(), Options{Root: root, Level: 12}); err == nil || !strings.Contains(err.Error(), "level 12") {
		t.Errorf("level 12: err = %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, Options{Root: root}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: err = %v, want context.Canceled", err)
	}
	if _, err := Build(context.Background(), Options{Root: root, Files: globs.List{{Pattern: "src/[", Line: 1}}}); err == nil {
		t.Error("bad pattern: no error")
	} else if se := (*SelectError)(nil); !errors.As(err, &se) || se.Root != root {
		t.Errorf("bad pattern: err = %v, want *SelectError with Root", err)
	}
	for _, level := range []int{1, 9, -2} {
		pkg, err := Build(context.Background(), Options{Root: root, Level: level})
		if err != nil {
			t.Errorf("level %d: %v", level, err)
			continue
		}
		unzipAll(t, zipBytes(t, pkg))
	}
}

// TestZip64End reads back a zip past 65,534 entries (node_modules trees get
// there) without creating that many files: the golden zip64-end digest
// pins its bytes, this checks that a reader finds every entry.
func TestZip64End(t *testing.T) {
	t.Parallel()
	var out bytes.Buffer
	c := newContainer(&out)
	const n = maxUint16 + 10
	for i := range n {
		_, err := c.create(fmt.Sprintf("f%06d", i), &packed{}, 0)
		mustNil(t, err)
	}
	_, size, err := c.close()
	mustNil(t, err)
	if size != int64(out.Len()) {
		t.Fatalf("close reported %d bytes, wrote %d", size, out.Len())
	}
	zr, err := zip.NewReader(bytes.NewReader(out.Bytes()), int64(out.Len()))
	mustNil(t, err)
	if len(zr.File) != n {
		t.Fatalf("read %d entries, want %d", len(zr.File), n)
	}
	if zr.File[n-1].Name != fmt.Sprintf("f%06d", n-1) {
		t.Fatalf("last entry %q", zr.File[n-1].Name)
	}
}

func TestGate(t *testing.T) {
	t.Parallel()
	g := newGate(2, 10)
	ctx := context.Background()
	blocked := func(name string, f func() bool) chan bool {
		t.Helper()
		done := make(chan bool, 1)
		go func() { done <- f() }()
		select {
		case <-done:
			t.Fatalf("%s did not wait", name)
		case <-time.After(20 * time.Millisecond):
		}
		return done
	}
	if !g.start(ctx, 0) || !g.start(ctx, 1) {
		t.Fatal("batches inside the window blocked")
	}
	started := blocked("start beyond the window", func() bool { return g.start(ctx, 2) })
	if !g.hold(ctx, 1, 8) {
		t.Fatal("hold within budget blocked")
	}
	// Batch 0 is the one the writer waits for: it passes even over budget.
	if !g.hold(ctx, 0, 100) {
		t.Fatal("next-to-write batch blocked")
	}
	held := blocked("hold over budget", func() bool { return g.hold(ctx, 2, 5) })
	g.release(1, 100) // batch 0 written: 2 free, window now reaches batch 2
	if !<-started {
		t.Fatal("start failed after the window moved")
	}
	select {
	case <-held:
		t.Fatal("hold did not wait for enough budget")
	case <-time.After(20 * time.Millisecond):
	}
	g.release(2, 8) // batch 1 written: batch 2 is next and passes
	if !<-held {
		t.Fatal("hold failed after release")
	}
	cctx, cancel := context.WithCancel(ctx)
	done := make(chan bool)
	go func() { done <- g.start(cctx, 100) }()
	cancel()
	if <-done {
		t.Fatal("start succeeded after cancel")
	}
}

func TestCompressReadError(t *testing.T) {
	t.Parallel()
	z := &zipper{root: "fn", level: DefaultLevel, workers: 1, ceiling: 1 << 20}
	var buf bytes.Buffer
	var p packed
	err := z.compress(newWorkspace(DefaultLevel), entry{name: "gone.js", path: filepath.Join(t.TempDir(), "gone.js")}, &buf, &p)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), `path "fn": read "gone.js"`) {
		t.Fatalf("err = %v, want a wrapped not-exist naming the file", err)
	}
}
