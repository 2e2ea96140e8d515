package report

import (
	"fmt"
	"strings"
	"time"

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

// bigRun is 150 functions x 3 envs. failing makes every pair fail its smoke
// test with a long reason and response, the worst case for the comment size.
func bigRun(failing bool) *result.Run {
	run := &result.Run{Command: "deploy", Packages: map[string]result.Package{}}
	envs := []string{"dev-1a2b3c4d5e6f7a8b", "test-9f8e7d6c5b4a3", "prod-3gewtf9c10f60c76"}
	for i := range 150 {
		fn := fmt.Sprintf("function-number-%03d", i)
		run.PackageOrder = append(run.PackageOrder, fn)
		run.Packages[fn] = result.Package{SHA256: shaLogin, Size: 123_456, Files: 12}
		for _, env := range envs {
			r := result.Result{Function: fn, Env: env, Action: result.Updated, SHA256: shaLogin,
				Size: 123_456, MS: 2345, Invoke: &result.Invoke{OK: true, RespData: `{"ok":true}`, MS: 456}}
			if failing {
				r.Action = result.RolledBack
				r.Invoke = &result.Invoke{OK: false, MS: 5000,
					Error:    "invoke errcode -504002: " + strings.Repeat("function threw an error ", 20),
					RespData: strings.Repeat(`{"errorMessage":"boom"}`, 400)}
			}
			run.Results = append(run.Results, r)
		}
	}
	return run
}
