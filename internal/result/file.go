package result

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// FileVersion is the version of the results-file format.
const FileVersion = 1

// File is what results-file holds: a run's full results, for
// actions/upload-artifact and for command: merge.
type File struct {
	Version      int                `json:"version"`
	Command      string             `json:"command"`
	Provider     string             `json:"provider,omitempty"`
	Shard        string             `json:"shard,omitempty"`
	Results      []Result           `json:"results"`
	Packages     map[string]Package `json:"packages"`
	PackageOrder []string           `json:"package_order"`
	Warnings     []string           `json:"warnings,omitempty"`
	Interrupted  bool               `json:"interrupted"`
}

// Marshal renders the run as a results file.
func (r *Run) Marshal() ([]byte, error) {
	f := File{Version: FileVersion, Command: r.Command, Provider: r.Provider, Shard: r.Shard,
		Results: r.Results, Packages: r.Packages, PackageOrder: r.PackageOrder, Warnings: r.Warnings, Interrupted: r.Interrupted}
	if f.Results == nil {
		f.Results = []Result{}
	}
	if f.Packages == nil {
		f.Packages = map[string]Package{}
	}
	return json.MarshalIndent(f, "", "  ")
}

// ReadFile parses a results file. name is for messages.
func ReadFile(name string, data []byte) (*Run, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f File
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s is not a wxcloud-deploy results file: %v", name, err)
	}
	if f.Version != FileVersion {
		return nil, fmt.Errorf("%s has results-file version %d; this wxcloud-deploy reads version %d (use the same version in every job)", name, f.Version, FileVersion)
	}
	for i, r := range f.Results {
		if r.Function == "" || r.Env == "" || r.Action == "" {
			return nil, fmt.Errorf("%s: result %d lacks its function, env or action", name, i+1)
		}
	}
	return &Run{Command: f.Command, Provider: f.Provider, Shard: f.Shard, Results: f.Results, Packages: f.Packages,
		PackageOrder: f.PackageOrder, Warnings: f.Warnings, Interrupted: f.Interrupted}, nil
}

// Merge combines the runs of a sharded deploy into the run an unsharded
// deploy would have given: shards in order (each a contiguous slice of the
// pairs, so their results line up), packages and warnings once each. A shard
// that is missing or given twice makes the merged run a failure: its pairs
// are unknown.
func Merge(runs []*Run) *Run {
	sort.SliceStable(runs, func(i, j int) bool { return shardIndex(runs[i].Shard) < shardIndex(runs[j].Shard) })
	out := &Run{Command: "deploy", Packages: map[string]Package{}}
	seenWarn := map[string]bool{}
	for _, r := range runs {
		if out.Provider == "" {
			out.Provider = r.Provider
		}
		out.Results = append(out.Results, r.Results...)
		out.Interrupted = out.Interrupted || r.Interrupted
		for _, name := range r.PackageOrder {
			p, ok := out.Packages[name]
			switch {
			case !ok:
				out.Packages[name] = r.Packages[name]
				out.PackageOrder = append(out.PackageOrder, name)
			case p.SHA256 != r.Packages[name].SHA256:
				out.Problems = append(out.Problems, fmt.Sprintf("function %q was packed differently in shard %s (sha256 %.12s, not %.12s): the jobs did not deploy the same commit", name, r.Shard, r.Packages[name].SHA256, p.SHA256))
			}
		}
		for _, w := range r.Warnings {
			if !seenWarn[w] {
				seenWarn[w] = true
				out.Warnings = append(out.Warnings, w)
			}
		}
	}
	out.Problems = append(out.Problems, shardProblems(runs)...)
	return out
}

// shardProblems names the shards missing from, or repeated in, runs.
func shardProblems(runs []*Run) []string {
	count := 0
	seen := map[int]int{}
	for _, r := range runs {
		i, n := parseShard(r.Shard)
		if n == 0 {
			if len(runs) > 1 {
				return []string{"a results file of an unsharded run was merged with others: merge the files of one sharded run"}
			}
			return nil
		}
		if count != 0 && n != count {
			return []string{fmt.Sprintf("the results files come from runs with %d and %d shards: merge the files of one run", count, n)}
		}
		count = n
		seen[i]++
	}
	var out []string
	for i := 1; i <= count; i++ {
		switch seen[i] {
		case 0:
			out = append(out, fmt.Sprintf("the results of shard %d/%d are missing: its pairs may not have been deployed (did that job fail before writing results-file, or its artifact not download?)", i, count))
		case 1:
		default:
			out = append(out, fmt.Sprintf("shard %d/%d appears in %d results files: merge one file per shard", i, count, seen[i]))
		}
	}
	return out
}

func parseShard(s string) (i, n int) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return 0, 0
	}
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if err1 != nil || err2 != nil || i < 1 || i > n {
		return 0, 0
	}
	return i, n
}

func shardIndex(s string) int {
	i, _ := parseShard(s)
	return i
}
