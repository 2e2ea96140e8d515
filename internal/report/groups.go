package report

import (
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// envPlaceholder stands for the env ID in the text of a group of failures:
// vendor messages often name the env ("env "prod-1" has no cloud
// development"), which would otherwise keep 2,000 identical failures apart.
const envPlaceholder = "<env>"

// minEnvLenToGeneralise keeps a short env ID ("dev") from being replaced
// inside unrelated words ("device").
const minEnvLenToGeneralise = 6

// failure is one or more failed pairs of one function that failed the same
// way, in run order.
type failure struct {
	first  result.Result // the first pair, for its action, sizes and config
	envs   []string
	msg    string // failureText, the env replaced by envPlaceholder when grouped
	resp   string // the smoke test's response
	log    string // the tail of the function's log
	config []string
}

// title names the pairs: "login @ dev-1" or "login in 1,200 envs".
func (f failure) many() bool { return len(f.envs) > 1 }

// failures groups the failed pairs; groups keep the order of their first pair.
func failures(results []result.Result) []failure {
	var out []failure
	index := map[string]int{}
	for _, r := range results {
		if r.Action.OK() {
			continue
		}
		gen := func(s string) string { return generalise(s, r.Env) }
		msg, resp, log := failureText(r), smokeResponse(r), smokeLog(r)
		key := strings.Join([]string{r.Function, string(r.Action), gen(msg), gen(resp), gen(log), strings.Join(r.Config, "\n")}, "\x00")
		if i, ok := index[key]; ok {
			out[i].envs = append(out[i].envs, r.Env)
			out[i].msg, out[i].resp, out[i].log = gen(msg), gen(resp), gen(log)
			continue
		}
		index[key] = len(out)
		out = append(out, failure{first: r, envs: []string{r.Env}, msg: msg, resp: resp, log: log, config: r.Config})
	}
	return out
}

func generalise(s, env string) string {
	if len(env) < minEnvLenToGeneralise {
		return s
	}
	return strings.ReplaceAll(s, env, envPlaceholder)
}

// success is one or more successful pairs of one function with the same
// outcome and code, for the collapsed view of a large run.
type success struct {
	first   result.Result
	envs    []string
	smokeOK int // pairs whose smoke test passed
}

func successes(results []result.Result) []success {
	var out []success
	index := map[string]int{}
	for _, r := range results {
		if !r.Action.OK() {
			continue
		}
		key := strings.Join([]string{r.Function, string(r.Action), actionDetail(r), r.SHA256}, "\x00")
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, success{first: r})
		}
		out[i].envs = append(out[i].envs, r.Env)
		if r.Invoke != nil && r.Invoke.OK {
			out[i].smokeOK++
		}
	}
	return out
}

// change is one list of setting and trigger changes made (or planned) in
// one or more envs of a function.
type change struct {
	fn     string
	envs   []string
	config []string
}

// changes groups the successful pairs' config changes; a failed pair's are
// shown with its failure.
func changes(results []result.Result) []change {
	var out []change
	index := map[string]int{}
	for _, r := range results {
		if !r.Action.OK() || len(r.Config) == 0 {
			continue
		}
		key := r.Function + "\x00" + strings.Join(r.Config, "\n")
		i, ok := index[key]
		if !ok {
			i = len(out)
			index[key] = i
			out = append(out, change{fn: r.Function, config: r.Config})
		}
		out[i].envs = append(out[i].envs, r.Env)
	}
	return out
}

func countOK(results []result.Result) int {
	return len(results) - countFailed(results)
}
