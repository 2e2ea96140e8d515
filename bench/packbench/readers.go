//go:build unix

package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/pack"
)

// -readers answers whether pack should read files through raw syscalls
// rather than os.File (it did until the bounded-memory rewrite; the claim
// was 44 ms instead of 90 ms for the bench tree's 4,800 files). Both readers
// do what pack's workers do, on as many goroutines: open (O_NONBLOCK),
// fstat, read the file (whole up to 1 MiB, else in 256 KiB chunks), close.
// Rounds alternate the order, so load from elsewhere hits both alike.

type reader struct {
	name string
	read func(path string, buf []byte) (int64, error)
}

func doReaders(opts pack.Options, reps int, stdout, stderr io.Writer) int {
	names, err := pack.Select(opts.Root, opts.Files)
	if err != nil {
		fmt.Fprintln(stderr, "packbench:", err)
		return 1
	}
	paths := make([]string, len(names))
	for i, n := range names {
		paths[i] = filepath.Join(opts.Root, filepath.FromSlash(n))
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	readers := []reader{{"os.File", readOS}, {"raw syscalls", readSyscall}}
	walls := make([][]time.Duration, len(readers))
	cpus := make([][]time.Duration, len(readers))
	for r := range reps + 1 { // the first round warms the page cache
		for k := range readers {
			i := (k + r) % len(readers)
			cpu0, start := cpuTime(), time.Now()
			if err := readAll(paths, workers, readers[i].read); err != nil {
				fmt.Fprintln(stderr, "packbench:", err)
				return 1
			}
			if r > 0 {
				walls[i] = append(walls[i], time.Since(start))
				cpus[i] = append(cpus[i], cpuTime()-cpu0)
			}
		}
	}
	fmt.Fprintf(stdout, "%d files, %d goroutines, median of %d rounds\n| reader | wall ms | CPU ms |\n|---|---|---|\n", len(paths), workers, reps)
	for i, rd := range readers {
		fmt.Fprintf(stdout, "| %s | %.1f | %.1f |\n", rd.name,
			float64(median(walls[i]).Microseconds())/1000, float64(median(cpus[i]).Microseconds())/1000)
	}
	return 0
}

func readAll(paths []string, workers int, read func(string, []byte) (int64, error)) error {
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for w := range workers {
		wg.Go(func() {
			buf := make([]byte, 1<<20)
			for i := w; i < len(paths); i += workers {
				if _, err := read(paths[i], buf); err != nil {
					errs[w] = err
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// readOS is pack's way since the rewrite.
func readOS(path string, buf []byte) (int64, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return 0, err
	}
	return readBody(f, fi.Size(), buf)
}

// readSyscall is pack's former readfile_unix.go.
func readSyscall(path string, buf []byte) (int64, error) {
	var fd int
	var err error
	for {
		fd, err = syscall.Open(path, syscall.O_RDONLY|syscall.O_CLOEXEC|syscall.O_NONBLOCK, 0)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		return 0, err
	}
	defer syscall.Close(fd)
	var st syscall.Stat_t
	if err := syscall.Fstat(fd, &st); err != nil {
		return 0, err
	}
	return readBody(rawFile(fd), st.Size, buf)
}

type rawFile int

func (fd rawFile) Read(p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(fd), p)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return 0, err
		case n == 0 && len(p) > 0:
			return 0, io.EOF
		}
		return n, nil
	}
}

func readBody(r io.Reader, size int64, buf []byte) (int64, error) {
	if size <= int64(len(buf)) {
		n, err := io.ReadFull(r, buf[:size])
		if err == io.ErrUnexpectedEOF {
			err = nil
		}
		return int64(n), err
	}
	var n int64
	for n < size {
		m, err := r.Read(buf[:min(256<<10, size-n)])
		n += int64(m)
		if err == io.EOF {
			break
		}
		if err != nil {
			return n, err
		}
	}
	return n, nil
}
