package pack

import (
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
)

// keepName emulates a system where an open file cannot be removed
// (Windows): the temp file stays visible until Close.
func keepName(string) error { return errors.New("open files cannot be removed here") }

func TestPackageReads(t *testing.T) {
	t.Parallel()
	root := makeTree(t, tree{"index.js": jsLike(41, 50_000), "a.bin": noise(42, wholeFile+5000), "b.js": jsLike(43, 9000)})
	pkg := build(t, Options{Root: root, TempDir: t.TempDir()})
	whole := zipBytes(t, pkg)

	// Concurrent ReadAt at every offset class, as a multi-part upload reads.
	var wg sync.WaitGroup
	for _, off := range []int64{0, 1, 4095, int64(len(whole)) / 2, int64(len(whole)) - 10} {
		wg.Go(func() {
			b := make([]byte, 4096)
			n, err := pkg.ReadAt(b, off)
			want := whole[off:min(off+4096, int64(len(whole)))]
			if n != len(want) || !bytes.Equal(b[:n], want) {
				t.Errorf("ReadAt(%d) = %d bytes, want %d matching", off, n, len(want))
			}
			if n < len(b) && err != io.EOF {
				t.Errorf("ReadAt(%d) short read with err %v, want io.EOF", off, err)
			}
		})
	}
	wg.Wait()
	if n, err := pkg.ReadAt(make([]byte, 1), pkg.Size()); n != 0 || err != io.EOF {
		t.Errorf("ReadAt at the end = %d, %v; want 0, EOF", n, err)
	}

	mustNil(t, pkg.Close())
	mustNil(t, pkg.Close()) // idempotent
	if _, err := pkg.ReadAt(make([]byte, 1), 0); !errors.Is(err, os.ErrClosed) {
		t.Errorf("ReadAt after Close: err = %v, want os.ErrClosed", err)
	}
	if _, err := pkg.WriteTo(io.Discard); err == nil {
		t.Error("WriteTo after Close: no error")
	}
	var zero Package
	if _, err := zero.ReadAt(make([]byte, 1), 0); err == nil || zero.Close() != nil {
		t.Errorf("zero Package: ReadAt err = %v, Close = %v", err, zero.Close())
	}
}

// TestBuildTempFile: the zip lives in TempDir until Close, and a failed or
// cancelled build leaves nothing there, whether the file is unlinked at
// creation (Unix) or removed at the end (keepName).
func TestBuildTempFile(t *testing.T) {
	t.Parallel()
	ok := tree{"index.js": "x", "lib/a.js": jsLike(51, 3000)}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name    string
		tree    tree
		opts    Options
		ctx     context.Context
		wantErr func(error) bool // nil => success
	}{
		{name: "built", tree: ok},
		{name: "size error", tree: tree{"index.js": "x", "big.bin": noise(52, 50_000)}, opts: Options{SizeLimit: 10_000}, wantErr: isA[*SizeError]},
		{name: "layout error", tree: tree{"main.js": "x"}, wantErr: isA[*LayoutError]},
		{name: "no match", tree: ok, opts: Options{Files: globs.List{{Pattern: "src/**"}}}, wantErr: isA[*SelectError]},
		{name: "cancelled", tree: ok, ctx: cancelled},
		{name: "walk error", tree: tree{"index.js": "x", "gone": "->nowhere.js"}, wantErr: isA[*SelectError]},
	}
	for _, tt := range tests {
		for _, mode := range []struct {
			name   string
			unlink func(string) error
		}{{"unlinked early", os.Remove}, {"removed at close", keepName}} {
			t.Run(tt.name+"/"+mode.name, func(t *testing.T) {
				t.Parallel()
				opts := tt.opts
				opts.Root = makeTree(t, tt.tree)
				opts.TempDir = t.TempDir()
				ctx := tt.ctx
				if ctx == nil {
					ctx = context.Background()
				}
				pkg, err := buildWith(ctx, opts, mode.unlink)
				switch {
				case tt.ctx != nil:
					if !errors.Is(err, context.Canceled) {
						t.Fatalf("err = %v, want context.Canceled", err)
					}
				case tt.wantErr != nil:
					if !tt.wantErr(err) {
						t.Fatalf("err = %v (%T), not the type wanted", err, err)
					}
				default:
					mustNil(t, err)
					want := 0
					if mode.name == "removed at close" || runtime.GOOS == "windows" {
						want = 1
					}
					if got := dirEntries(t, opts.TempDir); len(got) != want {
						t.Fatalf("temp dir holds %q while the package is open, want %d file(s)", got, want)
					}
					mustNil(t, pkg.Close())
				}
				if got := dirEntries(t, opts.TempDir); len(got) != 0 {
					t.Fatalf("temp dir holds %q after the build (and Close), want nothing", got)
				}
			})
		}
	}
}

func isA[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

func crc(s string) uint32 { return crc32.ChecksumIEEE([]byte(s)) }

func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	des, err := os.ReadDir(dir)
	mustNil(t, err)
	var names []string
	for _, de := range des {
		names = append(names, de.Name())
	}
	return names
}

func TestBuildTempDirMissing(t *testing.T) {
	t.Parallel()
	root := makeTree(t, tree{"index.js": "x"})
	dir := filepath.Join(t.TempDir(), "nope")
	_, err := Build(context.Background(), Options{Root: root, TempDir: dir})
	if err == nil || !strings.Contains(err.Error(), `create the zip's temporary file in "`+dir+`"`) {
		t.Fatalf("err = %v, want it to name the temp dir", err)
	}
}

// TestCopyStoredChanged covers a large incompressible file that changes
// between its compression and its copy into the zip: the header written
// with the old CRC would lie, so the build fails.
func TestCopyStoredChanged(t *testing.T) {
	t.Parallel()
	root := makeTree(t, tree{"a.bin": noise(61, 5000)})
	z := &zipper{root: "fn"}
	e := entry{name: "a.bin", path: filepath.Join(root, "a.bin")}
	tests := []struct {
		name string
		p    packed
		ok   bool
	}{
		{name: "unchanged", p: packed{crc: crc(noise(61, 5000)), usize: 5000}, ok: true},
		{name: "other bytes", p: packed{crc: crc(noise(61, 5000)) ^ 1, usize: 5000}},
		{name: "shrank", p: packed{crc: crc(noise(61, 5000)), usize: 6000}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var out bytes.Buffer
			err := z.copyStored(&out, e, &tt.p)
			if tt.ok {
				mustNil(t, err)
				if out.String() != noise(61, 5000) {
					t.Fatal("copied bytes differ")
				}
				return
			}
			if !errors.Is(err, errChanged) || !strings.Contains(err.Error(), `path "fn": read "a.bin": it changed while packing`) {
				t.Fatalf("err = %v, want errChanged naming the file", err)
			}
		})
	}
}
