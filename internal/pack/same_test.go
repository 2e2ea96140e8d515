package pack

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"hash/crc32"
	"strings"
	"testing"
	"time"

	kzip "github.com/klauspost/compress/zip"
)

// zentry is one entry of a zip a test writes with archive/zip.
type zentry struct {
	name   string
	body   string
	method uint16 // zip.Store or zip.Deflate
	when   time.Time
	// raw, when set, is written as the entry's compressed bytes with usize
	// as its declared size: a zip bomb or a lie.
	raw   []byte
	usize uint64
}

func writeZip(t *testing.T, entries ...zentry) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		fh := &zip.FileHeader{Name: e.name, Method: e.method, Modified: e.when}
		if e.raw != nil {
			fh.CRC32, fh.CompressedSize64, fh.UncompressedSize64 = crc32.ChecksumIEEE([]byte(e.body)), uint64(len(e.raw)), e.usize
			w, err := zw.CreateRaw(fh)
			mustNil(t, err)
			_, err = w.Write(e.raw)
			mustNil(t, err)
			continue
		}
		w, err := zw.CreateHeader(fh)
		mustNil(t, err)
		_, err = w.Write([]byte(e.body))
		mustNil(t, err)
	}
	mustNil(t, zw.Close())
	return b.Bytes()
}

func deflated(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	fw, err := flate.NewWriter(&b, 9)
	mustNil(t, err)
	_, err = fw.Write([]byte(s))
	mustNil(t, err)
	mustNil(t, fw.Close())
	return b.Bytes()
}

func TestSameContent(t *testing.T) {
	t.Parallel()
	day1 := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	day2 := time.Date(2025, 6, 7, 8, 9, 10, 0, time.UTC)
	big := jsLike(71, 200_000) // several read chunks
	base := []zentry{
		{name: "index.js", body: "exports.main = 1", method: zip.Deflate, when: day1},
		{name: "lib/a.js", body: big, method: zip.Deflate, when: day1},
		{name: "empty", body: "", method: zip.Store, when: day1},
	}
	bomb := strings.Repeat("\x00", 1<<20)
	tests := []struct {
		name    string
		b       []zentry
		a       []zentry // nil => base
		want    bool
		wantErr string
	}{
		{name: "identical", b: base, want: true},
		{name: "other order, times, methods and a directory", want: true, b: []zentry{
			{name: "lib/", method: zip.Store, when: day2},
			{name: "empty", body: "", method: zip.Deflate, when: day2},
			{name: "lib/a.js", body: big, method: zip.Store, when: day2},
			{name: "index.js", body: "exports.main = 1", method: zip.Store, when: day2},
		}},
		{name: "one byte differs", b: []zentry{base[0], {name: "lib/a.js", body: big[:1000] + "X" + big[1001:], method: zip.Deflate}, base[2]}},
		{name: "one file more", b: append(append([]zentry(nil), base...), zentry{name: "extra.js", body: "x"})},
		{name: "one file less", b: base[:2]},
		{name: "renamed", b: []zentry{base[0], {name: "lib/b.js", body: big, method: zip.Deflate}, base[2]}},
		{name: "garbage", b: []zentry{}, a: nil, wantErr: "the second zip"},
		{name: "duplicate name", b: append(append([]zentry(nil), base...), base[0]), wantErr: `the second zip holds "index.js" twice`},
		{name: "declared past the limit", b: append(append([]zentry(nil), base[:2]...),
			zentry{name: "empty", body: "", raw: []byte{}, usize: maxUnzipped + 1}),
			wantErr: "refused past"},
		{name: "inflates past its declared size", wantErr: "unreadable",
			a: []zentry{{name: "x", body: bomb[:10], raw: deflated(t, bomb), usize: 10}},
			b: []zentry{{name: "x", body: bomb[:10], raw: deflated(t, bomb), usize: 10}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			a := writeZip(t, base...)
			if tt.a != nil {
				a = writeZip(t, tt.a...)
			}
			b := writeZip(t, tt.b...)
			if tt.name == "garbage" {
				b = []byte("PK\x03\x04 not a zip at all")
			}
			for _, order := range []string{"a, b", "b, a"} {
				x, y := a, b
				if order == "b, a" {
					x, y = b, a
				}
				got, err := SameContent(bytes.NewReader(x), int64(len(x)), bytes.NewReader(y), int64(len(y)))
				if tt.wantErr != "" {
					msg := strings.ReplaceAll(tt.wantErr, "second", map[string]string{"a, b": "second", "b, a": "first"}[order])
					if err == nil || !strings.Contains(err.Error(), msg) {
						t.Fatalf("%s: err = %v, want it to contain %q", order, err, msg)
					}
					continue
				}
				mustNil(t, err)
				if got != tt.want {
					t.Fatalf("%s: SameContent = %v, want %v", order, got, tt.want)
				}
			}
		})
	}
}

// TestSameContentPackage is deploy's case: the package against the same
// files zipped by another tool.
func TestSameContentPackage(t *testing.T) {
	t.Parallel()
	files := tree{"index.js": jsLike(81, 4000), "lib/b.bin": noise(82, wholeFile+100), "a.json": "{}"}
	pkg := build(t, Options{Root: makeTree(t, files)})
	var other []zentry
	for name, body := range files {
		other = append(other, zentry{name: name, body: body, method: zip.Deflate, when: time.Now()})
	}
	theirs := writeZip(t, other...)
	same, err := SameContent(pkg, pkg.Size(), bytes.NewReader(theirs), int64(len(theirs)))
	if err != nil || !same {
		t.Fatalf("SameContent = %v, %v; want true", same, err)
	}
	changed := build(t, Options{Root: makeTree(t, tree{"index.js": jsLike(81, 4000), "lib/b.bin": noise(83, wholeFile+100), "a.json": "{}"})})
	same, err = SameContent(pkg, pkg.Size(), changed, changed.Size())
	if err != nil || same {
		t.Fatalf("changed file: SameContent = %v, %v; want false", same, err)
	}
}

// TestSameBytes reaches the byte comparison past equal headers, which only
// a CRC collision would do through SameContent.
func TestSameBytes(t *testing.T) {
	t.Parallel()
	open := func(body string) *kzip.File {
		b := writeZip(t, zentry{name: "x", body: body, method: zip.Deflate})
		zr, err := kzip.NewReader(bytes.NewReader(b), int64(len(b)))
		mustNil(t, err)
		return zr.File[0]
	}
	long := jsLike(91, 100_000)
	tests := []struct {
		name string
		x, y string
		want bool
	}{
		{"equal", long, long, true},
		{"empty", "", "", true},
		{"differ late", long, long[:90_000] + "X" + long[90_001:], false},
		{"prefix", long, long[:len(long)-1], false},
		{"prefix at a chunk edge", long[:64<<10], long[:32<<10], false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			for _, swap := range []bool{false, true} {
				x, y := open(tt.x), open(tt.y)
				if swap {
					x, y = y, x
				}
				got, err := sameBytes(x, y)
				if err != nil || got != tt.want {
					t.Fatalf("sameBytes (swapped %v) = %v, %v; want %v", swap, got, err, tt.want)
				}
			}
		})
	}
}
