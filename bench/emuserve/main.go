// Command emuserve serves the emulator (internal/emulator) with the latency a
// deploy benchmark needs: every vendor call — the WeChat cloud-function
// paths, every Tencent Cloud action and the code downloads — is held
// -delay before it is answered (Fault{Delay}; the call is counted when it
// arrives, before the delay). `wxcloud-deploy emulate` has no such flag on
// purpose: latency injection is a benchmark's business, not the product's.
//
//	go run ./bench/emuserve -delay 100ms
//	curl -s http://127.0.0.1:PORT/_bench/stats          # Stats as JSON
//	curl -s http://127.0.0.1:PORT/_bench/calls          # every call, arrival order
//	curl -s -X POST http://127.0.0.1:PORT/_bench/reset  # ResetCalls
//
// The first line on stdout is a JSON object with the URL and the credentials
// the emulator accepts ({"url","token","secretId","secretKey","region"}): the
// benchmark driver (bench/deploybench) reads it. The server runs until
// SIGINT/SIGTERM and then prints the final stats on stderr.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
)

// Info is the first line emuserve prints.
type Info struct {
	URL       string `json:"url"`
	Token     string `json:"token"`
	SecretID  string `json:"secretId"`
	SecretKey string `json:"secretKey"`
	Region    string `json:"region"`
}

// Report is what /_bench/stats answers.
type Report struct {
	emulator.Stats
	// Writes counts the write calls that reached the handler (uploads,
	// creates, configuration changes).
	Writes int `json:"Writes"`
	// MaxInFlight is the most requests the server held at once (the delay
	// included): how much of the client's concurrency reached the wire.
	MaxInFlight int `json:"MaxInFlight"`
	// MaxInFlightByKey is the same per Tencent Cloud action or path (the
	// keys of Calls): how many uploads the client had out at once.
	MaxInFlightByKey map[string]int `json:"MaxInFlightByKey"`
	// First and Last are the arrival times of the first and last call since
	// the last reset; Span is Last-First in milliseconds.
	First  time.Time `json:"First"`
	Last   time.Time `json:"Last"`
	SpanMS int64     `json:"SpanMS"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("emuserve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listen := fs.String("listen", "127.0.0.1:0", "address to serve on")
	delay := fs.Duration("delay", 0, "latency added to every vendor call (WeChat, Tencent Cloud, code downloads)")
	statusDelay := fs.Duration("status-delay", emulator.DefaultStatusDelay, "how long a Tencent Cloud function stays Creating/Updating")
	token := fs.String("token", "", "WeChat token accepted (default: the emulator's)")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv := emulator.New(emulator.Options{Token: *token, StatusDelay: *statusDelay, Node: "-"})
	if *delay > 0 {
		// The three Fault paths that together name every call a deploy makes:
		// "" the WeChat cloud-function calls, "/" every Tencent Cloud action,
		// CodePath the code downloads.
		for _, p := range []string{"", "/", emulator.CodePath} {
			srv.Inject(emulator.Fault{Path: p, Delay: *delay})
		}
	}
	b := &bench{srv: srv}
	ln, err := net.Listen("tcp", *listen)
	if err != nil {
		fmt.Fprintln(stderr, "emuserve:", err)
		return 1
	}
	hs := &http.Server{Handler: b, ReadHeaderTimeout: 30 * time.Second}
	go func() { _ = hs.Serve(ln) }()
	info := Info{URL: "http://" + ln.Addr().String(), Token: srv.Token(), SecretID: srv.SecretID(), SecretKey: srv.SecretKey(), Region: srv.Region()}
	line, _ := json.Marshal(info)
	fmt.Fprintf(stdout, "%s\n", line)

	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = hs.Shutdown(sctx)
	final, _ := json.Marshal(b.report())
	fmt.Fprintf(stderr, "emuserve: final stats %s\n", final)
	return 0
}

// bench wraps the emulator with the /_bench/ endpoints and an in-flight
// gauge.
type bench struct {
	srv *emulator.Server

	mu          sync.Mutex
	inFlight    int
	maxInFlight int
	byKey       map[string]*gauge
	first, last time.Time
}

type gauge struct{ now, max int }

// key names a request as emulator.Stats does: the Tencent Cloud action, or
// the path (every code download as emulator.CodePath).
func key(r *http.Request) string {
	if a := r.Header.Get("X-TC-Action"); a != "" && r.URL.Path == "/" {
		return a
	}
	if strings.HasPrefix(r.URL.Path, emulator.CodePath+"/") {
		return emulator.CodePath
	}
	return r.URL.Path
}

func (b *bench) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/_bench/stats":
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(b.report())
		return
	case "/_bench/calls":
		// Every call since the last reset, in arrival order (At, Path,
		// Action, Env...): for timelines and rate checks.
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(b.srv.Calls())
		return
	case "/_bench/reset":
		if r.Method != http.MethodPost {
			http.Error(w, "POST only", http.StatusMethodNotAllowed)
			return
		}
		b.mu.Lock()
		b.srv.ResetCalls()
		b.maxInFlight, b.first, b.last = b.inFlight, time.Time{}, time.Time{}
		for _, g := range b.byKey {
			g.max = g.now
		}
		b.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	now := time.Now()
	k := key(r)
	b.mu.Lock()
	b.inFlight++
	b.maxInFlight = max(b.maxInFlight, b.inFlight)
	if b.byKey == nil {
		b.byKey = map[string]*gauge{}
	}
	g := b.byKey[k]
	if g == nil {
		g = &gauge{}
		b.byKey[k] = g
	}
	g.now++
	g.max = max(g.max, g.now)
	if b.first.IsZero() {
		b.first = now
	}
	b.last = now
	b.mu.Unlock()
	defer func() {
		b.mu.Lock()
		b.inFlight--
		g.now--
		b.mu.Unlock()
	}()
	b.srv.ServeHTTP(w, r)
}

func (b *bench) report() Report {
	b.mu.Lock()
	defer b.mu.Unlock()
	rep := Report{Stats: b.srv.Stats(), Writes: b.srv.Writes(), MaxInFlight: b.maxInFlight, MaxInFlightByKey: map[string]int{}, First: b.first, Last: b.last}
	for k, g := range b.byKey {
		if g.max > 0 {
			rep.MaxInFlightByKey[k] = g.max
		}
	}
	if !b.first.IsZero() {
		rep.SpanMS = b.last.Sub(b.first).Milliseconds()
	}
	return rep
}
