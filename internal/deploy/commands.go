package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/wxcloud"
)

// perEnv runs fn for every env of cfg at once and collects the results in
// env order; fn fills in everything but the function and env names.
func perEnv(ctx context.Context, cfg *config.Config, deps Deps, command string, fn func(env string, r *result.Result)) *result.Run {
	deps.fill()
	run := &result.Run{Command: command, Results: make([]result.Result, len(cfg.Envs))}
	var wg sync.WaitGroup
	for i, env := range cfg.Envs {
		wg.Add(1)
		go func(i int, env string) {
			defer wg.Done()
			start := deps.Now()
			r := result.Result{Function: cfg.FunctionName, Env: env}
			fn(env, &r)
			r.MS = deps.Now().Sub(start).Milliseconds()
			run.Results[i] = r
		}(i, env)
	}
	wg.Wait()
	run.Interrupted = ctx.Err() != nil
	return run
}

func failResult(r *result.Result, err error) {
	r.Action = result.Failed
	r.Errcode, r.Error = errText(err)
}

// CreateFunction calls createfunction in every env (the `create` command).
func CreateFunction(ctx context.Context, cfg *config.Config, deps Deps) *result.Run {
	return perEnv(ctx, cfg, deps, "create", func(env string, r *result.Result) {
		if cfg.DryRun {
			r.Action, r.Detail = result.Planned, "would call createfunction"
			return
		}
		if err := deps.Client.CreateFunction(ctx, env, cfg.FunctionName); err != nil {
			failResult(r, err)
			return
		}
		r.Action = result.Created
		deps.Logf("%s@%s: created (empty function)", cfg.FunctionName, env)
	})
}

// Invoke runs the function in every env once and checks invoke-expect (the
// `invoke` command). It does not wait for readiness: nothing was just deployed.
func Invoke(ctx context.Context, cfg *config.Config, deps Deps) *result.Run {
	deps.fill()
	deps.ReadyWait = 1 // one attempt: invokeUntilReady sleeps only within ReadyWait
	return perEnv(ctx, cfg, deps, "invoke", func(env string, r *result.Result) {
		inv := invokeUntilReady(ctx, &deps, wxcloud.InvokeRequest{
			Env: env, Name: cfg.FunctionName, Data: cfg.InvokeData,
			Batch: batchMode(cfg),
		}, cfg.InvokeExpect)
		r.Invoke = inv
		if inv.OK {
			r.Action = result.Invoked
			return
		}
		r.Action, r.Error = result.Failed, "invoke failed: "+inv.Error
	})
}

// Download fetches the deployed code from every env, verifies it against the
// checksum and writes it to cfg.Output (the `download` command). With several
// envs the env ID goes into each file name: out.zip becomes out.dev-1.zip.
func Download(ctx context.Context, cfg *config.Config, deps Deps) *result.Run {
	deps.fill()
	return perEnv(ctx, cfg, deps, "download", func(env string, r *result.Result) {
		dl, err := deps.Client.Download(ctx, env, cfg.FunctionName)
		if err != nil {
			failResult(r, err)
			return
		}
		code, err := deps.Client.FetchCode(ctx, dl.URL, deps.MaxBackup)
		if err != nil {
			failResult(r, err)
			return
		}
		sum := sha256.Sum256(code)
		got := hex.EncodeToString(sum[:])
		r.SHA256, r.Size = got, int64(len(code))
		if !strings.EqualFold(got, dl.Checksum) {
			// API-NOTES: the checksum may not be over the zip as uploaded, so
			// a mismatch is reported, not fatal.
			r.Detail = fmt.Sprintf("warning: SHA-256 %s of the downloaded zip differs from the API's checksum %s", short(got), short(dl.Checksum))
		}
		out := outputName(cfg.OutputAbs, env, len(cfg.Envs))
		if out == "" {
			r.Action = result.Downloaded
			return
		}
		if err := os.WriteFile(out, code, 0o644); err != nil {
			failResult(r, fmt.Errorf("output: cannot write %q: %w", out, err))
			return
		}
		r.Action = result.Downloaded
		r.Detail = joinNonEmpty("; ", "written to "+out, r.Detail)
	})
}

func outputName(out, env string, envs int) string {
	if out == "" || envs <= 1 {
		return out
	}
	ext := filepath.Ext(out)
	return strings.TrimSuffix(out, ext) + "." + env + ext
}
