package pack

import (
	"context"
	"fmt"
	"testing"
)

// benchTree is shaped like an npm dependency tree: many small source files,
// a few large bundles, some incompressible assets (about 6 MB in all).
func benchTree(b *testing.B) string {
	b.Helper()
	t := tree{"index.js": jsLike(0, 2000), "package.json": `{"name":"bench"}`}
	for pkg := range 20 {
		for f := range 100 {
			t[fmt.Sprintf("node_modules/p%02d/lib/f%03d.js", pkg, f)] = jsLike(uint64(pkg*1000+f), 200+(f*37)%4000)
		}
		t[fmt.Sprintf("node_modules/p%02d/dist/bundle.js", pkg)] = jsLike(uint64(pkg), 100_000)
		t[fmt.Sprintf("node_modules/p%02d/logo.png", pkg)] = noise(uint64(pkg), 20_000)
	}
	return makeTree(b, t)
}

func BenchmarkBuild(b *testing.B) {
	root := benchTree(b)
	for _, bc := range []struct {
		name    string
		workers int
		level   int
	}{
		{"default", 0, 0},
		{"workers=1", 1, 0},
		{"level=1", 0, 1},
		{"level=6", 0, 6},
	} {
		b.Run(bc.name, func(b *testing.B) {
			opts := Options{Root: root, Files: parse(b, []string{"**", "node_modules/**"}), Workers: bc.workers, Level: bc.level}
			var size int64
			for b.Loop() {
				pkg, err := Build(context.Background(), opts)
				if err != nil {
					b.Fatal(err)
				}
				size = pkg.Size()
				pkg.Close()
			}
			b.ReportMetric(float64(size), "zip-bytes")
		})
	}
}

func BenchmarkSelect(b *testing.B) {
	root := benchTree(b)
	for _, bc := range []struct {
		name  string
		lines []string
	}{
		{"node_modules pruned", nil},
		{"node_modules walked", []string{"**", "node_modules/**"}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				if _, err := Select(root, parse(b, bc.lines)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
