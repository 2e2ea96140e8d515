package deploy

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/safefile"
)

// perEnv runs fn for every env of cfg, EnvFanout at a time, and collects the
// results in env order; fn fills in everything but the function and env.
func perEnv(ctx context.Context, cfg *config.Config, deps *Deps, command string, fn func(env string, r *result.Result)) *result.Run {
	deps.fill()
	out := &result.Run{Command: command, Provider: deps.Backend.Name(), Results: make([]result.Result, len(cfg.Envs))}
	name := cfg.FunctionName()
	ForEach(len(cfg.Envs), deps.EnvFanout, func(i int) {
		env := cfg.Envs[i]
		start := deps.Now()
		r := result.Result{Function: name, Env: env}
		if ctx.Err() != nil {
			r.Action, r.Error = result.Failed, "interrupted before this env was asked; nothing was sent"
		} else {
			fn(env, &r)
		}
		r.MS = deps.Now().Sub(start).Milliseconds()
		out.Results[i] = r
	})
	out.Interrupted = ctx.Err() != nil
	return out
}

func failResult(r *result.Result, err error) {
	r.Action = result.Failed
	r.Error = errText(err)
	r.Errcode, r.Code = backend.CodeOf(err)
}

// CreateFunction creates an empty function in every env (the create
// command).
func CreateFunction(ctx context.Context, cfg *config.Config, deps Deps) *result.Run {
	return perEnv(ctx, cfg, &deps, "create", func(env string, r *result.Result) {
		if cfg.DryRun {
			r.Action, r.Detail = result.Planned, "would create an empty function"
			return
		}
		if err := deps.Backend.CreateEmpty(ctx, r.Function, env); err != nil {
			failResult(r, err)
			return
		}
		r.Action = result.Created
		deps.Logf("%s@%s: created (empty function)", r.Function, env)
	})
}

// Invoke runs the function in every env once and checks invoke-expect (the
// invoke command). It does not wait for readiness: nothing was just deployed.
func Invoke(ctx context.Context, cfg *config.Config, deps Deps) *result.Run {
	deps.fill()
	rn := &run{cfg: cfg, deps: &deps, be: deps.Backend}
	return perEnv(ctx, cfg, &deps, "invoke", func(env string, r *result.Result) {
		inv := rn.invokeUntilReady(ctx, backend.InvokeRequest{Function: r.Function, Env: env, Event: cfg.InvokeData}, 0)
		r.Invoke = inv
		if inv.OK {
			r.Action = result.Invoked
			return
		}
		r.Action, r.Error = result.Failed, "invoke failed: "+inv.Error
	})
}

// Download fetches the deployed code from every env, checks it against the
// vendor's checksum and writes it to cfg.Output (the download command). With
// several envs the env ID goes into each file name: out.zip becomes
// out.dev-1.zip.
func Download(ctx context.Context, cfg *config.Config, deps Deps) *result.Run {
	deps.fill()
	return perEnv(ctx, cfg, &deps, "download", func(env string, r *result.Result) {
		d, err := deps.Backend.Probe(ctx, r.Function, env)
		switch {
		case err != nil:
			failResult(r, err)
			return
		case d.Exists == backend.Missing:
			r.Action, r.Error = result.Failed, fmt.Sprintf("function %q does not exist in env %q", r.Function, env)
			return
		case d.CodeURL == "":
			r.Action, r.Error = result.Failed, "the vendor gave no address for the deployed code"
			return
		}
		out := outputName(cfg.Output, env, len(cfg.Envs))
		var n int64
		h := sha256.New()
		err = safefile.Write(out, cfg.Workspace, func(w io.Writer) error {
			var ferr error
			n, ferr = deps.Backend.FetchCode(ctx, d, io.MultiWriter(w, h), deps.MaxBackup)
			return ferr
		})
		if err != nil {
			failResult(r, err)
			return
		}
		got := hex.EncodeToString(h.Sum(nil))
		r.Action, r.SHA256, r.Size = result.Downloaded, got, n
		r.Detail = "written to " + out
		if !strings.EqualFold(got, d.SHA256) {
			// API-NOTES: the checksum may not be over the zip as uploaded,
			// so a mismatch is reported, not fatal.
			r.Detail += fmt.Sprintf("; warning: its SHA-256 %s differs from the vendor's checksum %s", short(got), short(d.SHA256))
		}
	})
}

func outputName(out, env string, envs int) string {
	if out == "" || envs <= 1 {
		return out
	}
	ext := filepath.Ext(out)
	return strings.TrimSuffix(out, ext) + "." + env + ext
}
