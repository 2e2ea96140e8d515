package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/pack"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/wxcloud"
)

// Deps is the world a deploy runs in; tests inject all of it.
type Deps struct {
	Client *wxcloud.Client
	// Now and Sleep drive the smoke test's readiness wait; nil means the real clock.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// Logf receives progress lines (already free of secrets).
	Logf func(format string, args ...any)
	// ReadyWait bounds how long a smoke test waits for a just-deployed function
	// to become invocable; 0 means 60 s.
	ReadyWait time.Duration
	// MaxBackup bounds the bytes fetched from a download URL; 0 means 64 MiB.
	MaxBackup int64
}

func (d *Deps) fill() {
	if d.Now == nil {
		d.Now = time.Now
	}
	if d.Sleep == nil {
		d.Sleep = wxcloud.SleepContext
	}
	if d.Logf == nil {
		d.Logf = func(string, ...any) {}
	}
	if d.ReadyWait == 0 {
		d.ReadyWait = 60 * time.Second
	}
	if d.MaxBackup == 0 {
		d.MaxBackup = 64 << 20
	}
}

// Built is one packed function, ready to deploy.
type Built struct {
	Target
	Pkg *pack.Package
}

// Pack builds every target's zip, concurrency at a time. It returns all errors
// together: a bad package is bad input (exit 2), found before any API call.
func Pack(ctx context.Context, cfg *config.Config, targets []Target) ([]Built, error) {
	rules := strings.Split(strings.ReplaceAll(cfg.Files, "\r\n", "\n"), "\n")
	built := make([]Built, len(targets))
	errs := make([]error, len(targets))
	forEach(ctx, len(targets), cfg.Concurrency, func(i int) {
		t := targets[i]
		pkg, err := pack.Build(ctx, pack.Options{
			Root:      displayPath(t.Dir),
			Files:     rules,
			Entry:     cfg.Entry,
			SizeLimit: cfg.SizeLimit,
		})
		if err != nil {
			errs[i] = fmt.Errorf("function %q: %w", t.Name, err)
			return
		}
		built[i] = Built{Target: t, Pkg: pkg}
	})
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return built, nil
}

// displayPath shortens dir to a path relative to the working directory when it
// lies inside it: packaging errors and annotations then name the directory the
// way the user wrote it (GitHub resolves annotation files from the workspace).
func displayPath(dir string) string {
	wd, err := os.Getwd()
	if err != nil || !filepath.IsAbs(dir) {
		return dir
	}
	rel, err := filepath.Rel(wd, dir)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return dir
	}
	return rel
}

// forEach runs f(0..n-1) with at most limit at once, stopping early when ctx ends.
func forEach(ctx context.Context, n, limit int, f func(i int)) {
	if limit < 1 {
		limit = 1
	}
	sem := make(chan struct{}, limit)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return
		}
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			f(i)
		}(i)
	}
	wg.Wait()
}

// Deploy deploys every built function to every env of cfg, concurrency
// functions at a time. One failing function never stops the others.
func Deploy(ctx context.Context, cfg *config.Config, deps Deps, built []Built) *result.Run {
	deps.fill()
	run := NewRun("deploy", built)
	perFn := make([][]result.Result, len(built))
	warns := make([][]string, len(built))
	forEach(ctx, len(built), cfg.Concurrency, func(i int) {
		fd := &fnDeploy{cfg: cfg, deps: &deps, b: built[i]}
		perFn[i] = fd.run(ctx)
		warns[i] = fd.warnings
	})
	for i := range built {
		if perFn[i] == nil {
			// Never started: the run was cancelled first.
			perFn[i] = cancelledResults(built[i], cfg.Envs, "cancelled before this function started; nothing was sent for it")
		}
		run.Results = append(run.Results, perFn[i]...)
		run.Warnings = append(run.Warnings, warns[i]...)
	}
	run.Interrupted = ctx.Err() != nil
	sortResults(run, cfg.Envs)
	return run
}

// NewRun starts the run of a command that built packages: the `packages`
// output in the order the functions were given, and the base64-size warning
// for the largest zip (API-NOTES: "base64 encoded, up to 20 M").
func NewRun(command string, built []Built) *result.Run {
	run := &result.Run{Command: command, Packages: map[string]result.Package{}}
	var largest int64
	for _, b := range built {
		run.Packages[b.Name] = result.Package{SHA256: b.Pkg.SHA256, Size: b.Pkg.Size(), Files: len(b.Pkg.Files)}
		run.PackageOrder = append(run.PackageOrder, b.Name)
		largest = max(largest, b.Pkg.Size())
	}
	if w := pack.Base64Warning(largest); w != "" {
		run.Warnings = append(run.Warnings, w)
	}
	return run
}

func cancelledResults(b Built, envs []string, why string) []result.Result {
	out := make([]result.Result, 0, len(envs))
	for _, env := range envs {
		out = append(out, result.Result{
			Function: b.Name, Env: env, Action: result.Failed,
			Error: why, SHA256: b.Pkg.SHA256, Size: b.Pkg.Size(),
		})
	}
	return out
}

// sortResults orders results by function name, then env in input order.
func sortResults(run *result.Run, envs []string) {
	pos := map[string]int{}
	for i, e := range envs {
		pos[e] = i
	}
	sort.SliceStable(run.Results, func(i, j int) bool {
		a, b := run.Results[i], run.Results[j]
		if a.Function != b.Function {
			return a.Function < b.Function
		}
		return pos[a.Env] < pos[b.Env]
	})
}

// errText renders an error for a result: the client already redacts, and the
// vendor code, when there is one, goes in Errcode as well.
func errText(err error) (int, string) {
	var apiErr *wxcloud.APIError
	if errors.As(err, &apiErr) {
		return apiErr.Code, err.Error()
	}
	if errors.Is(err, context.Canceled) {
		return 0, "interrupted (job cancelled): " + err.Error()
	}
	return 0, err.Error()
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
