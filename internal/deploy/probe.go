package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/pack"
)

// probePhase asks every env what it runs, decides "unchanged", takes the
// rollback backups, and gives every open pair its operation.
func (r *run) probePhase(ctx context.Context) {
	var total int
	if r.needProbe() {
		for _, fn := range r.fns {
			total += len(fn.pairs)
		}
	}
	ph := r.begin("probe", total)
	if total > 0 {
		r.each(ph, []State{Pending}, func(p *pair) { r.probe(ctx, p) })
	}
	var all []*pair
	for _, fn := range r.fns {
		for _, p := range fn.pairsIn(Pending, Probed) {
			r.plan(ctx, p)
		}
		all = append(all, fn.pairs...)
	}
	ph.finish(r.countStates(all))
}

func (r *run) needProbe() bool {
	switch r.cfg.Mode {
	case config.ModeCreate:
		return false
	case config.ModeUpdate:
		return r.cfg.SkipUnchanged || r.cfg.RollbackOnFailure || r.cfg.DryRun
	}
	return true
}

func (r *run) probe(ctx context.Context, p *pair) {
	if cancelled(ctx, p) {
		return
	}
	d, err := r.be.Probe(ctx, p.fn.Name, p.env)
	p.deployed = d
	if err != nil {
		r.probeFailed(p, err)
		return
	}
	p.move(Probed)
	if d.Exists == backend.Exists {
		r.compare(ctx, p)
	}
}

// probeFailed: most probe failures mean "unknown", not "missing" (WeChat's
// downloadfunction refuses code another platform uploaded): the plan falls
// back on the upload's own answer. A dry run, though, must not pass when the
// probe shows the deploy cannot run at all.
func (r *run) probeFailed(p *pair, err error) {
	kind := backend.KindOf(err)
	switch {
	case kind == backend.KindCancelled:
		p.interrupted()
	case kind == backend.KindNoEnv:
		p.failErr(err)
	case r.cfg.DryRun && (kind == backend.KindDenied || kind == backend.KindUnreachable):
		p.fail(err, "the probe shows this deploy cannot run: "+err.Error())
	default:
		p.probeErr = err
		p.noBackup = "no backup: the probe failed: " + err.Error()
		p.move(Probed)
		r.deps.Logf("%s@%s: probe failed, existence unknown: %v", p.fn.Name, p.env, err)
	}
}

// compare decides whether the env already runs the local code. The vendor's
// checksum may not be taken over the zip as uploaded (API-NOTES), so a
// differing one leads to the code itself.
func (r *run) compare(ctx context.Context, p *pair) {
	d := p.deployed
	if r.cfg.SkipUnchanged && d.SHA256 == p.fn.Zip.SHA256 {
		p.detail = "checksum matches the deployed code"
		p.move(Unchanged)
		return
	}
	if !r.cfg.SkipUnchanged && !r.cfg.RollbackOnFailure {
		return
	}
	if d.CodeURL == "" {
		p.noBackup = "no backup: the vendor gave no address for the deployed code"
		return
	}
	e := p.fn.cache.get(ctx, d, r.fetch(p.fn))
	if r.cfg.RollbackOnFailure {
		p.backup, p.noBackup = e.file, e.why
	}
	if r.cfg.SkipUnchanged && e.same != "" {
		p.detail = e.same
		p.move(Unchanged)
	}
}

// plan gives an open pair its operation.
func (r *run) plan(ctx context.Context, p *pair) {
	if ctx.Err() != nil && !r.cfg.DryRun {
		p.interrupted()
		return
	}
	switch {
	case r.cfg.Mode == config.ModeCreate:
		p.op = backend.Create
	case r.cfg.Mode == config.ModeUpdate || p.deployed.Exists != backend.Missing:
		p.op = backend.Update
	default:
		p.op = backend.Create
	}
	p.move(Planned)
	if r.cfg.DryRun {
		p.detail = fmt.Sprintf("would %s (%s)", r.be.CallName(p.op), p.planNote())
	}
}

func (p *pair) planNote() string {
	switch {
	case p.deployed.Exists == backend.Exists:
		return "function exists, code differs"
	case p.deployed.Exists == backend.Missing:
		return "function not found"
	case p.probeErr != nil:
		return "existence unknown: the probe failed; a create follows if the function is missing"
	}
	return "not probed"
}

// codeFile is deployed code fetched to a temporary file: a backup for
// rollback, read like a package.
type codeFile struct {
	f    *os.File
	size int64
	sha  string
}

func (c *codeFile) zip() backend.Zip { return backend.Zip{R: c.f, Size: c.size, SHA256: c.sha} }

// codeCache fetches each distinct deployed checksum of a function once: a
// platform's thousands of envs mostly run the same code.
type codeCache struct {
	mu      sync.Mutex
	entries map[string]*cacheEntry
}

type cacheEntry struct {
	done chan struct{}
	file *codeFile // a verified backup, or nil
	why  string    // why there is no backup
	same string    // non-empty when the code equals the local zip: the detail
}

func (c *codeCache) get(ctx context.Context, d backend.Deployed, fetch func(context.Context, backend.Deployed) *cacheEntry) *cacheEntry {
	key := d.SHA256
	if key == "" {
		key = "url " + d.CodeURL
	}
	c.mu.Lock()
	e, ok := c.entries[key]
	if !ok {
		e = &cacheEntry{done: make(chan struct{})}
		c.entries[key] = e
	}
	c.mu.Unlock()
	if !ok {
		got := fetch(ctx, d)
		e.file, e.why, e.same = got.file, got.why, got.same
		close(e.done)
	}
	select {
	case <-e.done:
		return e
	case <-ctx.Done():
		return &cacheEntry{why: "no backup: interrupted while fetching the deployed code"}
	}
}

func (c *codeCache) close() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.entries {
		if e.file != nil {
			e.file.f.Close()
		}
	}
}

// fetch downloads the deployed code into the run's temp folder, verifies it
// against the vendor's checksum and compares it with the local zip.
func (r *run) fetch(fn *function) func(context.Context, backend.Deployed) *cacheEntry {
	return func(ctx context.Context, d backend.Deployed) *cacheEntry {
		f, err := r.tempFile()
		if err != nil {
			return &cacheEntry{why: "no backup: " + err.Error()}
		}
		h := sha256.New()
		n, err := r.be.FetchCode(ctx, d, io.MultiWriter(f, h), r.deps.MaxBackup)
		if err != nil {
			f.Close()
			return &cacheEntry{why: "no backup: the deployed code could not be downloaded: " + err.Error()}
		}
		got := hex.EncodeToString(h.Sum(nil))
		e := &cacheEntry{}
		cf := &codeFile{f: f, size: n, sha: got}
		if got == d.SHA256 {
			e.file = cf
		} else {
			e.why = fmt.Sprintf("no backup: the downloaded code's SHA-256 %s does not match the checksum %s the vendor gave", short(got), short(d.SHA256))
		}
		if got == fn.Zip.SHA256 {
			e.same = "deployed code is byte-identical"
		} else if same, err := pack.SameContent(f, n, fn.Zip.R, fn.Zip.Size); err == nil && same {
			e.same = "deployed code has the same files"
		}
		if e.file == nil {
			f.Close()
		}
		return e
	}
}

// tempFile makes a file in the run's own folder, removed when the run ends.
func (r *run) tempFile() (*os.File, error) {
	r.mu.Lock()
	if r.temp == "" {
		dir, err := os.MkdirTemp(r.deps.TempDir, "wxcloud-deploy-backup-")
		if err != nil {
			r.mu.Unlock()
			return nil, fmt.Errorf("cannot make a folder for backups: %w", err)
		}
		r.temp = dir
	}
	dir := r.temp
	r.mu.Unlock()
	return os.CreateTemp(dir, "code-*.zip")
}
