//go:build linux

// Command deploybench measures whole deploys: the real wxcloud-deploy binary,
// run as its own process against bench/emuserve (the emulator with latency
// on every call), timed from start to exit, its peak RSS read from the
// kernel (wait4's ru_maxrss, the child's VmHWM), the calls counted by the
// emulator. bench/deploy.sh builds both binaries and runs it; see
// bench/README.md for the targets and how each "ideal" is derived.
//
//	deploybench -bin wxcloud-deploy -emuserve emuserve -scenario latency -runs 5
//	deploybench ... -scenario scale -runs 3
//	deploybench ... -scenario memory -runs 3 -blob-mib 4
//
// Each run starts a fresh emulator, so a first deploy always creates.
package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"time"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

type options struct {
	bin, emuserve string
	scenario      string
	providers     []string
	runs          int
	maxRPS        string // "" keeps the product's default
	blobMiB       int
	envs          int
	keep          bool
	verbose       bool
}

func run(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("deploybench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	fs.StringVar(&o.bin, "bin", "", "the wxcloud-deploy binary (go build -o)")
	fs.StringVar(&o.emuserve, "emuserve", "", "the bench/emuserve binary")
	fs.StringVar(&o.scenario, "scenario", "latency", "latency, scale or memory")
	provider := fs.String("provider", "both", "wechat, tencentcloud or both (latency, memory)")
	fs.IntVar(&o.runs, "runs", 5, "runs per case, each against a fresh emulator")
	fs.StringVar(&o.maxRPS, "max-rps", "", "max-rps passed to the deploy (default: latency 1000, memory 1000, scale the product's default)")
	fs.IntVar(&o.blobMiB, "blob-mib", 4, "memory: MiB of incompressible data per function")
	fs.IntVar(&o.envs, "envs", 2000, "scale: envs in the envs-file")
	fs.BoolVar(&o.keep, "keep", false, "keep the work directory (functions, logs)")
	fs.BoolVar(&o.verbose, "v", false, "print each deploy's phase lines")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if o.bin == "" || o.emuserve == "" {
		fmt.Fprintln(stderr, "deploybench: -bin and -emuserve are required")
		return 2
	}
	switch *provider {
	case "both":
		o.providers = []string{"wechat", "tencentcloud"}
	case "wechat", "tencentcloud":
		o.providers = []string{*provider}
	default:
		fmt.Fprintf(stderr, "deploybench: -provider %q: want wechat, tencentcloud or both\n", *provider)
		return 2
	}
	work, err := os.MkdirTemp("", "deploybench-")
	if err != nil {
		fmt.Fprintln(stderr, "deploybench:", err)
		return 1
	}
	if o.keep {
		fmt.Fprintf(stderr, "deploybench: work directory %s\n", work)
	} else {
		defer os.RemoveAll(work)
	}
	b := &bench{o: o, work: work, out: stdout, log: stderr}
	var ok bool
	switch o.scenario {
	case "latency":
		ok, err = b.latency()
	case "scale":
		ok, err = b.scale()
	case "memory":
		ok, err = b.memory()
	default:
		err = fmt.Errorf("-scenario %q: want latency, scale or memory", o.scenario)
	}
	if err != nil {
		fmt.Fprintln(stderr, "deploybench:", err)
		return 1
	}
	if !ok {
		return 1
	}
	return 0
}

type bench struct {
	o    options
	work string
	out  io.Writer
	log  io.Writer
	seq  int // deploys so far, for log file names
}

// ---- the emulator process ----

type emuInfo struct {
	URL       string `json:"url"`
	Token     string `json:"token"`
	SecretID  string `json:"secretId"`
	SecretKey string `json:"secretKey"`
	Region    string `json:"region"`
}

// emuStats is bench/emuserve's Report.
type emuStats struct {
	Total             int
	Calls             map[string]int
	MaxPerSecond      int
	MaxPerSecondByKey map[string]int
	Writes            int
	MaxInFlight       int
	MaxInFlightByKey  map[string]int
	SpanMS            int64
}

type emu struct {
	cmd  *exec.Cmd
	info emuInfo
}

func (b *bench) startEmu(delay, statusDelay time.Duration) (*emu, error) {
	cmd := exec.Command(b.o.emuserve, "-delay", delay.String(), "-status-delay", statusDelay.String())
	cmd.Stderr = io.Discard
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("emuserve: %w", err)
	}
	line, err := bufio.NewReader(out).ReadBytes('\n')
	e := &emu{cmd: cmd}
	if err == nil {
		err = json.Unmarshal(line, &e.info)
	}
	if err != nil {
		e.stop()
		return nil, fmt.Errorf("emuserve: no info line: %w", err)
	}
	return e, nil
}

func (e *emu) stats() (emuStats, error) {
	var s emuStats
	resp, err := http.Get(e.info.URL + "/_bench/stats")
	if err != nil {
		return s, err
	}
	defer resp.Body.Close()
	return s, json.NewDecoder(resp.Body).Decode(&s)
}

// call is one emulator.Call, the fields a rate check needs.
type call struct {
	At     time.Time
	Path   string
	Action string
}

func (e *emu) calls() ([]call, error) {
	var out []call
	resp, err := http.Get(e.info.URL + "/_bench/calls")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	return out, json.NewDecoder(resp.Body).Decode(&out)
}

// busiestSecond finds the most calls arriving within one second of each
// other (the emulator's window, (t-1s, t]) and describes them: where in the
// run they are, the time they span and the shortest gap between two of them.
func busiestSecond(calls []call) (n int, desc string) {
	t := make([]time.Time, len(calls))
	for i, c := range calls {
		t[i] = c.At
	}
	slices.SortFunc(t, func(a, b time.Time) int { return a.Compare(b) })
	end, j := 0, 0
	for i := range t {
		for !t[j].After(t[i].Add(-time.Second)) {
			j++
		}
		if i-j+1 > n {
			n, end = i-j+1, i
		}
	}
	if n == 0 {
		return 0, ""
	}
	w := t[end-n+1 : end+1]
	gap := time.Duration(math.MaxInt64)
	for k := 1; k < len(w); k++ {
		gap = min(gap, w[k].Sub(w[k-1]))
	}
	return n, fmt.Sprintf("calls #%d-#%d of %d arrived within %.2f ms (shortest gap %.2f ms)",
		end-n+1, end, len(t), float64(w[len(w)-1].Sub(w[0]))/1e6, float64(gap)/1e6)
}

func (e *emu) reset() error {
	resp, err := http.Post(e.info.URL+"/_bench/reset", "", nil)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		return fmt.Errorf("reset: HTTP %d", resp.StatusCode)
	}
	return nil
}

func (e *emu) stop() {
	_ = e.cmd.Process.Signal(syscall.SIGTERM)
	_ = e.cmd.Wait()
}

// ---- functions on disk ----

// writeFunctions makes n function folders under work/fns (f01, f02...), each
// an index.js that differs by gen (a new gen is new code everywhere), plus
// blobMiB of random bytes (incompressible: the zip is as large) when > 0.
func (b *bench) writeFunctions(n, gen, blobMiB int) error {
	for i := 1; i <= n; i++ {
		dir := filepath.Join(b.work, "fns", fmt.Sprintf("f%02d", i))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		src := fmt.Sprintf("// generation %d\nexports.main = async (event) => ({ ok: true, fn: %d, gen: %d })\n", gen, i, gen)
		if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(src), 0o644); err != nil {
			return err
		}
		blob := filepath.Join(dir, "blob.bin")
		if _, err := os.Stat(blob); blobMiB > 0 && errors.Is(err, os.ErrNotExist) {
			data := make([]byte, blobMiB<<20)
			_, _ = rand.Read(data)
			if err := os.WriteFile(blob, data, 0o644); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b *bench) removeFunctions() error { return os.RemoveAll(filepath.Join(b.work, "fns")) }

func envList(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%04d", prefix, i+1)
	}
	return out
}

// ---- one deploy ----

type deployResult struct {
	wall    time.Duration
	rssKiB  int64
	cpu     time.Duration // user + system
	exit    int
	stats   emuStats
	phases  []string
	summary string
	load    string
}

var phaseRE = regexp.MustCompile(`^(pack|probe|upload|wait|configure|smoke): .* in [0-9.]+[µnm]?s|^done in `)

// deploy runs the binary once with args (plus the provider's connection
// flags) and reads the emulator's counts afterwards (reset before).
func (b *bench) deploy(e *emu, provider string, args ...string) (*deployResult, error) {
	if err := e.reset(); err != nil {
		return nil, err
	}
	full := []string{"deploy", "--provider", provider, "--functions", "fns/*", "--entry", "index.js"}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"), "TMPDIR=" + os.TempDir()}
	switch provider {
	case "wechat":
		full = append(full, "--api-base-url", e.info.URL)
		// Both kinds of token: downloadfunction (the probe) takes an
		// authorizer token, the batch uploads a component token.
		env = append(env, "WXCLOUD_ACCESS_TOKEN="+e.info.Token, "WXCLOUD_COMPONENT_ACCESS_TOKEN="+e.info.Token)
	case "tencentcloud":
		full = append(full, "--tencentcloud-api-url", e.info.URL, "--region", e.info.Region)
		env = append(env, "TENCENTCLOUD_SECRET_ID="+e.info.SecretID, "TENCENTCLOUD_SECRET_KEY="+e.info.SecretKey)
	}
	full = append(full, args...)
	b.seq++
	logName := filepath.Join(b.work, fmt.Sprintf("deploy-%03d-%s.log", b.seq, provider))
	logFile, err := os.Create(logName)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	var buf bytes.Buffer
	cmd := exec.Command(b.o.bin, full...)
	cmd.Dir, cmd.Env = b.work, env
	cmd.Stdout = io.MultiWriter(logFile, &buf)
	cmd.Stderr = cmd.Stdout
	r := &deployResult{load: loadavg()}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	err = cmd.Wait()
	r.wall = time.Since(start)
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return nil, err
	}
	st := cmd.ProcessState
	r.exit = st.ExitCode()
	if ru, ok := st.SysUsage().(*syscall.Rusage); ok {
		r.rssKiB = ru.Maxrss // KiB on Linux
	}
	r.cpu = st.UserTime() + st.SystemTime()
	for _, line := range strings.Split(buf.String(), "\n") {
		if phaseRE.MatchString(line) {
			r.phases = append(r.phases, line)
		}
		if strings.HasPrefix(line, "done in ") {
			r.summary = line
		}
	}
	if r.stats, err = e.stats(); err != nil {
		return nil, err
	}
	if r.exit != 0 {
		return r, fmt.Errorf("%s deploy exited %d; log %s (run with -keep):\n%s", provider, r.exit, logName, tail(buf.String(), 2000))
	}
	return r, nil
}

func tail(s string, n int) string {
	if len(s) > n {
		return "…" + s[len(s)-n:]
	}
	return s
}

func loadavg() string {
	data, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(data))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

// uploads counts the calls that carry code.
func (s emuStats) uploads() int {
	return s.Calls["/componenttcb/batchuploadscf"] + s.Calls["/componenttcb/batchuploadscfcode"] +
		s.Calls["CreateFunction"] + s.Calls["UpdateFunctionCode"]
}

// callList is "name=calls(most in flight)" per path or action.
func (s emuStats) callList() string {
	keys := make([]string, 0, len(s.Calls))
	for k := range s.Calls {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d(%d)", strings.TrimPrefix(strings.TrimPrefix(k, "/componenttcb/"), "/tcb/"), s.Calls[k], s.MaxInFlightByKey[k]))
	}
	return strings.Join(parts, " ")
}

// ---- summaries ----

type series struct{ v []float64 }

func (s *series) add(x float64) { s.v = append(s.v, x) }

func (s *series) median() float64 {
	v := slices.Clone(s.v)
	slices.Sort(v)
	n := len(v)
	if n == 0 {
		return math.NaN()
	}
	if n%2 == 1 {
		return v[n/2]
	}
	return (v[n/2-1] + v[n/2]) / 2
}

func (s *series) min() float64 { return slices.Min(s.v) }
func (s *series) max() float64 { return slices.Max(s.v) }

func verdict(ok bool) string {
	if ok {
		return "PASS"
	}
	return "FAIL"
}

func mb(kib int64) float64 { return float64(kib) * 1024 / 1e6 }

func secs(d time.Duration) float64 { return d.Seconds() }
