package output_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/output"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/report"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// These tests drive report and output the way the CLI does, and read every
// sink the way its reader does. Each is a bug of the code before the output
// layer, which printed progress lines and cut table cells before redacting.

const testToken = "AT-SECRET-7f3a9c0d1e2b4a5968"

var meta = report.Meta{Workflow: "CI", Job: "deploy", Commit: "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
	Now: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}

// publish reports run through every sink, as the CLI does: progress lines
// while deploying, then (after output.Redacted) the table, annotations,
// outputs, summary, comment and --json.
func publish(t *testing.T, w *world, run *result.Run, action bool) (comment string) {
	t.Helper()
	for _, r := range run.Results {
		if !r.Action.OK() {
			// deploy's progress line for a failure carries the vendor's text.
			w.out.Line("%s@%s: %s", r.Function, r.Env, r.Error)
			if r.Invoke != nil {
				w.out.Line("%s@%s: smoke test failed: %s", r.Function, r.Env, r.Invoke.Error)
			}
		}
	}
	red := w.out.Redacted(run)
	if action {
		w.out.Print(report.Table(red)) // the step log
	} else {
		w.out.PrintErr(report.Table(red)) // stdout is for --json
	}
	for _, a := range report.Annotations(red) {
		w.out.Annotate(a)
	}
	if err := w.out.SetOutputs(report.Outputs(red)); err != nil {
		t.Fatal(err)
	}
	if err := w.out.Summary(report.Summary(red, meta)); err != nil {
		t.Fatal(err)
	}
	if err := w.out.JSON(red.Results); err != nil {
		t.Fatal(err)
	}
	return w.out.CommentBody(report.Comment(red, meta, report.Marker("CI", "deploy")))
}

// TestOutsideTextRunsNoCommand: vendor and function text holding workflow
// commands. Before, deploy's progress line printed the errmsg raw, so the
// runner ran ::set-output and ::warning:: from it.
func TestOutsideTextRunsNoCommand(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		res  result.Result
	}{
		{"fail-list errmsg", result.Result{Function: "login", Env: "dev-1a2b", Action: result.Failed, Errcode: -1,
			Error: "nope\n::set-output name=status::success\n::warning::INJECTED"}},
		{"a function's error response", result.Result{Function: "login", Env: "dev-1a2b", Action: result.RolledBack,
			Invoke: &result.Invoke{OK: false, Error: "resp_data holds an error: bad\n::warning::INJ",
				RespData: `{"errorCode":-1,"errorMessage":"bad\n::warning::INJ"}`}}},
		{"the function's log and a legacy command", result.Result{Function: "login", Env: "dev-1a2b", Action: result.RolledBack,
			Invoke: &result.Invoke{OK: false, Error: "x ##[set-output name=status;]success",
				Log: "START\n::add-mask::nothing\r::stop-commands::tok\n  ::error::from the log\nEND"}}},
		{"a file name", result.Result{Function: "a\n::warning file=x::INJ", Env: "dev-1a2b", Action: result.Failed,
			Error: "files: bad name"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, true)
			run := &result.Run{Command: "deploy", Results: []result.Result{tt.res,
				{Function: "ok", Env: "dev-1a2b", Action: result.Updated}}}
			publish(t, w, run, true)

			// Our annotations are the only commands, and each is an error.
			cmds := output.RunnerCommands(w.stdout.String())
			if got, want := names(cmds), strings.TrimSuffix(strings.Repeat("error,", len(report.Annotations(run))), ","); got != want {
				t.Errorf("the runner would run %q, want only our annotations %q:\n%s", got, want, w.stdout.String())
			}
			outs := parseOutputs(t, w.file(t, w.outputFile))
			if len(outs) != 7 || outs["status"] != "failure" {
				t.Errorf("outputs = %q, want the seven with status failure", outs)
			}
		})
	}
}

// TestNoTokenPrefixAfterACut: a token in a long message, at every offset
// around the places renderers cut (the smoke cell used to be cut at 80
// characters and redacted after, leaking the token's start). Every sink is
// searched for the token's first 8 or more characters.
func TestNoTokenPrefixAfterACut(t *testing.T) {
	t.Parallel()
	var offsets []int
	for _, around := range []int{40, 80, 120, 160, 300, 1024, 4096 / 3} {
		for d := -len(testToken); d <= 2; d += 3 {
			if around+d >= 0 {
				offsets = append(offsets, around+d)
			}
		}
	}
	for _, action := range []bool{true, false} {
		for _, off := range offsets {
			t.Run(fmt.Sprintf("action=%v/offset=%d", action, off), func(t *testing.T) {
				t.Parallel()
				w := newWorld(t, action, testToken)
				msg := strings.Repeat("y", off) + testToken + " and then some more words"
				run := &result.Run{Command: "deploy", Results: []result.Result{
					{Function: "login", Env: "dev-1a2b", Action: result.Failed, Error: msg, Detail: msg},
					{Function: "pay", Env: "dev-1a2b", Action: result.RolledBack,
						Invoke: &result.Invoke{Error: msg, RespData: msg, Log: msg}},
					{Function: "ok", Env: "dev-1a2b", Action: result.Planned, Detail: "planned: " + msg},
				}}
				comment := publish(t, w, run, action)
				for sink, text := range map[string]string{
					"stdout": withoutMasks(w.stdout.String()), "stderr": w.stderr.String(), "comment": comment,
					"GITHUB_OUTPUT": w.file(t, w.outputFile), "summary": w.file(t, w.summary),
				} {
					for n := len(testToken); n >= 8; n-- {
						if strings.Contains(text, testToken[:n]) {
							t.Errorf("%s holds the token's first %d characters", sink, n)
							break
						}
					}
				}
			})
		}
	}
}

// TestSecretInAResponse: a function that answers with a secret (raw and
// base64) put it raw into the results output and --json.
func TestSecretInAResponse(t *testing.T) {
	t.Parallel()
	b64 := base64.StdEncoding.EncodeToString([]byte(`{"testToken":"` + testToken + `"}`))
	resp := `{"echo":"` + testToken + `","blob":"` + b64 + `","access_token":"fetched-but-unknown-1234"}`
	for _, action := range []bool{true, false} {
		t.Run(fmt.Sprint("action=", action), func(t *testing.T) {
			t.Parallel()
			w := newWorld(t, action, testToken)
			run := &result.Run{Command: "invoke", Results: []result.Result{
				{Function: "echo", Env: "dev-1a2b", Action: result.Invoked,
					Invoke: &result.Invoke{OK: true, RespData: resp, MS: 12}},
			}}
			comment := publish(t, w, run, action)
			for sink, text := range map[string]string{
				"stdout": withoutMasks(w.stdout.String()), "stderr": w.stderr.String(), "comment": comment,
				"GITHUB_OUTPUT": w.file(t, w.outputFile), "summary": w.file(t, w.summary),
			} {
				for _, secret := range []string{testToken, b64[8:40], "fetched-but-unknown-1234"} {
					if strings.Contains(text, secret) {
						t.Errorf("%s holds %q", sink, secret)
					}
				}
			}
			if !action {
				var got []result.Result
				if err := json.Unmarshal([]byte(w.stdout.String()), &got); err != nil {
					t.Fatalf("--json is not JSON: %v\n%s", err, w.stdout.String())
				}
				if !strings.Contains(got[0].Invoke.RespData, `"echo":"***"`) {
					t.Errorf("resp_data = %q, want the secret masked", got[0].Invoke.RespData)
				}
				return
			}
			var got []result.Result
			if err := json.Unmarshal([]byte(parseOutputs(t, w.file(t, w.outputFile))["results"]), &got); err != nil {
				t.Fatalf("results output is not JSON: %v", err)
			}
			if !strings.Contains(got[0].Invoke.RespData, `"echo":"***"`) {
				t.Errorf("results resp_data = %q, want the secret masked", got[0].Invoke.RespData)
			}
		})
	}
}

// withoutMasks drops the ::add-mask:: lines, which must carry the secret
// and which the runner never shows.
func withoutMasks(log string) string {
	var keep []string
	for _, l := range strings.Split(log, "\n") {
		if !strings.HasPrefix(l, "::add-mask::") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "\n")
}
