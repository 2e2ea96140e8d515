package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/deploy"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/report"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// api runs a command that talks to a vendor API (or the emulator).
func (p *program) api(ctx context.Context) int {
	var b *built
	if p.cfg.Command == config.Deploy {
		// Pack everything first: a bad package is bad input, found before any call.
		var code int
		if b, code = p.build(ctx, deploy.Slices(p.cfg)); code != ExitOK {
			return code
		}
		defer b.close()
	}
	be, stop, err := p.newBackend(ctx)
	if err != nil {
		// Nothing was sent: the backend refused its options (or the
		// embedded emulator could not start).
		return p.invalid(err)
	}
	defer stop()
	deps := deploy.Deps{Backend: be, Logf: p.out.Line, Group: p.out.Group}
	var run *result.Run
	switch p.cfg.Command {
	case config.Deploy:
		run = deploy.Deploy(ctx, p.cfg, deps, b.fns)
	case config.Create:
		run = deploy.CreateFunction(ctx, p.cfg, deps)
	case config.Invoke:
		run = deploy.Invoke(ctx, p.cfg, deps)
	case config.Download:
		run = deploy.Download(ctx, p.cfg, deps)
	}
	p.out.Line("done in %s: %s", deploy.Elapsed(p.now().Sub(p.start)), report.Counts(run))
	return p.finish(ctx, run)
}

// plan checks the inputs (the functions and envs a deploy would take) and,
// with shards, sets the matrix output.
func (p *program) plan(ctx context.Context) int {
	cfg := p.cfg
	pairs := len(cfg.Targets) * len(cfg.Envs)
	run := &result.Run{Command: "plan"}
	if cfg.Shards > 0 {
		run.Matrix = deploy.Matrix(cfg.Shards)
		for i := 1; i <= cfg.Shards; i++ {
			c := *cfg
			c.Shard = config.Shard{Index: i, Count: cfg.Shards}
			n := 0
			for _, s := range deploy.Slices(&c) {
				n += len(s.Envs)
			}
			p.out.Line("shard %d/%d: %d %s", i, cfg.Shards, n, deploy.Plural(n, "pair"))
		}
	}
	p.out.Line("plan: %d %s × %d %s = %d %s", len(cfg.Targets), deploy.Plural(len(cfg.Targets), "function"), len(cfg.Envs), deploy.Plural(len(cfg.Envs), "env"), pairs, deploy.Plural(pairs, "pair"))
	if run.Matrix != "" {
		p.out.Line("matrix: %s", run.Matrix)
	}
	return p.finish(ctx, run)
}

// maxResultsFile bounds one shard's results file: 3,000 pairs with long
// errors are a few megabytes.
const maxResultsFile = 64 << 20

// merge reads the shards' results files and reports them as one run.
func (p *program) merge(ctx context.Context) int {
	files, err := p.resultsFiles()
	if err != nil {
		return p.invalid(err)
	}
	var runs []*result.Run
	for _, f := range files {
		data, err := readBounded(f, maxResultsFile)
		if err == nil {
			var r *result.Run
			if r, err = result.ReadFile(p.shown(f), data); err == nil {
				runs = append(runs, r)
			}
		}
		if err != nil {
			return p.invalid(&config.InputError{Input: "results-files", Msg: err.Error()})
		}
	}
	run := result.Merge(runs)
	p.out.Line("merge: %d %s, %d %s: %s", len(runs), deploy.Plural(len(runs), "results file"), len(run.Results), deploy.Plural(len(run.Results), "pair"), report.Counts(run))
	return p.finish(ctx, run)
}

// resultsFiles expands results-files under the workspace.
func (p *program) resultsFiles() ([]string, error) {
	base := p.cfg.Workspace
	if base == "" {
		base, _ = os.Getwd()
	}
	seen := map[string]bool{}
	var out []string
	for _, r := range p.cfg.ResultsFiles {
		if r.Exclude {
			continue
		}
		matches, err := doublestar.Glob(os.DirFS(base), r.Pattern, doublestar.WithFilesOnly())
		if err != nil {
			return nil, &config.InputError{Input: "results-files", Value: r.Pattern, Msg: "cannot be expanded: " + err.Error()}
		}
		for _, m := range matches {
			if excluded(p.cfg, m) || seen[m] {
				continue
			}
			seen[m] = true
			out = append(out, filepath.Join(base, filepath.FromSlash(m)))
		}
	}
	if len(out) == 0 {
		return nil, &config.InputError{Input: "results-files", Value: strings.Join(p.cfg.ResultsFiles.Strings(), "\n"),
			Msg: "matched no file under " + fmt.Sprintf("%q", base) + " (download the shards' artifacts first, e.g. actions/download-artifact with merge-multiple: true)"}
	}
	sort.Strings(out)
	return out, nil
}

func excluded(cfg *config.Config, name string) bool {
	matched, exclude := cfg.ResultsFiles.Match(name)
	return matched && exclude
}

func readBounded(name string, limit int64) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if fi.Size() > limit {
		return nil, fmt.Errorf("%s is %d bytes, more than a results file can be (%d)", name, fi.Size(), limit)
	}
	return os.ReadFile(name)
}

func (p *program) shown(name string) string {
	if p.cfg.Workspace != "" {
		if rel, err := filepath.Rel(p.cfg.Workspace, name); err == nil && !strings.HasPrefix(rel, "..") {
			return rel
		}
	}
	return name
}

// emulate serves the emulator until the process is stopped.
func (p *program) emulate(ctx context.Context) int {
	srv := emulator.New(emulator.Options{Token: p.cfg.EmulatorToken, Envs: p.cfg.Envs, Logf: p.emulatorLog})
	url, err := srv.Start(ctx, p.cfg.Listen)
	if err != nil {
		p.out.PrintErr(fmt.Sprintf("wxcloud-deploy: listen: cannot serve on %q: %v\n", p.cfg.Listen, err))
		return ExitInvalid
	}
	envs := "every well-formed env ID"
	if len(p.cfg.Envs) > 0 {
		envs = strings.Join(p.cfg.Envs, ", ")
	}
	// The emulator's credentials are printed on purpose: they exist to be
	// pasted into the tools pointed at it.
	p.out.Print(fmt.Sprintf(`API emulator listening on %s
envs: %s

WeChat API (provider wechat): --api-base-url %s
  token (any kind): %s

Tencent Cloud API (provider tencentcloud): --tencentcloud-api-url %s --region %s
  secret-id:  %s
  secret-key: %s
  keyless: ACTIONS_ID_TOKEN_REQUEST_URL=%s ACTIONS_ID_TOKEN_REQUEST_TOKEN=%s
           with --role-arn qcs::cam::uin/100000000001:roleName/deploy --oidc-provider-id github
`, url, envs, url, srv.Token(), url, srv.Region(), srv.SecretID(), srv.SecretKey(), srv.OIDCRequestURL(url), srv.OIDCRequestToken()))
	<-ctx.Done()
	return ExitOK
}
