package pack

import (
	"archive/zip"
	"bytes"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
)

// tree describes files to create: slash path => content. A path ending in
// "/" creates an empty directory; "->target" as content makes a symlink.
type tree map[string]string

// makeTree creates t in a fresh temporary directory and returns its path.
func makeTree(tb testing.TB, t tree) string {
	tb.Helper()
	root := tb.TempDir()
	writeTree(tb, root, t)
	return root
}

func writeTree(tb testing.TB, root string, t tree) {
	tb.Helper()
	names := make([]string, 0, len(t))
	for name := range t {
		names = append(names, name)
	}
	sort.Strings(names) // links after their targets' parents exist
	for _, name := range names {
		p := filepath.Join(root, filepath.FromSlash(name))
		if strings.HasSuffix(name, "/") {
			mustNil(tb, os.MkdirAll(p, 0o755))
			continue
		}
		mustNil(tb, os.MkdirAll(filepath.Dir(p), 0o755))
		if target, ok := strings.CutPrefix(t[name], "->"); ok {
			mustNil(tb, os.Symlink(filepath.FromSlash(target), p))
			continue
		}
		mustNil(tb, os.WriteFile(p, []byte(t[name]), 0o644))
	}
}

// parse reads a files input given as lines, as config does; nil stays nil.
func parse(tb testing.TB, lines []string) globs.List {
	tb.Helper()
	if lines == nil {
		return nil
	}
	list, err := globs.Parse(strings.Join(lines, "\n"))
	if err != nil {
		tb.Fatalf("files %q: %v", lines, err)
	}
	return list
}

// zipBytes reads a package's zip back whole, through WriteTo.
func zipBytes(tb testing.TB, pkg *Package) []byte {
	tb.Helper()
	var b bytes.Buffer
	n, err := pkg.WriteTo(&b)
	if err != nil || n != pkg.Size() {
		tb.Fatalf("WriteTo = %d, %v; want %d bytes", n, err, pkg.Size())
	}
	return b.Bytes()
}

func mustNil(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}

// unzipAll reads every entry back through archive/zip.
func unzipAll(tb testing.TB, b []byte) map[string][]byte {
	tb.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		tb.Fatalf("archive/zip cannot open the package: %v", err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			tb.Fatalf("open %q: %v", f.Name, err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			tb.Fatalf("read %q: %v", f.Name, err)
		}
		if _, dup := out[f.Name]; dup {
			tb.Fatalf("entry %q twice", f.Name)
		}
		out[f.Name] = data
	}
	return out
}

// jsLike returns n bytes of deterministic, compressible source-like text.
func jsLike(seed uint64, n int) string {
	words := []string{"function", "return", "const", "let", "var", "if", "else", "for", "while",
		"module.exports", "require", "(", ")", "{", "}", ";", "\n", "  ", "=", "=>", "this", "value",
		"index", "length", "array", "object", "string", "number", "undefined", "null", "true", "false"}
	r := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(words[r.IntN(len(words))])
		b.WriteByte(' ')
	}
	return b.String()[:n]
}

// noise returns n incompressible bytes.
func noise(seed uint64, n int) string {
	r := rand.New(rand.NewPCG(seed, seed+1))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return string(b)
}
