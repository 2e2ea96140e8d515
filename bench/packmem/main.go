//go:build linux

// Command packmem measures pack.Build's peak memory (issue: bounded memory).
// It makes a function directory whose zip comes out near a given size,
// mostly incompressible files (images, archives) plus source text, then
// builds it in a fresh child process, several times, and reports each run's
// peak resident set (the child's ru_maxrss, the kernel's VmHWM) against the
// budget of 1.5 x zip + 32 MiB.
//
//	go run ./bench/packmem -zip-mib 19
//	go run ./bench/packmem -zip-mib 75 -n 5
//	go run ./bench/packmem -tree /tmp/t -keep   # reuse or keep the tree
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/pack"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/size"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("packmem", flag.ContinueOnError)
	fs.SetOutput(stderr)
	zipMiB := fs.Int("zip-mib", 19, "approximate zip size of the generated tree, MiB")
	tree := fs.String("tree", "", "directory to pack: generated there when missing (default: a temp dir)")
	keep := fs.Bool("keep", false, "keep a generated tree")
	reps := fs.Int("n", 3, "builds, each in a fresh process")
	child := fs.Bool("child", false, "internal: build -tree once and print the zip size")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if *child {
		return build(*tree, stdout, stderr)
	}
	dir := *tree
	if dir == "" {
		tmp, err := os.MkdirTemp("", "packmem-")
		if err != nil {
			fmt.Fprintln(stderr, "packmem:", err)
			return 1
		}
		dir = tmp
		if !*keep {
			defer os.RemoveAll(tmp)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "index.js")); err != nil {
		if err := generate(dir, int64(*zipMiB)<<20); err != nil {
			fmt.Fprintln(stderr, "packmem:", err)
			return 1
		}
	}
	return measure(dir, *reps, stdout, stderr)
}

// measure runs the child reps times and prints each peak RSS.
func measure(dir string, reps int, stdout, stderr io.Writer) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintln(stderr, "packmem:", err)
		return 1
	}
	var peaks []int64
	var zipSize int64
	for range max(reps, 1) {
		cmd := exec.Command(self, "-child", "-tree", dir)
		cmd.Stderr = stderr
		out, err := cmd.Output()
		if err != nil {
			fmt.Fprintln(stderr, "packmem: child:", err)
			return 1
		}
		var hwm int64
		if _, err := fmt.Sscanf(string(out), "zip=%d hwm_kib=%d", &zipSize, &hwm); err != nil {
			fmt.Fprintf(stderr, "packmem: child said %q: %v\n", out, err)
			return 1
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		peaks = append(peaks, ru.Maxrss<<10) // Linux: KiB
		fmt.Fprintf(stdout, "run: zip %s, peak RSS %s (VmHWM %s)\n",
			size.Format(zipSize), size.Format(ru.Maxrss<<10), size.Format(hwm<<10))
	}
	slices.Sort(peaks)
	budget := zipSize*3/2 + 32<<20
	verdict := "ok"
	if peaks[len(peaks)/2] > budget {
		verdict = "OVER"
	}
	fmt.Fprintf(stdout, "zip %s (%d bytes): peak RSS median %s (min %s, max %s) of %d runs; budget 1.5 x zip + 32 MiB = %s: %s\n",
		size.Format(zipSize), zipSize, size.Format(peaks[len(peaks)/2]), size.Format(peaks[0]), size.Format(peaks[len(peaks)-1]),
		len(peaks), size.Format(budget), verdict)
	return 0
}

// build is the child: one pack.Build, as a deploy would run it, with
// everything selected and a limit far above the zip.
func build(dir string, stdout, stderr io.Writer) int {
	files, err := globs.Parse("**")
	if err != nil {
		fmt.Fprintln(stderr, "packmem:", err)
		return 1
	}
	pkg, err := pack.Build(context.Background(), pack.Options{Root: dir, Files: files, SizeLimit: 1 << 30})
	if err != nil {
		fmt.Fprintln(stderr, "packmem:", err)
		return 1
	}
	defer pkg.Close()
	fmt.Fprintf(stdout, "zip=%d hwm_kib=%d\n", pkg.Size(), vmHWM())
	return 0
}

// vmHWM is this process's peak resident set in KiB, from /proc/self/status.
func vmHWM() int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for line := range strings.Lines(string(data)) {
		if v, ok := strings.CutPrefix(line, "VmHWM:"); ok {
			var kib int64
			fmt.Sscanf(strings.TrimSpace(v), "%d", &kib)
			return kib
		}
	}
	return -1
}

// generate writes a tree whose zip is about zipBytes: 85% of it random
// files from 48 KiB to 3 MiB (stored as they are), the rest source-like text
// (60% of zipBytes raw) that deflates about 4:1, in a few nested folders.
func generate(dir string, zipBytes int64) error {
	r := rand.New(rand.NewPCG(1, 2))
	sizes := []int64{48 << 10, 300 << 10, 900 << 10, 1536 << 10, 3 << 20, 120 << 10}
	write := func(name string, data []byte) error {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		return os.WriteFile(p, data, 0o644)
	}
	if err := write("index.js", []byte("exports.main = async () => 'hi'\n")); err != nil {
		return err
	}
	var random int64
	for i := 0; random < zipBytes*85/100; i++ {
		n := min(sizes[i%len(sizes)], zipBytes*85/100-random)
		b := make([]byte, n)
		for j := range b {
			b[j] = byte(r.Uint32())
		}
		if err := write(fmt.Sprintf("assets/%02d/img%04d.bin", i%7, i), b); err != nil {
			return err
		}
		random += n
	}
	words := []string{"function", "return", "const", "let", "if", "else", "for", "module.exports", "require",
		"(", ")", "{", "}", ";", "\n", "  ", "=", "=>", "this", "value", "index", "length", "undefined", "null"}
	var text int64
	for i := 0; text < zipBytes*60/100; i++ {
		var b strings.Builder
		n := 2<<10 + r.IntN(40<<10)
		for b.Len() < n {
			b.WriteString(words[r.IntN(len(words))])
			b.WriteByte(' ')
		}
		if err := write(fmt.Sprintf("lib/m%02d/f%04d.js", i%13, i), []byte(b.String())); err != nil {
			return err
		}
		text += int64(b.Len())
	}
	return nil
}
