package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/deploy"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/pack"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/safefile"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/size"
)

// built is the packed functions of a run; close removes their temp files.
type built struct {
	fns  []deploy.Function
	pkgs []*pack.Package
}

func (b *built) close() {
	for _, p := range b.pkgs {
		if p != nil { // a function that failed to pack has none
			p.Close()
		}
	}
}

// build packs the functions this run deploys (a shard packs only its own).
// A bad package is invalid input (exit 2); a cancel while packing is a
// failed run (exit 1). Either way nothing has been sent to the API.
func (p *program) build(ctx context.Context, slices []deploy.Slice) (*built, int) {
	cfg := p.cfg
	end := p.out.Group(fmt.Sprintf("pack: %d %s", len(slices), deploy.Plural(len(slices), "function")))
	defer end()
	start := p.now()
	b := &built{fns: make([]deploy.Function, len(slices)), pkgs: make([]*pack.Package, len(slices))}
	errs := make([]error, len(slices))
	forEach(len(slices), cfg.Concurrency, func(i int) {
		t := cfg.Targets[slices[i].Target]
		// Read from Dir: Shown is relative to the workspace, which need not
		// be the working directory (--workspace, GITHUB_WORKSPACE); messages
		// name Shown.
		pkg, err := pack.Build(ctx, pack.Options{Root: t.Dir, Shown: t.Shown, Files: cfg.Files, Entry: cfg.Entry, SizeLimit: cfg.SizeLimit})
		if err != nil {
			errs[i] = fmt.Errorf("function %q: %w", t.Name, err)
			return
		}
		b.pkgs[i] = pkg
		b.fns[i] = deploy.Function{Name: t.Name, Zip: backend.Zip{R: pkg, Size: pkg.Size(), SHA256: pkg.SHA256},
			Files: len(pkg.Files), Settings: t.Settings, Envs: slices[i].Envs}
	})
	if err := errors.Join(errs...); err != nil {
		b.close()
		if ctx.Err() != nil {
			p.out.PrintErr("wxcloud-deploy: interrupted while packing; nothing was sent\n")
			return nil, ExitFailed
		}
		return nil, p.invalid(err)
	}
	var largest int64
	for i, f := range b.fns {
		if len(b.fns) <= 20 {
			p.out.Line("%s: %s, %d %s, sha256 %s (%s)", f.Name, size.Format(f.Zip.Size), f.Files, deploy.Plural(f.Files, "file"), f.Zip.SHA256[:12], cfg.Targets[slices[i].Target].Shown)
		}
		largest = max(largest, f.Zip.Size)
	}
	p.out.Line("pack: %d %s in %s", len(b.fns), deploy.Plural(len(b.fns), "function"), deploy.Elapsed(p.now().Sub(start)))
	if w := pack.Base64Warning(largest); w != "" {
		p.warnings = append(p.warnings, w)
	}
	return b, ExitOK
}

// pack is the pack command: the zips, written to output when asked.
func (p *program) pack(ctx context.Context) int {
	b, code := p.build(ctx, everyTarget(p.cfg))
	if code != ExitOK {
		return code
	}
	defer b.close()
	run := deploy.NewRun("pack", b.fns)
	for i, f := range b.fns {
		if err := p.writeZip(f.Name, b.pkgs[i], len(b.fns)); err != nil {
			run.Problems = append(run.Problems, err.Error())
		}
	}
	for _, f := range b.fns {
		run.Results = append(run.Results, result.Result{Function: f.Name, Action: result.Packed, SHA256: f.Zip.SHA256, Size: f.Zip.Size})
	}
	return p.finish(ctx, run)
}

// everyTarget is one slice per function: pack builds every function, and
// needs no envs (deploy.Slices pairs functions with envs, so without envs it
// has nothing to pack).
func everyTarget(cfg *config.Config) []deploy.Slice {
	out := make([]deploy.Slice, len(cfg.Targets))
	for i := range out {
		out[i] = deploy.Slice{Target: i}
	}
	return out
}

// writeZip writes one zip to output: the file itself, or with several
// functions a file per function inside output as a folder.
func (p *program) writeZip(name string, pkg *pack.Package, n int) error {
	out := p.cfg.Output
	if out == "" {
		return nil
	}
	if n > 1 || strings.HasSuffix(out, string(filepath.Separator)) {
		out = filepath.Join(out, name+".zip")
	}
	err := safefile.Write(out, p.cfg.Workspace, func(w io.Writer) error {
		_, err := pkg.WriteTo(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("output: %v", err)
	}
	p.out.Line("%s: wrote %s", name, out)
	return nil
}

// forEach is the fan-out the CLI shares with deploy: f(0..n-1), at most
// limit at once.
func forEach(n, limit int, f func(i int)) { deploy.ForEach(n, limit, f) }
