package deploy

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// each runs f over every pair in one of the states, ReadFanout at a time
// whatever their function, stepping the phase: the phases that carry no
// code are bounded by max-rps, not by how many functions deploy at once.
func (r *run) each(ph *phase, states []State, f func(p *pair)) {
	var pairs []*pair
	for _, fn := range r.fns {
		pairs = append(pairs, fn.pairsIn(states...)...)
	}
	ForEach(len(pairs), r.deps.ReadFanout, func(i int) {
		f(pairs[i])
		ph.step()
	})
}

func (r *run) count(states ...State) (int, []*pair) {
	var all []*pair
	n := 0
	for _, fn := range r.fns {
		n += len(fn.pairsIn(states...))
		all = append(all, fn.pairs...)
	}
	return n, all
}

// waitPhase waits until every uploaded function is ready to run the new
// code: a vendor that installs dependencies after the upload reports the
// failure of that install here.
func (r *run) waitPhase(ctx context.Context) {
	n, all := r.count(Uploaded)
	ph := r.begin("wait", n)
	r.each(ph, []State{Uploaded}, func(p *pair) {
		if cancelled(ctx, p) {
			return
		}
		if err := r.be.WaitReady(ctx, p.fn.Name, p.env, p.fn.Zip); err != nil {
			if ctx.Err() != nil {
				p.interrupted()
				return
			}
			p.fail(err, fmt.Sprintf("the code was %s, but it did not become ready: %s", p.verb(), errText(err)))
			return
		}
		p.move(Ready)
	})
	ph.finish(r.countStates(all))
}

// configurePhase applies each function's settings and triggers where the
// backend manages them; in a dry run it lists what it would change.
func (r *run) configurePhase(ctx context.Context) {
	cf, ok := r.be.(backend.Configurer)
	if !ok {
		return
	}
	states := []State{Ready, Unchanged}
	if r.cfg.DryRun {
		states = []State{Planned, Unchanged}
	}
	n, all := r.count(states...)
	ph := r.begin("configure", n)
	changes := 0
	r.each(ph, states, func(p *pair) {
		if ctx.Err() != nil {
			if p.state == Ready {
				p.interrupted()
			}
			return
		}
		lines, err := cf.Configure(ctx, p.fn.Name, p.env, p.fn.Settings, r.cfg.DryRun)
		if err != nil && ctx.Err() != nil && p.state == Ready {
			p.interrupted()
			return
		}
		if err != nil {
			what := "the code is in place"
			if p.state == Ready {
				what = "the new code was " + p.verb()
			}
			p.fail(err, fmt.Sprintf("%s, but its settings could not be applied: %s", what, errText(err)))
			return
		}
		p.config = lines
		r.mu.Lock()
		changes += len(lines)
		r.mu.Unlock()
	})
	ph.finish(joinNonEmpty(", ", fmt.Sprintf("%d %s", changes, Plural(changes, "change")), r.countStates(all)))
}

// smokePhase invokes every freshly deployed function once and rolls back
// the envs where it fails, when asked to.
func (r *run) smokePhase(ctx context.Context) {
	n, all := r.count(Ready)
	ph := r.begin("smoke", n)
	r.each(ph, []State{Ready}, func(p *pair) { r.smoke(ctx, p) })
	ph.finish(r.countStates(all))
}

func (r *run) smoke(ctx context.Context, p *pair) {
	if cancelled(ctx, p) {
		return
	}
	inv := r.invokeUntilReady(ctx, backend.InvokeRequest{Function: p.fn.Name, Env: p.env, Event: r.cfg.InvokeData}, r.deps.ReadyWait)
	p.invoke = inv
	switch {
	case inv.OK:
		p.move(Tested)
		r.deps.Logf("%s@%s: smoke test passed in %d ms", p.fn.Name, p.env, inv.MS)
	case ctx.Err() != nil:
		// The job was cancelled, not the function proven broken.
		p.interrupted()
	default:
		p.move(SmokeFailed)
		p.msg = "smoke test failed: " + inv.Error
		r.rollback(ctx, p)
	}
}

// invokeUntilReady invokes and checks the response. A function just created
// or updated may not be invocable yet: busy and not-found answers are retried
// with backoff until wait has passed.
func (r *run) invokeUntilReady(ctx context.Context, req backend.InvokeRequest, wait time.Duration) *result.Invoke {
	deadline := r.deps.Now().Add(wait)
	backoff := 500 * time.Millisecond
	for {
		t0 := r.deps.Now()
		res, err := r.be.Invoke(ctx, req)
		ms := r.deps.Now().Sub(t0).Milliseconds()
		if err == nil {
			inv := &result.Invoke{OK: true, RespData: res.RespData, MS: ms, Log: res.Log}
			if cerr := r.checkResponse(res); cerr != nil {
				inv.OK, inv.Error = false, cerr.Error()
			}
			return inv
		}
		kind := backend.KindOf(err)
		if (kind == backend.KindBusy || kind == backend.KindNotFound) && r.deps.Now().Add(backoff).Before(deadline) && ctx.Err() == nil {
			if r.deps.Sleep(ctx, backoff) == nil {
				backoff = min(backoff*2, 5*time.Second)
				continue
			}
		}
		return &result.Invoke{OK: false, Error: errText(err), MS: ms}
	}
}

// checkResponse fails a smoke test whose function failed — the vendor says
// so, or the API answered errcode 0 with an error object in resp_data
// (API-NOTES) — or whose response does not meet invoke-expect.
func (r *run) checkResponse(res backend.InvokeResult) error {
	if res.FunctionError != "" {
		return fmt.Errorf("the function failed: %s", res.FunctionError)
	}
	var obj map[string]any
	if json.Unmarshal([]byte(res.RespData), &obj) == nil {
		msg, hasMsg := obj["errorMessage"]
		code, hasCode := obj["errorCode"]
		if hasMsg || hasCode {
			return fmt.Errorf("the function threw (errorCode %v): %v", code, msg)
		}
	}
	return r.cfg.InvokeExpect.Check(res.RespData)
}

// rollback re-uploads the code that was there before, when asked and when a
// verified copy of it exists.
func (r *run) rollback(ctx context.Context, p *pair) {
	smokeErr := p.msg
	switch {
	case !r.cfg.RollbackOnFailure:
		p.fail(nil, smokeErr)
		return
	case p.op == backend.Create:
		p.fail(nil, smokeErr+"; not rolled back: the function did not exist before this deploy")
		return
	case p.backup == nil:
		p.fail(nil, smokeErr+"; not rolled back: "+orDefault(p.noBackup, "no backup was taken"))
		return
	}
	outs := r.be.Upload(ctx, backend.UploadRequest{Op: backend.Update, Function: p.fn.Name, Envs: []string{p.env}, Zip: p.backup.zip()})
	var err error
	if len(outs) != 1 || outs[0].Env != p.env {
		err = &backend.Error{K: backend.KindUnreachable, Msg: "the rollback upload got no answer for this env"}
	} else {
		err = outs[0].Err
	}
	if err == nil {
		err = r.be.WaitReady(ctx, p.fn.Name, p.env, p.backup.zip())
	}
	if err != nil {
		if backend.KindOf(err) == backend.KindUnreachable || ctx.Err() != nil {
			p.fail(err, smokeErr+"; the rollback upload was cut short and may or may not have been applied: check the env: "+errText(err))
			return
		}
		p.fail(err, smokeErr+"; ROLLBACK FAILED, the env runs the new, failing code: "+errText(err))
		return
	}
	p.detail = "restored the previous code (sha256 " + short(p.backup.sha) + ")"
	p.move(RolledBack)
	r.deps.Logf("%s@%s: rolled back to sha256 %s", p.fn.Name, p.env, short(p.backup.sha))
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
