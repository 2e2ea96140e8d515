package e2e

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/testkit"
)

// TestActionShardedDeploy is the sharded workflow of the README: a plan
// job sets the matrix, each leg deploys its slice and uploads its results
// file, a merge job reports them as one run with one PR comment.
func TestActionShardedDeploy(t *testing.T) {
	t.Parallel()
	j := newJob(t, "pull_request")
	for _, n := range []string{"login", "pay", "notify"} {
		j.ws.Hello("cloudfunctions/" + n)
	}
	j.set("INPUT_FUNCTION-NAME", "", "INPUT_PATH", "", "INPUT_FUNCTIONS", "cloudfunctions/*", "INPUT_ENVS", "dev-a,dev-b")

	plan := j.set("INPUT_COMMAND", "plan", "INPUT_SHARDS", "2").run()
	if plan.Code != 0 {
		t.Fatalf("plan: %v", plan)
	}
	var matrix struct{ Shard []string }
	if err := json.Unmarshal([]byte(plan.Outputs["matrix"]), &matrix); err != nil || strings.Join(matrix.Shard, ",") != "1/2,2/2" {
		t.Fatalf("matrix output %q (%v), want {\"shard\":[\"1/2\",\"2/2\"]}", plan.Outputs["matrix"], err)
	}
	if len(j.emu.Calls()) != 0 || len(j.gh.Requests()) != 0 {
		t.Errorf("plan sent %d API calls and %d GitHub requests, want none", len(j.emu.Calls()), len(j.gh.Requests()))
	}

	pairs := map[string]bool{}
	for i, shard := range matrix.Shard {
		o := j.set("INPUT_COMMAND", "deploy", "INPUT_SHARDS", "", "INPUT_SHARD", shard,
			"INPUT_RESULTS-FILE", fmt.Sprintf("results/shard-%d.json", i+1)).run()
		if o.Code != 0 {
			t.Fatalf("shard %s: %v", shard, o)
		}
		res := testkit.Results(t, o.Outputs["results"], false)
		if len(res) != 3 {
			t.Errorf("shard %s deployed %d pairs, want 3 of the 6", shard, len(res))
		}
		for _, r := range res {
			key := r.Function + "@" + r.Env
			if pairs[key] {
				t.Errorf("%s was deployed by two shards", key)
			}
			pairs[key] = true
		}
	}
	if len(pairs) != 6 || len(j.emu.Functions()) != 6 {
		t.Errorf("the shards deployed %d pairs, the emulator holds %d functions, want 6 each", len(pairs), len(j.emu.Functions()))
	}
	if reqs := j.gh.Requests(); len(reqs) != 0 {
		t.Errorf("the shards made %d GitHub requests, want none (the merge comments)", len(reqs))
	}

	merge := j.set("INPUT_COMMAND", "merge", "INPUT_SHARD", "", "INPUT_RESULTS-FILE", "",
		"INPUT_RESULTS-FILES", "results/*.json").run()
	if merge.Code != 0 {
		t.Fatalf("merge: %v", merge)
	}
	res := testkit.Results(t, merge.Outputs["results"], false)
	if len(res) != 6 {
		t.Fatalf("merge reports %d pairs, want 6: %s", len(res), merge.Outputs["results"])
	}
	for _, r := range res {
		fn, ok := j.emu.Function(r.Env, r.Function)
		if r.Action != result.Created || !ok || fn.SHA256 != r.SHA256 {
			t.Errorf("%s@%s: %s %s, the emulator holds %v %s", r.Function, r.Env, r.Action, r.SHA256, ok, fn.SHA256)
		}
	}
	if merge.Outputs["status"] != "success" {
		t.Errorf("merge status %q, want success", merge.Outputs["status"])
	}
	comments := j.gh.Comments()
	if len(comments) != 1 || !strings.Contains(comments[0].Body, "6 created") {
		t.Errorf("want one comment counting the 6 pairs of both shards, got %d: %+v", len(comments), comments)
	}
}
