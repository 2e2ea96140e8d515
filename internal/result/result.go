// Package result holds what a run did, one Result per function/env pair, in the
// shape of the public results schema (../shared/CONTRACT.md). deploy produces it;
// report and the CLI only read it.
package result

import (
	"sort"
)

// Action is what happened to one function in one env.
type Action string

const (
	Created    Action = "created"
	Updated    Action = "updated"
	Unchanged  Action = "unchanged"
	Planned    Action = "planned"
	Failed     Action = "failed"
	RolledBack Action = "rolled_back"
	// Invoked and Downloaded are the actions of the stand-alone invoke and
	// download commands; Packed of the pack command. They count as success.
	Invoked    Action = "invoked"
	Downloaded Action = "downloaded"
	Packed     Action = "packed"
)

// OK reports whether the action counts as success for the exit status:
// rolled_back is a failure (the new code did not survive its smoke test).
func (a Action) OK() bool {
	switch a {
	case Failed, RolledBack:
		return false
	}
	return true
}

// Invoke is the outcome of one smoke test.
type Invoke struct {
	OK       bool   `json:"ok"`
	RespData string `json:"resp_data"`
	Error    string `json:"error"`
	MS       int64  `json:"ms"`
	// Log is the tail of the function's log, when the vendor returns one
	// (tencentcloud); shown for a failed smoke test.
	Log string `json:"log,omitempty"`
}

// Result is one function/env pair. The first seven fields are the contract;
// the rest are additions (CONTRACT.md allows adding).
type Result struct {
	Function string  `json:"function"`
	Env      string  `json:"env"`
	Action   Action  `json:"action"`
	Errcode  int     `json:"errcode"`
	Error    string  `json:"error"`
	SHA256   string  `json:"sha256"`
	Invoke   *Invoke `json:"invoke,omitempty"`

	// Size is the zip size in bytes.
	Size int64 `json:"size,omitempty"`
	// Detail says why in a few words: "planned: update", "checksum matches",
	// "no backup: download failed", "retried as update".
	Detail string `json:"detail,omitempty"`
	// MS is the wall time spent on this pair, smoke test included.
	MS int64 `json:"ms,omitempty"`
	// PreviousSHA256 is the checksum of the code that was there before, when known.
	PreviousSHA256 string `json:"previous_sha256,omitempty"`
	// Code is the vendor's error code by name when it has names rather than
	// numbers (tencentcloud: "ResourceNotFound.Namespace"); Errcode stays 0.
	Code string `json:"code,omitempty"`
	// Config lists the setting and trigger changes made (or, in a dry run,
	// planned) after the code: "timeout 3s -> 20s", "trigger nightly created".
	Config []string `json:"config,omitempty"`
}

// Package describes one built zip (the `packages` output).
type Package struct {
	SHA256 string `json:"sha256"`
	Size   int64  `json:"size"`
	Files  int    `json:"files"`
}

// Run is everything a command produced.
type Run struct {
	Command string
	// Results are in a stable order: function name, then env in input order.
	Results []Result
	// Packages by function name.
	Packages map[string]Package
	// PackageOrder lists function names in the order they were given, so that
	// zip-sha256 / zip-size name "the first function" deterministically.
	PackageOrder []string
	// Warnings are shown in the summary and as ::warning:: annotations.
	Warnings []string
	// Interrupted is set when the run was cancelled (SIGINT/SIGTERM) before it
	// finished; Results then hold what was known.
	Interrupted bool
	// Provider is the backend that ran: "wechat" or "tencentcloud" ("" for
	// pack).
	Provider string
	// Shard is "i/N" when this run deployed one slice of a sharded run.
	Shard string
	// ResultsFile is where this run's full results JSON was written
	// (results-file), for outputs that must point at it when they cannot
	// hold everything.
	ResultsFile string
	// Matrix is the plan command's `matrix` output,
	// {"shard":["1/N",…]}; "" for other commands.
	Matrix string
	// Problems are reasons the run as a whole failed beyond its pairs (a
	// shard's results missing from a merge); each is shown like a warning.
	Problems []string
}

// OK reports whether every pair succeeded and the run was not interrupted.
func (r *Run) OK() bool {
	if r.Interrupted || len(r.Problems) > 0 {
		return false
	}
	for _, res := range r.Results {
		if !res.Action.OK() {
			return false
		}
	}
	return true
}

// FailedEnvs lists, sorted and without repeats, the envs with at least one failed pair.
func (r *Run) FailedEnvs() []string {
	seen := map[string]bool{}
	var envs []string
	for _, res := range r.Results {
		if !res.Action.OK() && res.Env != "" && !seen[res.Env] {
			seen[res.Env] = true
			envs = append(envs, res.Env)
		}
	}
	sort.Strings(envs)
	return envs
}
