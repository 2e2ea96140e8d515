package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// pair is one function in one env. Only the goroutine working on it in the
// current phase touches it.
type pair struct {
	fn    *function
	env   string
	state State
	op    backend.Op

	deployed backend.Deployed
	probeErr error // the probe could not tell what the env runs
	backup   *codeFile
	noBackup string // why there is no backup

	err      error // what failed the pair, or the last upload
	perEnv   bool  // err was the vendor's answer for this env alone
	fellBack bool
	firstErr string // the first upload's error, kept when it fell back
	msg      string // the failure, as the result shows it
	detail   string
	config   []string
	invoke   *result.Invoke
}

// move records a transition. An illegal one is a bug in this package; it
// fails the pair rather than let it claim an outcome it never reached.
func (p *pair) move(to State) {
	if !CanMove(p.state, to) {
		from := p.state
		p.state = Failed
		p.msg = fmt.Sprintf("internal error: %s -> %s is not a transition (please report this)", from, to)
		return
	}
	p.state = to
}

// fail ends the pair with msg and the vendor code of err (may be nil).
func (p *pair) fail(err error, msg string) {
	if p.state.Final() {
		return
	}
	if p.firstErr != "" && p.firstErr != msg {
		msg = p.firstErr + "; then " + msg
	}
	p.err, p.msg = err, msg
	p.move(Failed)
}

// failErr ends the pair with err's own text.
func (p *pair) failErr(err error) { p.fail(err, errText(err)) }

// errText renders an error for a result; a cancel says so in words.
func errText(err error) string {
	if backend.KindOf(err) == backend.KindCancelled || errors.Is(err, context.Canceled) {
		return "interrupted (job cancelled): " + err.Error()
	}
	return err.Error()
}

// interrupted fails a pair the cancel caught, saying what was and was not
// done at its state.
func (p *pair) interrupted() {
	switch p.state {
	case Pending, Probed, Planned:
		p.fail(context.Canceled, "interrupted before upload; nothing was sent for this env")
	case UploadFailed:
		p.fail(p.err, "interrupted: "+p.msgOr("the upload failed"))
	case Uploaded:
		p.fail(context.Canceled, fmt.Sprintf("interrupted after the upload: the new code was %s but not confirmed ready; check the env", p.verb()))
	case Ready:
		p.fail(context.Canceled, fmt.Sprintf("interrupted during the smoke test: the new code was %s but not tested; no rollback was attempted", p.verb()))
	}
}

func (p *pair) msgOr(def string) string {
	if p.msg != "" {
		return p.msg
	}
	if p.err != nil {
		return p.err.Error()
	}
	return def
}

// verb is "created" or "updated": what the upload did.
func (p *pair) verb() string {
	if p.op == backend.Create {
		return "created"
	}
	return "updated"
}

// result turns the pair into its one result. A phase that saw the cancel
// has already said what it interrupted; a state left open here is one the
// run did not mean to take further (Planned in a dry run, Ready without a
// smoke test).
func (p *pair) result(ms int64) result.Result {
	r := result.Result{
		Function: p.fn.Name, Env: p.env, SHA256: p.fn.Zip.SHA256, Size: p.fn.Zip.Size,
		Detail: p.detail, MS: ms, Invoke: p.invoke, Config: p.config,
		PreviousSHA256: p.deployed.SHA256,
	}
	switch p.state {
	case Unchanged:
		r.Action = result.Unchanged
	case Planned:
		r.Action = result.Planned
	case Ready, Tested:
		r.Action = result.Updated
		if p.op == backend.Create {
			r.Action = result.Created
		}
	case RolledBack:
		r.Action, r.Error = result.RolledBack, p.msg
	case Failed:
		r.Action, r.Error = result.Failed, p.msg
		r.Errcode, r.Code = backend.CodeOf(p.err)
	default:
		r.Action, r.Error = result.Failed, joinNonEmpty(": ", "not completed (stopped at "+p.state.String()+")", p.msg)
	}
	return r
}
