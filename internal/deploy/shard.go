package deploy

import (
	"encoding/json"
	"fmt"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
)

// Slice is one function's part of a run: its index in the config's targets
// and the envs this run deploys it to.
type Slice struct {
	Target int
	Envs   []string
}

// Slices says which function/env pairs a run deploys. Unsharded, every
// target goes to every env. With shard i/N the pairs, listed function by
// function and env by env in input order, are cut into N contiguous runs
// whose sizes differ by at most one: deterministic (the same inputs give the
// same slices in every matrix job), balanced, and a function's envs stay
// together so the batch calls stay few.
func Slices(cfg *config.Config) []Slice {
	n := len(cfg.Targets) * len(cfg.Envs)
	lo, hi := 0, n
	if s := cfg.Shard; s.Count > 0 {
		lo, hi = s.Index-1, s.Index
		lo, hi = lo*n/s.Count, hi*n/s.Count
	}
	var out []Slice
	for t := range cfg.Targets {
		var envs []string
		for e, env := range cfg.Envs {
			if k := t*len(cfg.Envs) + e; k >= lo && k < hi {
				envs = append(envs, env)
			}
		}
		if len(envs) > 0 {
			out = append(out, Slice{Target: t, Envs: envs})
		}
	}
	return out
}

// Matrix is the plan command's matrix output for shards shards:
// {"shard":["1/N",…,"N/N"]}.
func Matrix(shards int) string {
	list := make([]string, shards)
	for i := range list {
		list[i] = fmt.Sprintf("%d/%d", i+1, shards)
	}
	b, _ := json.Marshal(map[string][]string{"shard": list})
	return string(b)
}
