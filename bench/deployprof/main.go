// Command deployprof runs one wxcloud-deploy command in-process (cli.Main,
// exactly as main.go calls it) with profiles, to find out why a deploy
// benchmark missed its target: a CPU profile of the whole run, and the heap
// profile taken when the heap was at its largest (the live heap is sampled
// every 10 ms; the profile is the one written at the highest sample, so it
// reflects the garbage collection just before the peak). Point it at
// bench/emuserve like the benchmark does:
//
//	go run ./bench/emuserve -delay 100ms &           # prints the URL and keys
//	go run ./bench/deployprof -cpu cpu.pprof -heap heap.pprof -- \
//	    deploy --provider tencentcloud --tencentcloud-api-url URL ...
//	go tool pprof -top -sample_index=inuse_space heap.pprof
//
// Credentials come from the environment as for the binary
// (TENCENTCLOUD_SECRET_ID, WXCLOUD_COMPONENT_ACCESS_TOKEN...).
package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime/metrics"
	"runtime/pprof"
	"sync"
	"syscall"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
)

func main() {
	fs := flag.NewFlagSet("deployprof", flag.ExitOnError)
	cpu := fs.String("cpu", "", "write a CPU profile of the run to this file")
	heap := fs.String("heap", "", "write the heap profile at the peak to this file")
	_ = fs.Parse(os.Args[1:])
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if *cpu != "" {
		f, err := os.Create(*cpu)
		if err != nil {
			fmt.Fprintln(os.Stderr, "deployprof:", err)
			os.Exit(1)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, "deployprof:", err)
			os.Exit(1)
		}
	}
	var peak *peakHeap
	if *heap != "" {
		peak = watchHeap(10 * time.Millisecond)
	}
	code := cli.Main(ctx, fs.Args(), os.Environ(), os.Stdout, os.Stderr)
	if *cpu != "" {
		pprof.StopCPUProfile()
	}
	if peak != nil {
		max, prof := peak.stop()
		fmt.Fprintf(os.Stderr, "deployprof: peak live heap %.1f MB\n", float64(max)/1e6)
		if err := os.WriteFile(*heap, prof, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "deployprof:", err)
			code = 1
		}
	}
	os.Exit(code)
}

// peakHeap keeps the heap profile written at the largest live heap seen.
type peakHeap struct {
	done chan struct{}
	wg   sync.WaitGroup
	max  uint64
	prof []byte
}

func watchHeap(every time.Duration) *peakHeap {
	p := &peakHeap{done: make(chan struct{})}
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
			}
			metrics.Read(sample)
			if v := sample[0].Value.Uint64(); v > p.max {
				var buf bytes.Buffer
				if pprof.Lookup("heap").WriteTo(&buf, 0) == nil {
					p.max, p.prof = v, buf.Bytes()
				}
			}
		}
	}()
	return p
}

func (p *peakHeap) stop() (uint64, []byte) {
	close(p.done)
	p.wg.Wait()
	return p.max, p.prof
}
