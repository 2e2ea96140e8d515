package deploy

import (
	"fmt"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
)

// State is where one function/env pair is in a deploy.
type State int

const (
	// Pending: nothing is known about the env yet.
	Pending State = iota
	// Probed: the backend said whether the function exists and what it runs
	// (or could not tell).
	Probed
	// Unchanged: the env already runs this code. Final (settings may still
	// be applied).
	Unchanged
	// Planned: an operation (create or update) is chosen. Final in a dry run.
	Planned
	// UploadFailed: the vendor refused or lost the upload. The fallback rule
	// sends the pair back to Planned with the other operation, once; else
	// it fails.
	UploadFailed
	// Uploaded: the vendor confirmed the new code.
	Uploaded
	// Ready: the new code is ready to run (and configured).
	Ready
	// Tested: the smoke test passed. Final.
	Tested
	// SmokeFailed: the smoke test failed; a rollback may follow.
	SmokeFailed
	// RolledBack: the previous code is back after a failed smoke test.
	// Final, and a failure of the pair.
	RolledBack
	// Failed: final.
	Failed
)

var stateNames = [...]string{"pending", "probed", "unchanged", "planned", "upload failed", "uploaded", "ready", "tested", "smoke failed", "rolled back", "failed"}

func (s State) String() string {
	if int(s) >= 0 && int(s) < len(stateNames) {
		return stateNames[s]
	}
	return fmt.Sprintf("State(%d)", int(s))
}

// transitions is every move a pair may make. Failed is reachable from every
// state that is not final: a cancel, or an error, can end a pair anywhere.
var transitions = map[State][]State{
	Pending:      {Probed, Planned, Failed},
	Probed:       {Unchanged, Planned, Failed},
	Unchanged:    {Failed}, // its settings could not be applied
	Planned:      {Uploaded, UploadFailed, Failed},
	UploadFailed: {Planned, Failed},
	Uploaded:     {Ready, Failed},
	Ready:        {Tested, SmokeFailed, Failed},
	SmokeFailed:  {RolledBack, Failed},
	Tested:       {},
	RolledBack:   {},
	Failed:       {},
}

// CanMove reports whether a pair in state from may move to state to.
func CanMove(from, to State) bool {
	for _, s := range transitions[from] {
		if s == to {
			return true
		}
	}
	return false
}

// Final reports whether no transition leaves s.
func (s State) Final() bool { return len(transitions[s]) == 0 }

// fallback is the create<->update rule over a failed upload: the vendor said
// the function already exists (create) or does not exist (update), or —
// WeChat words "not found" in its own ways — an update failed for this env
// alone while the probe could not tell whether the function exists. It
// applies once per pair, and only in mode auto.
func fallback(p *pair) (backend.Op, bool) {
	if p.state != UploadFailed || p.fellBack {
		return "", false
	}
	kind := backend.KindOf(p.err)
	switch {
	case p.op == backend.Create && kind == backend.KindExists:
		return backend.Update, true
	case p.op == backend.Update && kind == backend.KindNotFound:
		return backend.Create, true
	case p.op == backend.Update && p.deployed.Exists == backend.ExistsUnknown && p.perEnv && kind == backend.KindOther:
		return backend.Create, true
	}
	return "", false
}
