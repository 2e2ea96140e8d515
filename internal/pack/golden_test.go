package pack

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
)

var update = flag.Bool("update", false, "rewrite testdata/golden from the current code")

// goldenCase is one fixture tree and how it is packed.
type goldenCase struct {
	name  string
	tree  func() tree
	exec  []string // files chmod'ed 0755 (any exec bit => 0755 in the zip)
	files string   // the files input; "" => default
	level int
	big   bool // too large to keep the zip in testdata: SHA256SUMS only
}

func goldenCases() []goldenCase {
	small := func() tree {
		return tree{
			"index.js":                  jsLike(101, 10_000),
			"package.json":              `{"name":"golden","version":"1.0.0"}`,
			"a.b":                       "dot sorts before slash",
			"a/x.js":                    "x",
			"a0":                        "after a/",
			"lib/util.js":               jsLike(102, 3_000),
			"lib/deep/er/nested/x.json": `{"deep":true}`,
			"assets/logo.png":           noise(103, 20_000),     // stored
			"assets/tiny.bin":           noise(104, 7),          // stored, smaller than its deflate
			"empty.txt":                 "",                     // stored, 0 bytes
			"bin/run.sh":                "#!/bin/sh\necho hi\n", // exec
			"bin/tool":                  jsLike(105, 500),       // exec
			"中文/名字.js":                  "utf-8 name",
			"emoji-😀.txt":               "astral plane",
			"latin1-\xe9.txt":           "not utf-8: no EFS flag",
			"with space/a b.js":         jsLike(106, 800),
			"node_modules/dep/index.js": "left out by default",
			"sub/.DS_Store":             "left out by default",
		}
	}
	large := func() tree {
		t := small()
		t["big/bundle.js"] = jsLike(107, 2<<20)     // streamed, deflated
		t["big/exact.js"] = jsLike(109, wholeFile)  // whole-file path at the edge
		t["big/over.bin"] = noise(110, wholeFile+1) // streamed, then stored
		t["big/blob.bin"] = noise(108, 3<<19)
		return t
	}
	many := func() tree {
		t := tree{"index.js": "exports.main = () => 1\n"}
		for d := range 12 {
			for f := range 30 {
				name := fmt.Sprintf("pkg%02d/lib/f%03d.js", d, f)
				if f%7 == 0 {
					t[name] = noise(uint64(d*100+f), 300+f*11)
				} else {
					t[name] = jsLike(uint64(d*100+f), 100+(f*131)%3000)
				}
			}
		}
		return t
	}
	pieces := func() tree {
		t := tree{"index.js": "x"}
		for i := range 20 {
			t[fmt.Sprintf("media/p%02d.bin", i)] = noise(uint64(200+i), 300<<10)
		}
		for i := range 12 {
			t[fmt.Sprintf("media/t%02d.js", i)] = jsLike(uint64(300+i), 200<<10)
		}
		return t
	}
	return []goldenCase{
		{name: "small", tree: small, exec: []string{"bin/run.sh", "bin/tool"}},
		{name: "small-level1", tree: small, exec: []string{"bin/run.sh"}, level: 1},
		{name: "small-level9", tree: small, level: 9},
		{name: "small-huffman", tree: small, level: -2},
		{name: "small-files", tree: small, exec: []string{"bin/tool"},
			files: "# comment\r\n**\n  node_modules/**  \n!**/*.png\n!./bin/**\nbin/tool\n"},
		{name: "many", tree: many},
		{name: "single", tree: func() tree { return tree{"index.js": "exports.main = async () => 'hi'\n"} }},
		// Files over 1 MiB make megabytes of incompressible zip: digest only.
		{name: "large", tree: large, exec: []string{"bin/tool"}, big: true},
		// Batches of files under 1 MiB that add up to several megabytes.
		{name: "pieces", tree: pieces, big: true},
	}
}

func (c goldenCase) build(t *testing.T) []byte {
	t.Helper()
	root := makeTree(t, c.tree())
	for _, name := range c.exec {
		mustNil(t, os.Chmod(filepath.Join(root, filepath.FromSlash(name)), 0o755))
	}
	opts := Options{Root: root, Level: c.level, SizeLimit: 1 << 30}
	if c.files != "" {
		files, err := globs.Parse(c.files)
		mustNil(t, err)
		opts.Files = files
	}
	pkg := build(t, opts)
	defer pkg.Close()
	return zipBytes(t, pkg)
}

// goldenZip64 is a zip of 65,545 synthetic entries, past the 65,534 that
// the end record's 16-bit counts hold, so it carries zip64 end records
// (node_modules trees get there). Entries go straight to the container:
// creating that many files would make the test slow.
func goldenZip64(t *testing.T) []byte {
	t.Helper()
	var out bytes.Buffer
	c := newContainer(&out)
	for i := range maxUint16 + 10 {
		name := fmt.Sprintf("d%02d/f%06d", i/1000, i)
		var body []byte
		if i%1000 == 0 {
			body = []byte(name)
		}
		p := &packed{crc: crc32.ChecksumIEEE(body), usize: int64(len(body)), exec: i%3 == 0}
		w, err := c.create(name, p, int64(len(body)))
		mustNil(t, err)
		_, err = w.Write(body)
		mustNil(t, err)
	}
	_, _, err := c.close()
	mustNil(t, err)
	return out.Bytes()
}

// TestGolden proves the zip bytes did not change: testdata/golden holds what
// the hand-written zip container (before klauspost/compress/zip) produced for
// each fixture, and SHA256SUMS their digests (alone for zips too large to
// keep). Refresh with go test -run TestGolden -update, only for a deliberate
// format change: every function's SHA-256 changes with it, and every
// function is redeployed once.
func TestGolden(t *testing.T) {
	t.Parallel()
	dir := filepath.Join("testdata", "golden")
	sumsPath := filepath.Join(dir, "SHA256SUMS")
	type result struct {
		name string
		big  bool
		zip  []byte
	}
	var got []result
	for _, c := range goldenCases() {
		got = append(got, result{c.name, c.big, c.build(t)})
	}
	got = append(got, result{"zip64-end", true, goldenZip64(t)})
	if *update {
		mustNil(t, os.MkdirAll(dir, 0o755))
		var sums strings.Builder
		for _, r := range got {
			fmt.Fprintf(&sums, "%x  %s.zip %d\n", sha256.Sum256(r.zip), r.name, len(r.zip))
			if !r.big {
				mustNil(t, os.WriteFile(filepath.Join(dir, r.name+".zip"), r.zip, 0o644))
			}
		}
		mustNil(t, os.WriteFile(sumsPath, []byte(sums.String()), 0o644))
		return
	}
	sums := readSums(t, sumsPath)
	if len(sums) != len(got) {
		t.Errorf("%s has %d digests, want %d", sumsPath, len(sums), len(got))
	}
	for _, r := range got {
		want, ok := sums[r.name+".zip"]
		if !ok {
			t.Errorf("%s: not in %s", r.name, sumsPath)
			continue
		}
		sum := sha256.Sum256(r.zip)
		if hex.EncodeToString(sum[:]) != want.sum || len(r.zip) != want.size {
			t.Errorf("%s: sha256 %x (%d bytes), golden %s (%d bytes)", r.name, sum, len(r.zip), want.sum, want.size)
		}
		if r.big {
			continue
		}
		gold, err := os.ReadFile(filepath.Join(dir, r.name+".zip"))
		mustNil(t, err)
		if !bytes.Equal(r.zip, gold) {
			at := 0
			for at < min(len(gold), len(r.zip)) && gold[at] == r.zip[at] {
				at++
			}
			t.Errorf("%s: bytes differ from the golden zip from offset %d", r.name, at)
		}
	}
}

// TestGoldenWorkers: the pieces fixture, whose batches are handed over in
// several pieces, gives the same bytes whatever the number of workers.
func TestGoldenWorkers(t *testing.T) {
	t.Parallel()
	var pieces goldenCase
	for _, c := range goldenCases() {
		if c.name == "pieces" {
			pieces = c
		}
	}
	root := makeTree(t, pieces.tree())
	var ref string
	for _, workers := range []int{1, 2, 5} {
		pkg := build(t, Options{Root: root, Workers: workers, SizeLimit: 1 << 30})
		mustNil(t, pkg.Close())
		if ref == "" {
			ref = pkg.SHA256
		} else if pkg.SHA256 != ref {
			t.Errorf("%d workers: sha256 %s, 1 worker: %s", workers, pkg.SHA256, ref)
		}
	}
	want := readSums(t, filepath.Join("testdata", "golden", "SHA256SUMS"))["pieces.zip"].sum
	if ref != want {
		t.Errorf("sha256 %s, golden %s", ref, want)
	}
}

type goldenSum struct {
	sum  string
	size int
}

func readSums(t *testing.T, path string) map[string]goldenSum {
	t.Helper()
	data, err := os.ReadFile(path)
	mustNil(t, err)
	out := map[string]goldenSum{}
	for line := range strings.Lines(string(data)) {
		var s goldenSum
		var name string
		if _, err := fmt.Sscanf(line, "%s %s %d", &s.sum, &name, &s.size); err != nil {
			t.Fatalf("%s: bad line %q: %v", path, line, err)
		}
		out[name] = s
	}
	return out
}
