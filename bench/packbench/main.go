//go:build unix

// Command packbench times pack.Build on a directory for bench/pack.sh: it
// writes the zip and prints its size, the wall time and the peak RSS.
// With -sweep it compares deflate levels instead (how DefaultLevel was
// chosen); with -readers, two ways of reading the files (see readers.go).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
	"syscall"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/pack"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("packbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	root := fs.String("root", ".", "directory to pack")
	out := fs.String("out", "", "write the zip here (default: discard)")
	files := fs.String("files", "**\nnode_modules/**", "files input (newline-separated globs)")
	entry := fs.String("entry", "-", "entry file check (- for none)")
	level := fs.Int("level", 0, "deflate level (0: pack's default)")
	workers := fs.Int("workers", 0, "compressors (0: GOMAXPROCS)")
	limit := fs.Int64("limit", 1<<30, "size limit in bytes")
	sweep := fs.Bool("sweep", false, "time every level 1-9 and print a table")
	readers := fs.Bool("readers", false, "time reading the selected files with os.File and with raw syscalls")
	reps := fs.Int("n", 1, "repetitions (per level with -sweep); the median is printed")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile here")
	traceOut := fs.String("trace", "", "write an execution trace here")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	list, err := globs.Parse(*files)
	if err != nil {
		fmt.Fprintln(stderr, "packbench: -files:", err)
		return 2
	}
	opts := pack.Options{Root: *root, Files: list, Entry: *entry,
		SizeLimit: *limit, Workers: *workers, Level: *level}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			fmt.Fprintln(stderr, "packbench:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "packbench:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}
	if *traceOut != "" {
		f, err := os.Create(*traceOut)
		if err != nil {
			fmt.Fprintln(stderr, "packbench:", err)
			return 1
		}
		defer f.Close()
		if err := trace.Start(f); err != nil {
			fmt.Fprintln(stderr, "packbench:", err)
			return 1
		}
		defer trace.Stop()
	}
	if *readers {
		return doReaders(opts, max(*reps, 5), stdout, stderr)
	}
	if *sweep {
		if *reps < 3 {
			*reps = 3
		}
		return doSweep(opts, *reps, stdout, stderr)
	}
	return doBuild(opts, *reps, *out, stdout, stderr)
}

// doBuild builds reps times and prints the last package and the median time.
func doBuild(opts pack.Options, reps int, out string, stdout, stderr io.Writer) int {
	var pkg *pack.Package
	var times []time.Duration
	for range max(reps, 1) {
		start := time.Now()
		p, err := pack.Build(context.Background(), opts)
		if err != nil {
			fmt.Fprintln(stderr, "packbench:", err)
			return 1
		}
		times = append(times, time.Since(start))
		if pkg != nil {
			pkg.Close()
		}
		pkg = p
	}
	defer pkg.Close()
	if out != "" {
		if err := writeZip(pkg, out); err != nil {
			fmt.Fprintln(stderr, "packbench:", err)
			return 1
		}
	}
	fmt.Fprintf(stdout, "files=%d size=%d time=%s maxrss_kb=%d sha256=%s\n",
		len(pkg.Files), pkg.Size(), median(times).Round(time.Microsecond), maxRSS(), pkg.SHA256)
	return 0
}

func doSweep(opts pack.Options, reps int, stdout, stderr io.Writer) int {
	// CPU time (user+sys) is reported beside wall time: on a shared machine it
	// is the steadier measure of what a level costs.
	fmt.Fprintf(stdout, "| level | workers | median wall ms | median CPU ms | zip bytes |\n|---|---|---|---|---|\n")
	for level := 1; level <= 9; level++ {
		opts.Level = level
		var walls, cpus []time.Duration
		var size int64
		for range reps {
			cpu0 := cpuTime()
			start := time.Now()
			pkg, err := pack.Build(context.Background(), opts)
			if err != nil {
				fmt.Fprintln(stderr, "packbench:", err)
				return 1
			}
			walls = append(walls, time.Since(start))
			cpus = append(cpus, cpuTime()-cpu0)
			size = pkg.Size()
			pkg.Close()
		}
		fmt.Fprintf(stdout, "| %d | %d | %.1f | %.1f | %d |\n", level, opts.Workers,
			float64(median(walls).Microseconds())/1000, float64(median(cpus).Microseconds())/1000, size)
	}
	return 0
}

func writeZip(pkg *pack.Package, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := pkg.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func median(d []time.Duration) time.Duration {
	for i := range d { // insertion sort: a handful of samples
		for j := i; j > 0 && d[j] < d[j-1]; j-- {
			d[j], d[j-1] = d[j-1], d[j]
		}
	}
	return d[len(d)/2]
}

// maxRSS is this process's peak resident set in KiB (Linux reports KiB).
func maxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return -1
	}
	return int64(ru.Maxrss)
}
