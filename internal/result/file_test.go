package result

import (
	"reflect"
	"strings"
	"testing"
)

func shardRun(shard string, results ...Result) *Run {
	return &Run{Command: "deploy", Provider: "tencentcloud", Shard: shard, Results: results,
		Packages:     map[string]Package{"login": {SHA256: "aa", Size: 1, Files: 1}},
		PackageOrder: []string{"login"}, Warnings: []string{"same warning"}}
}

func TestFileRoundTrip(t *testing.T) {
	t.Parallel()
	in := shardRun("2/4", Result{Function: "login", Env: "dev-1", Action: Updated, Config: []string{"timeout 3s -> 20s"}})
	data, err := in.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	out, err := ReadFile("r.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(in, out) {
		t.Errorf("round trip:\n in %+v\nout %+v", in, out)
	}
	for _, bad := range []string{`{"version":2}`, `{"version":1,"results":[{"env":"x"}]}`, `{"version":1,"extra":1}`, `[]`} {
		if _, err := ReadFile("bad.json", []byte(bad)); err == nil || !strings.Contains(err.Error(), "bad.json") {
			t.Errorf("ReadFile(%s) = %v, want an error naming the file", bad, err)
		}
	}
}

func TestMerge(t *testing.T) {
	t.Parallel()
	r := func(env string, a Action) Result { return Result{Function: "login", Env: env, Action: a} }
	whole := Merge([]*Run{shardRun("2/3", r("e3", Updated)), shardRun("3/3", r("e4", Failed)), shardRun("1/3", r("e1", Updated), r("e2", Created))})
	var envs []string
	for _, res := range whole.Results {
		envs = append(envs, res.Env)
	}
	if strings.Join(envs, ",") != "e1,e2,e3,e4" {
		t.Errorf("order %v, want the unsharded order", envs)
	}
	if len(whole.Warnings) != 1 || len(whole.Problems) != 0 || whole.OK() || whole.Shard != "" {
		t.Errorf("merged %+v", whole)
	}
	if got := whole.FailedEnvs(); len(got) != 1 || got[0] != "e4" {
		t.Errorf("failed envs %v", got)
	}

	tests := []struct {
		name string
		runs []*Run
		frag string
	}{
		{"missing shard", []*Run{shardRun("1/3"), shardRun("3/3")}, "shard 2/3 are missing"},
		{"repeated shard", []*Run{shardRun("1/2"), shardRun("1/2"), shardRun("2/2")}, "shard 1/2 appears in 2"},
		{"other run", []*Run{shardRun("1/2"), shardRun("2/3")}, "with 2 and 3 shards"},
		{"unsharded mixed in", []*Run{shardRun("1/2"), shardRun("")}, "unsharded run"},
	}
	for _, tt := range tests {
		m := Merge(tt.runs)
		if m.OK() || len(m.Problems) == 0 || !strings.Contains(strings.Join(m.Problems, "\n"), tt.frag) {
			t.Errorf("%s: problems %q, want one with %q", tt.name, m.Problems, tt.frag)
		}
	}
	diff := shardRun("2/2")
	diff.Packages = map[string]Package{"login": {SHA256: "bb"}}
	if m := Merge([]*Run{shardRun("1/2"), diff}); m.OK() || !strings.Contains(strings.Join(m.Problems, ""), "packed differently") {
		t.Errorf("different packages: %q", m.Problems)
	}
}
