package report

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/size"
)

// ResultsLimit is the most the results output holds. A workflow reads it
// with fromJSON, and GitHub keeps at most 1 MiB of outputs per job; past
// this the output falls back to the failed pairs (see Outputs).
const ResultsLimit = 512 << 10

// fallbackFieldCap bounds each long string of a failed pair in the
// fallback, so that many failures still fit.
const fallbackFieldCap = 1 << 10

// Outputs lists the contract's outputs in a fixed order: status, results,
// failed-envs, zip-sha256, zip-size, packages, matrix (run.Matrix, set by
// the plan command).
//
// results is every pair as a JSON array while that fits in ResultsLimit.
// Past it, the array holds the failed pairs (their long strings cut to
// 1 KiB, as many as fit) followed by one note object in the shape of a pair:
// action "truncated", error saying what was left out and where every pair
// is (run.ResultsFile, or "set results-file"), plus "pairs", "listed" and
// "counts" (pairs per action). A workflow filtering on action still works.
func Outputs(run *result.Run) []Output {
	status := "failure"
	if run.OK() {
		status = "success"
	}
	var zipSHA, zipSize string
	if name, ok := firstPackage(run); ok {
		p := run.Packages[name]
		zipSHA = p.SHA256
		zipSize = strconv.FormatInt(p.Size, 10)
	}
	pkgs := run.Packages
	if pkgs == nil {
		pkgs = map[string]result.Package{}
	}
	return []Output{
		{Name: "status", Value: status},
		{Name: "results", Value: resultsValue(run)},
		{Name: "failed-envs", Value: strings.Join(run.FailedEnvs(), ",")},
		{Name: "zip-sha256", Value: zipSHA},
		{Name: "zip-size", Value: zipSize},
		// encoding/json sorts map keys, which keeps the output byte-stable.
		{Name: "packages", Value: marshal(pkgs)},
		{Name: "matrix", Value: run.Matrix},
	}
}

// InvalidOutputs are the outputs after invalid input: every output set, as
// after a run with no pair, and status failure, so that steps reading
// fromJSON(steps.x.outputs.results) under if: always() still work.
func InvalidOutputs() []Output {
	outs := Outputs(&result.Run{})
	outs[0].Value = "failure"
	return outs
}

func resultsValue(run *result.Run) string {
	results := run.Results
	if results == nil {
		// The contract promises a JSON array: "null" would break fromJSON users.
		results = []result.Result{}
	}
	full := marshal(results)
	if len(full) <= ResultsLimit {
		return full
	}
	var failed []any
	for _, r := range results {
		if !r.Action.OK() {
			failed = append(failed, capped(r))
		}
	}
	// Keep as many failed pairs as fit; halve until they do (a run whose
	// failures alone pass the limit is rare, and each try is one encoding).
	keep := len(failed)
	for {
		v := marshal(append(append([]any{}, failed[:keep]...), truncationNote(run, len(full), keep, len(failed))))
		if len(v) <= ResultsLimit || keep == 0 {
			return v
		}
		keep /= 2
	}
}

// capped cuts a failed pair's long strings for the fallback.
func capped(r result.Result) result.Result {
	r.Error = truncate(r.Error, fallbackFieldCap)
	r.Detail = truncate(r.Detail, fallbackFieldCap)
	if r.Invoke != nil {
		inv := *r.Invoke
		inv.RespData = truncate(inv.RespData, fallbackFieldCap)
		inv.Error = truncate(inv.Error, fallbackFieldCap)
		inv.Log = truncate(inv.Log, fallbackFieldCap)
		r.Invoke = &inv
	}
	return r
}

// note is the last element of a cut results array: the contract's fields
// first, so code reading pairs can read it too.
type note struct {
	Function    string         `json:"function"`
	Env         string         `json:"env"`
	Action      string         `json:"action"`
	Errcode     int            `json:"errcode"`
	Error       string         `json:"error"`
	SHA256      string         `json:"sha256"`
	Pairs       int            `json:"pairs"`
	Listed      int            `json:"listed"`
	Counts      map[string]int `json:"counts"`
	ResultsFile string         `json:"results_file,omitempty"`
}

func truncationNote(run *result.Run, fullLen, listed, failed int) note {
	counts := map[string]int{}
	for a, n := range countActions(run.Results) {
		counts[string(a)] = n
	}
	where := "set results-file to get every pair"
	if run.ResultsFile != "" {
		where = fmt.Sprintf("every pair is in results-file %q", run.ResultsFile)
	}
	what := fmt.Sprintf("the %s failed pairs", number(failed))
	if listed < failed {
		what = fmt.Sprintf("%s of the %s failed pairs", number(listed), number(failed))
	}
	return note{
		Action: "truncated",
		Error: fmt.Sprintf("results lists %s of %s (%s): all of them would be %s, over the %s an output keeps; %s",
			what, number(len(run.Results)), Counts(run), size.Format(int64(fullLen)), size.Format(ResultsLimit), where),
		Pairs:       len(run.Results),
		Listed:      listed,
		Counts:      counts,
		ResultsFile: run.ResultsFile,
	}
}

// firstPackage names "the first function" of the contract: the first entry of
// PackageOrder that was built. A run without PackageOrder (older producers)
// falls back to the smallest name so the answer stays deterministic.
func firstPackage(run *result.Run) (string, bool) {
	for _, name := range run.PackageOrder {
		if _, ok := run.Packages[name]; ok {
			return name, true
		}
	}
	if len(run.PackageOrder) > 0 || len(run.Packages) == 0 {
		return "", false
	}
	names := make([]string, 0, len(run.Packages))
	for name := range run.Packages {
		names = append(names, name)
	}
	sort.Strings(names)
	return names[0], true
}

// marshal encodes without HTML escaping: the values are read by people and
// by fromJSON, and "\u003c" in an error message helps neither.
func marshal(v any) string {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		// Only reachable with unsupported types; the result types are plain data.
		return "null"
	}
	return strings.TrimSuffix(buf.String(), "\n")
}
