package deploy

import (
	"context"
	"os"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/httpx"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// Deps is the world a deploy runs in; tests inject all of it.
type Deps struct {
	Backend backend.Backend
	// Now and Sleep drive timings and the smoke test's readiness wait; nil
	// means the real clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Logf receives progress lines; Group, when set, wraps a phase's lines
	// (::group:: in Actions) and returns its end.
	Logf  func(format string, args ...any)
	Group func(title string) (end func())
	// Heartbeat is the longest silence during a phase: a line says how far
	// it got. 0 means 10 s.
	Heartbeat time.Duration
	// ReadyWait bounds how long a smoke test waits for a just-deployed
	// function to become invocable; 0 means 60 s.
	ReadyWait time.Duration
	// MaxBackup bounds the bytes fetched of a deployed function's code; 0
	// means 64 MiB.
	MaxBackup int64
	// TempDir holds fetched code (backups) for the run; "" means os.TempDir.
	TempDir string
	// EnvFanout bounds the envs of one function uploaded at once, and the
	// envs of the one-function commands (create, invoke, download); 0 means
	// 32.
	EnvFanout int
	// ReadFanout bounds the pairs worked on at once in the phases that carry
	// no code (probe, wait, configure, smoke): they hold little memory, so
	// they are not bounded by functions, only by this and by the run-wide
	// rate limit (max-rps) in the transport below. 0 means 64.
	ReadFanout int
}

func (d *Deps) fill() {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Sleep == nil {
		d.Sleep = httpx.Sleep
	}
	if d.Logf == nil {
		d.Logf = func(string, ...any) {}
	}
	if d.Group == nil {
		d.Group = func(title string) func() { d.Logf("%s", title); return func() {} }
	}
	if d.Heartbeat <= 0 {
		d.Heartbeat = 10 * time.Second
	}
	if d.ReadyWait <= 0 {
		d.ReadyWait = 60 * time.Second
	}
	if d.MaxBackup <= 0 {
		d.MaxBackup = 64 << 20
	}
	if d.EnvFanout <= 0 {
		d.EnvFanout = 32
	}
	if d.ReadFanout <= 0 {
		d.ReadFanout = 64
	}
}

// Function is one packed function and the envs this run deploys it to.
type Function struct {
	Name     string
	Zip      backend.Zip
	Files    int
	Settings backend.Settings
	Envs     []string
}

// run is one deploy: every pair, and what the phases share.
type run struct {
	cfg  *config.Config
	deps *Deps
	be   backend.Backend
	fns  []*function
	mu   sync.Mutex // guards temp and the configure counts
	temp string     // this run's folder for fetched code
}

type function struct {
	Function
	pairs []*pair
	cache *codeCache
}

// Deploy deploys every function to its envs. One failing function or env
// never stops the others.
func Deploy(ctx context.Context, cfg *config.Config, deps Deps, fns []Function) *result.Run {
	deps.fill()
	r := &run{cfg: cfg, deps: &deps, be: deps.Backend}
	for _, f := range fns {
		fn := &function{Function: f, cache: &codeCache{entries: map[string]*cacheEntry{}}}
		for _, env := range f.Envs {
			fn.pairs = append(fn.pairs, &pair{fn: fn, env: env})
		}
		r.fns = append(r.fns, fn)
	}
	defer r.cleanup()
	start := deps.Now()

	r.probePhase(ctx)
	if cfg.DryRun {
		r.configurePhase(ctx)
	} else {
		r.uploadPhase(ctx)
		r.waitPhase(ctx)
		r.configurePhase(ctx)
		if cfg.Invoke {
			r.smokePhase(ctx)
		}
	}
	out := NewRun(string(cfg.Command), fns)
	out.Provider = r.be.Name()
	out.Shard = cfg.Shard.String()
	elapsed := deps.Now().Sub(start).Milliseconds()
	for _, fn := range r.fns {
		for _, p := range fn.pairs {
			out.Results = append(out.Results, p.result(elapsed))
		}
	}
	out.Interrupted = ctx.Err() != nil
	sortResults(out, cfg.Envs)
	return out
}

func (r *run) cleanup() {
	for _, fn := range r.fns {
		if fn.cache != nil {
			fn.cache.close()
		}
	}
	if r.temp != "" {
		os.RemoveAll(r.temp)
	}
}

// NewRun starts the run of a command that built packages: the `packages`
// output in the order the functions were given, and the base64-size warning
// for the largest zip (API-NOTES: "base64 encoded, up to 20 M").
func NewRun(command string, fns []Function) *result.Run {
	out := &result.Run{Command: command, Packages: map[string]result.Package{}}
	for _, f := range fns {
		out.Packages[f.Name] = result.Package{SHA256: f.Zip.SHA256, Size: f.Zip.Size, Files: f.Files}
		out.PackageOrder = append(out.PackageOrder, f.Name)
	}
	return out
}

// sortResults orders results by function name, then env in input order.
func sortResults(out *result.Run, envs []string) {
	pos := map[string]int{}
	for i, e := range envs {
		pos[e] = i
	}
	sort.SliceStable(out.Results, func(i, j int) bool {
		a, b := out.Results[i], out.Results[j]
		if a.Function != b.Function {
			return a.Function < b.Function
		}
		return pos[a.Env] < pos[b.Env]
	})
}

// pairsIn returns the pairs of fn in one of the states.
func (fn *function) pairsIn(states ...State) []*pair {
	var out []*pair
	for _, p := range fn.pairs {
		for _, s := range states {
			if p.state == s {
				out = append(out, p)
				break
			}
		}
	}
	return out
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

func joinNonEmpty(sep string, parts ...string) string {
	var keep []string
	for _, p := range parts {
		if p != "" {
			keep = append(keep, p)
		}
	}
	return strings.Join(keep, sep)
}
