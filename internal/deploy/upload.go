package deploy

import (
	"context"
	"fmt"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
)

// uploadPhase sends every planned pair its code: one backend call per
// function and operation (the backend splits it as the vendor needs), then
// the fallback rule once for the pairs it applies to.
func (r *run) uploadPhase(ctx context.Context) {
	var total int
	for _, fn := range r.fns {
		total += len(fn.pairsIn(Planned))
	}
	ph := r.begin("upload", total)
	ForEach(len(r.fns), r.cfg.Concurrency, func(i int) {
		fn := r.fns[i]
		n := len(fn.pairsIn(Planned))
		r.uploadPlanned(ctx, fn)
		if r.cfg.Mode == config.ModeAuto {
			r.fallBack(fn)
			r.uploadPlanned(ctx, fn)
		}
		for _, p := range fn.pairsIn(UploadFailed) {
			p.fail(p.err, p.msg)
		}
		for range n {
			ph.step()
		}
	})
	var all []*pair
	for _, fn := range r.fns {
		all = append(all, fn.pairs...)
	}
	ph.finish(r.countStates(all))
}

// uploadPlanned uploads fn's Planned pairs, creates and updates at once.
func (r *run) uploadPlanned(ctx context.Context, fn *function) {
	groups := map[backend.Op][]*pair{}
	for _, p := range fn.pairsIn(Planned) {
		if cancelled(ctx, p) {
			continue
		}
		groups[p.op] = append(groups[p.op], p)
	}
	ops := []backend.Op{backend.Create, backend.Update}
	ForEach(len(ops), len(ops), func(i int) {
		if group := groups[ops[i]]; len(group) > 0 {
			r.upload(ctx, fn, ops[i], group)
		}
	})
}

func (r *run) upload(ctx context.Context, fn *function, op backend.Op, group []*pair) {
	envs := make([]string, len(group))
	for i, p := range group {
		envs[i] = p.env
	}
	req := backend.UploadRequest{Op: op, Function: fn.Name, Envs: envs, Zip: fn.Zip}
	// A create takes the settings; an update carries the handler and the
	// dependency install with the code (SCF changes them only together).
	if !fn.Settings.Empty() {
		s := fn.Settings
		req.Settings = &s
	}
	outcomes := r.be.Upload(ctx, req)
	byEnv := map[string]backend.Outcome{}
	for _, o := range outcomes {
		byEnv[o.Env] = o
	}
	for _, p := range group {
		o, ok := byEnv[p.env]
		if !ok {
			// A backend must answer for every env; one it skipped is not a
			// success.
			o = backend.Outcome{Env: p.env, Err: &backend.Error{K: backend.KindUnreachable, Msg: fmt.Sprintf("%s: no answer for env %q (the upload may or may not have been applied: check the env)", r.be.CallName(op), p.env)}}
		}
		if o.Err != nil {
			p.err, p.perEnv, p.msg = o.Err, o.PerEnv, errText(o.Err)
			// The reason is told once, in the results; the phase line
			// counts the failures.
			p.move(UploadFailed)
			continue
		}
		p.move(Uploaded)
		r.deps.Logf("%s@%s: %s (sha256 %s)", fn.Name, p.env, p.verb(), short(fn.Zip.SHA256))
	}
}

// fallBack applies the create<->update rule to fn's failed uploads.
func (r *run) fallBack(fn *function) {
	for _, p := range fn.pairsIn(UploadFailed) {
		op, ok := fallback(p)
		if !ok {
			continue
		}
		p.firstErr = p.msg
		p.detail = fmt.Sprintf("%s failed (%s), so %s was tried", r.be.CallName(p.op), fallbackReason(p), r.be.CallName(op))
		if p.deployed.Exists != backend.Exists && p.backup == nil && p.noBackup == "" {
			p.noBackup = "no backup: the function's code was not known before the upload"
		}
		p.op, p.fellBack, p.err, p.msg, p.perEnv = op, true, nil, "", false
		p.move(Planned)
	}
}

func fallbackReason(p *pair) string {
	switch backend.KindOf(p.err) {
	case backend.KindExists:
		return "the function already exists"
	case backend.KindNotFound:
		return "the function is missing"
	}
	return "existence was unknown"
}
