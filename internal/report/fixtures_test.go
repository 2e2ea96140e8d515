package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/output"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

const (
	shaLogin  = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"
	shaPay    = "aa11bb22cc33dd44ee55ff6600112233445566778899aabbccddeeff00112233"
	shaNotify = "5d41402abc4b2a76b9719d911017c592a1b2c3d4e5f60718293a4b5c6d7e8f90"
)

var fixedNow = time.Date(2024, 5, 1, 12, 34, 56, 0, time.UTC)

func testMeta() Meta {
	return Meta{
		Workflow: "Deploy cloud functions",
		Job:      "deploy",
		RunURL:   "https://github.com/octo/mini/actions/runs/42",
		Repo:     "octo/mini",
		Commit:   "ec26c3e57ca3a959ca5aad62de7213c562f8c821",
		Event:    "pull_request",
		Now:      fixedNow,
	}
}

// mixedRun has every kind of row the renderers treat differently: success
// with and without a smoke test, a vendor error, a rolled-back smoke test
// failure with a multi-line response, and text that would break markdown.
func mixedRun() *result.Run {
	return &result.Run{
		Command: "deploy",
		Results: []result.Result{
			{Function: "login", Env: "dev-1a2b", Action: result.Updated, SHA256: shaLogin, Size: 2345,
				Invoke: &result.Invoke{OK: true, RespData: `{"ok":true}`, MS: 123}, MS: 1530},
			{Function: "login", Env: "prod-3gewtf9c10f60c76", Action: result.Failed, Errcode: 85088,
				Error:  `env "prod-3gewtf9c10f60c76" has no cloud development | check envs <!-- x -->`,
				SHA256: shaLogin, Size: 2345, MS: 412},
			{Function: "pay", Env: "dev-1a2b", Action: result.RolledBack, SHA256: shaPay, Size: 1_572_864,
				Invoke: &result.Invoke{OK: false, Error: "resp_data holds an error: TypeError: cannot read properties of undefined (reading 'id')",
					RespData: "{\"errorCode\":-1,\"errorMessage\":\"TypeError: x\",\n\"stack\":\"at main (index.js:3)\\n```\"}", MS: 88},
				Detail: "previous code restored", MS: 65_000, PreviousSHA256: shaLogin},
			{Function: "pay", Env: "prod-3gewtf9c10f60c76", Action: result.Unchanged, SHA256: shaPay,
				Detail: "checksum matches", MS: 95},
			{Function: "notify_user", Env: "dev-1a2b", Action: result.Created, SHA256: shaNotify, Size: 512},
		},
		Packages: map[string]result.Package{
			"login":       {SHA256: shaLogin, Size: 2345, Files: 3},
			"pay":         {SHA256: shaPay, Size: 1_572_864, Files: 40},
			"notify_user": {SHA256: shaNotify, Size: 512, Files: 2},
		},
		PackageOrder: []string{"pay", "login", "notify_user"},
		Warnings: []string{
			`base64 body of "pay" is 2,097,152 characters`,
			"env \"dev-1a2b\": checksum differs from the local zip;\ncompared file contents instead",
		},
	}
}

func plannedRun() *result.Run {
	return &result.Run{
		Command: "deploy",
		Results: []result.Result{
			{Function: "login", Env: "dev-1a2b", Action: result.Planned, SHA256: shaLogin, Detail: "planned: update"},
			{Function: "login", Env: "prod-2", Action: result.Planned, SHA256: shaLogin, Detail: "planned: create"},
		},
		Packages:     map[string]result.Package{"login": {SHA256: shaLogin, Size: 2345, Files: 3}},
		PackageOrder: []string{"login"},
	}
}

func interruptedRun() *result.Run {
	return &result.Run{
		Command: "deploy",
		Results: []result.Result{
			{Function: "login", Env: "dev-1a2b", Action: result.Updated, SHA256: shaLogin, Size: 2345, MS: 800},
		},
		Interrupted: true,
	}
}

// platformRun is one function deployed to 2,000 envs the way a third-party
// platform does: almost all updated, three failing the same way (the
// vendor's message names the env) and two smoke tests failing differently.
func platformRun() *result.Run {
	run := &result.Run{Command: "deploy", Provider: "wechat",
		Packages:     map[string]result.Package{"login": {SHA256: shaLogin, Size: 2345, Files: 3}},
		PackageOrder: []string{"login"}}
	for i := range 2000 {
		env := fmt.Sprintf("wx%04d-env-%06x", i, i*7919)
		r := result.Result{Function: "login", Env: env, Action: result.Updated, SHA256: shaLogin, Size: 2345, MS: 900,
			Invoke: &result.Invoke{OK: true, RespData: `{"ok":true}`, MS: 40}}
		switch i {
		case 17, 900, 1999:
			r.Action, r.Errcode, r.Invoke = result.Failed, 85088, nil
			r.Error = fmt.Sprintf("env %q has no cloud development (85088): check that the Mini Program opened it", env)
		case 1200:
			r.Action, r.Detail = result.RolledBack, "restored the previous code (sha256 aa11bb22cc33)"
			r.Invoke = &result.Invoke{OK: false, MS: 3000, Error: "invoke errcode -504002: function threw",
				RespData: `{"errorMessage":"Cannot find module 'lodash'"}`}
		case 1500:
			r.Action, r.Detail = result.RolledBack, "restored the previous code (sha256 aa11bb22cc33)"
			r.Invoke = &result.Invoke{OK: false, MS: 5000, Error: "invoke timed out after 5 s"}
		}
		run.Results = append(run.Results, r)
	}
	return run
}

// tencentRun is a tencentcloud deploy: vendor codes by name, setting and
// trigger changes, and the log tail of a failed smoke test.
func tencentRun() *result.Run {
	return &result.Run{
		Command:  "deploy",
		Provider: "tencentcloud",
		Results: []result.Result{
			{Function: "api", Env: "prod-7xk2m9", Action: result.Updated, SHA256: shaLogin, Size: 40_960, MS: 4200,
				Config: []string{"timeout 3s -> 20s", "env var LOG_LEVEL set", "trigger nightly created"},
				Invoke: &result.Invoke{OK: true, RespData: `{"ok":true}`, MS: 230}},
			{Function: "api", Env: "test-9yq1", Action: result.Failed, Code: "ResourceNotFound.Namespace",
				Error: "namespace test-9yq1 does not exist: create the env in the Tencent Cloud console", SHA256: shaLogin, MS: 310},
			{Function: "worker", Env: "prod-7xk2m9", Action: result.RolledBack, SHA256: shaPay, Size: 1_048_576, MS: 9100,
				Config: []string{"memory 128MB -> 256MB"},
				Detail: "restored the previous code (sha256 0f1e2d3c4b5a)",
				Invoke: &result.Invoke{OK: false, MS: 1800, Error: "function returned an error: FunctionError: out of memory",
					RespData: `{"errorCode":-1,"errorMessage":"out of memory"}`,
					Log: "START RequestId: 6a1c\n" + strings.Repeat("loading shard\n", 30) +
						"allocating 300MB\nFATAL ERROR: Reached heap limit\nEND RequestId: 6a1c\nReport RequestId: 6a1c Duration:1800ms Memory:256MB MemUsage:255.9MB\n"}},
			{Function: "worker", Env: "test-9yq1", Action: result.Unchanged, SHA256: shaPay, Detail: "checksum matches", MS: 120},
		},
		Packages: map[string]result.Package{
			"api":    {SHA256: shaLogin, Size: 40_960, Files: 5},
			"worker": {SHA256: shaPay, Size: 1_048_576, Files: 90},
		},
		PackageOrder: []string{"api", "worker"},
	}
}

// hostileToken is what the hostile run hides in every outside string.
const hostileToken = "ghs_HOSTILE_TOKEN_9c8b7a6d5e4f"

// hostile is outside text trying everything: a workflow command on a new
// line and the legacy one mid-line, a CR, an ANSI escape, an HTML comment
// opener, closing tags, backticks and a fence, and the token.
const hostile = "x\r\n::warning::INJECTED ##[set-output name=status;]success \x1b[31m<!-- hide </details></summary> `` ``` | *b* @octo " + hostileToken

// hostileRun puts hostile text in every string that comes from outside,
// then redacts it the way the CLI does (output.Redacted) before rendering.
func hostileRun() *result.Run {
	run := &result.Run{
		Command:  "deploy",
		Provider: "tencentcloud",
		Results: []result.Result{
			{Function: "fn" + hostile, Env: "env-" + hostile, Action: result.Failed, Errcode: 85088, Code: "Code" + hostile,
				Error: "vendor said " + hostile, SHA256: shaLogin, MS: 5},
			{Function: "fn2", Env: "dev-1a2b", Action: result.RolledBack, SHA256: shaPay, Detail: "detail " + hostile,
				Invoke: &result.Invoke{OK: false, Error: "smoke " + hostile, RespData: `{"errorMessage":"` + hostile + `"}`,
					Log: "line 1\n" + hostile + "\n::error::from the log"}},
			{Function: "fn3", Env: "dev-1a2b", Action: result.Updated, SHA256: shaNotify, Detail: "updated: " + hostile,
				Config: []string{"trigger " + hostile + " created"}},
		},
		Warnings:    []string{"warning " + hostile},
		ResultsFile: "results " + hostile + ".json",
	}
	out := output.New(output.Options{Redactor: redact.New(hostileToken)})
	return out.Redacted(run)
}
