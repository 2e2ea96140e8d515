// Package cli is the program: it reads the config from action inputs or flags,
// runs the command, and reports the results in the form the caller expects
// (step outputs, job summary and PR comment in Actions; a table or JSON in a
// terminal). main only wires the process to Main.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/deploy"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/pack"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/report"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/wxcloud"
)

// version is set at release time with -ldflags "-X .../internal/cli.version=v1.2.3".
var version = ""

// Exit statuses (CONTRACT.md).
const (
	ExitOK      = 0
	ExitFailed  = 1
	ExitInvalid = 2
)

// Main runs the program with its world passed in and returns the exit status.
func Main(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	p := &program{getenv: getenv, stdout: stdout, stderr: stderr, now: time.Now}
	return p.main(ctx, args)
}

type program struct {
	getenv         func(string) string
	stdout, stderr io.Writer
	now            func() time.Time

	cfg        *config.Config
	actionMode bool
	gh         *report.GitHub
	redactor   *redact.Redactor
	maskMu     sync.Mutex      // token sources call protect from many goroutines
	masked     map[string]bool // secrets already protected
	logMu      sync.Mutex
}

func (p *program) main(ctx context.Context, args []string) int {
	p.actionMode = len(args) == 0 && actionEnv(p.getenv)
	p.redactor = redact.New()
	if p.actionMode {
		p.gh = report.NewGitHub(p.getenv, p.stdout)
	}
	// Secrets are masked before the inputs are even validated: a run that
	// stops at bad input must not leave them unmasked for later steps.
	p.protect(config.RawSecrets(args, p.getenv))
	var err error
	switch {
	case p.actionMode:
		p.cfg, err = config.FromAction(p.getenv)
	case len(args) == 0:
		fmt.Fprint(p.stderr, config.Usage())
		return ExitInvalid
	default:
		p.cfg, err = config.FromArgs(args, p.getenv)
	}
	switch {
	case errors.Is(err, config.ErrHelp):
		fmt.Fprint(p.stdout, config.Usage())
		return ExitOK
	case errors.Is(err, config.ErrVersion):
		fmt.Fprintln(p.stdout, "wxcloud-deploy", Version())
		return ExitOK
	}
	if p.cfg != nil {
		p.protect(p.cfg.Secrets())
	}
	if err != nil {
		return p.invalid(err)
	}

	switch p.cfg.Command {
	case "emulate":
		return p.emulate(ctx)
	case "pack":
		return p.pack(ctx)
	}
	return p.api(ctx)
}

// protect redacts secrets from everything printed and, in Actions, masks each
// one once.
func (p *program) protect(secrets []string) {
	p.maskMu.Lock()
	defer p.maskMu.Unlock()
	for _, sec := range secrets {
		if sec == "" || p.masked[sec] {
			continue
		}
		if p.masked == nil {
			p.masked = map[string]bool{}
		}
		p.masked[sec] = true
		p.redactor.Add(sec)
		if p.gh != nil {
			p.gh.Mask(sec)
		}
	}
}

// actionEnv reports whether the process runs as a GitHub Action: inside
// Actions, or under a runner that only sets inputs and the output file (other
// Actions-compatible runners, tests of the contract).
func actionEnv(getenv func(string) string) bool {
	for _, k := range []string{"GITHUB_OUTPUT", "INPUT_COMMAND", "INPUT_FUNCTION-NAME", "INPUT_FUNCTIONS", "INPUT_ENVS"} {
		if getenv(k) != "" {
			return true
		}
	}
	return getenv("GITHUB_ACTIONS") == "true"
}

// Version is the release version, or the module version when built with go install.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "dev"
}

// invalid reports bad input: nothing has been sent to the API.
func (p *program) invalid(err error) int {
	msg := p.redactor.String(err.Error())
	if p.gh != nil {
		for _, line := range strings.Split(msg, "\n") {
			p.gh.Annotate(report.Annotation{Level: "error", Title: "wxcloud-deploy: invalid input", File: fileOf(err), Message: line})
		}
		// Every output is set, as after a run with no pair: steps that read
		// fromJSON(steps.x.outputs.results) under if: always() still work.
		outs := report.Outputs(&result.Run{})
		for i := range outs {
			if outs[i].Name == "status" {
				outs[i].Value = "failure"
			}
		}
		if oerr := p.gh.SetOutputs(outs); oerr != nil {
			fmt.Fprintln(p.stderr, "wxcloud-deploy:", oerr)
		}
	} else {
		fmt.Fprintln(p.stderr, "wxcloud-deploy:", msg)
		fmt.Fprintln(p.stderr, "run 'wxcloud-deploy help' for the list of flags")
	}
	return ExitInvalid
}

// fileOf names the file a packaging error is about, for the annotation.
func fileOf(err error) string {
	var le *pack.LayoutError
	if errors.As(err, &le) {
		return le.File
	}
	var se *pack.SizeError
	if errors.As(err, &se) && len(se.Largest) > 0 {
		return joinPath(se.Root, se.Largest[0].Name)
	}
	return ""
}

func joinPath(root, name string) string {
	if root == "" || root == "." {
		return name
	}
	return strings.TrimSuffix(root, "/") + "/" + name
}

// logf prints progress: to stdout in Actions (the step log), stderr in a terminal.
func (p *program) logf(format string, args ...any) {
	line := p.redactor.String(fmt.Sprintf(format, args...))
	p.logMu.Lock()
	defer p.logMu.Unlock()
	w := p.stderr
	if p.actionMode {
		w = p.stdout
	}
	fmt.Fprintln(w, line)
}

func (p *program) emulate(ctx context.Context) int {
	srv := emulator.New(emulator.Options{Token: p.cfg.EmulatorToken, Envs: p.cfg.Envs, Logf: p.logf})
	url, err := srv.Start(ctx, p.cfg.Listen)
	if err != nil {
		fmt.Fprintf(p.stderr, "wxcloud-deploy: listen: cannot serve on %q: %v\n", p.cfg.Listen, err)
		return ExitInvalid
	}
	fmt.Fprintf(p.stdout, "WeChat API emulator listening on %s\naccess token: %s\n", url, srv.Token())
	if len(p.cfg.Envs) > 0 {
		fmt.Fprintf(p.stdout, "envs with cloud development: %s\n", strings.Join(p.cfg.Envs, ", "))
	} else {
		fmt.Fprintln(p.stdout, "envs with cloud development: every well-formed env ID")
	}
	<-ctx.Done()
	return ExitOK
}

func (p *program) pack(ctx context.Context) int {
	built, code := p.build(ctx)
	if code != ExitOK {
		return code
	}
	run := deploy.NewRun("pack", built)
	for _, b := range built {
		if out := p.cfg.OutputAbs; out != "" {
			if len(built) > 1 {
				// Several functions: output names a directory, one zip each.
				out = filepath.Join(out, b.Name+".zip")
				if err := os.MkdirAll(p.cfg.OutputAbs, 0o755); err != nil {
					fmt.Fprintf(p.stderr, "wxcloud-deploy: output: %v\n", err)
					return ExitFailed
				}
			}
			if err := os.WriteFile(out, b.Pkg.Zip, 0o644); err != nil {
				fmt.Fprintf(p.stderr, "wxcloud-deploy: output: cannot write %q: %v\n", out, err)
				return ExitFailed
			}
			p.logf("%s: wrote %s", b.Name, out)
		}
		fmt.Fprintf(p.stderr, "%s: sha256 %s, %d bytes (%s), %d files\n", b.Name, b.Pkg.SHA256, b.Pkg.Size(), pack.HumanSize(b.Pkg.Size()), len(b.Pkg.Files))
	}
	return p.finish(ctx, run)
}

// build resolves the functions and packs them all. A bad package is invalid
// input (exit 2); a cancel while packing is a failed run (exit 1). Either
// way nothing has been sent to the API.
func (p *program) build(ctx context.Context) ([]deploy.Built, int) {
	targets, err := deploy.Targets(p.cfg)
	if err != nil {
		return nil, p.invalid(err)
	}
	built, err := deploy.Pack(ctx, p.cfg, targets)
	switch {
	case err != nil && ctx.Err() != nil:
		fmt.Fprintln(p.stderr, "wxcloud-deploy: interrupted while packing; nothing was sent")
		return nil, ExitFailed
	case err != nil:
		return nil, p.invalid(err)
	}
	return built, ExitOK
}

// api runs a command that talks to WeChat's API (or the emulator).
func (p *program) api(ctx context.Context) int {
	var built []deploy.Built
	if p.cfg.Command == "deploy" {
		// Pack everything first: a bad package is bad input, found before any call.
		var code int
		if built, code = p.build(ctx); code != ExitOK {
			return code
		}
	}

	client, stop, err := p.client(ctx)
	if err != nil {
		fmt.Fprintln(p.stderr, "wxcloud-deploy:", p.redactor.String(err.Error()))
		return ExitFailed
	}
	defer stop()
	deps := deploy.Deps{Client: client, Logf: p.logf}

	var run *result.Run
	switch p.cfg.Command {
	case "deploy":
		run = deploy.Deploy(ctx, p.cfg, deps, built)
	case "create":
		run = deploy.CreateFunction(ctx, p.cfg, deps)
	case "invoke":
		run = deploy.Invoke(ctx, p.cfg, deps)
	case "download":
		run = deploy.Download(ctx, p.cfg, deps)
	default:
		return p.invalid(&config.InputError{Input: "command", Value: p.cfg.Command, Msg: "is not a command"})
	}
	return p.finish(ctx, run)
}

// client builds the API client, starting the embedded emulator first when asked.
func (p *program) client(ctx context.Context) (*wxcloud.Client, func(), error) {
	stop := func() {}
	base := p.cfg.APIBaseURL
	cfg := p.cfg
	var access, component wxcloud.TokenSource
	if cfg.Emulator {
		ectx, cancel := context.WithCancel(ctx)
		srv := emulator.New(emulator.Options{Token: cfg.AccessToken})
		url, err := srv.Start(ectx, "127.0.0.1:0")
		if err != nil {
			cancel()
			return nil, nil, fmt.Errorf("emulator: %w", err)
		}
		stop = cancel
		base = url
		p.logf("using the embedded WeChat API emulator at %s", url)
		if cfg.AccessToken == "" && cfg.AppID == "" && cfg.ComponentAccessToken == "" {
			access = wxcloud.StaticToken(srv.Token())
		}
	}
	hc := &http.Client{}
	client := wxcloud.NewClient(hc,
		wxcloud.WithBaseURL(base),
		wxcloud.WithRetries(cfg.Retries),
		wxcloud.WithTimeout(cfg.Timeout),
		wxcloud.WithRedactor(p.redactor),
		wxcloud.WithLogf(p.logf),
	)
	switch {
	case access != nil:
	case cfg.AccessToken != "":
		access = wxcloud.StaticToken(cfg.AccessToken)
	case cfg.AppID != "":
		access = p.maskFetched(wxcloud.StableToken(client, cfg.AppID, cfg.AppSecret))
	}
	switch {
	case cfg.ComponentAccessToken != "":
		component = wxcloud.StaticToken(cfg.ComponentAccessToken)
	case cfg.ComponentAppID != "":
		component = p.maskFetched(wxcloud.ComponentToken(client, cfg.ComponentAppID, cfg.ComponentAppSecret, cfg.ComponentVerifyTicket))
	}
	wxcloud.WithTokens(access, component)(client)
	return client, stop, nil
}

// maskFetched masks every token a source fetches in the Actions log, before
// anything could print it.
func (p *program) maskFetched(src wxcloud.TokenSource) wxcloud.TokenSource {
	return maskingSource{src: src, mask: func(tok string) { p.protect([]string{tok}) }}
}

type maskingSource struct {
	src  wxcloud.TokenSource
	mask func(string)
}

func (m maskingSource) Token(ctx context.Context) (string, error) {
	t, err := m.src.Token(ctx)
	if t != "" {
		m.mask(t)
	}
	return t, err
}

func (m maskingSource) Refresh(ctx context.Context) (string, error) {
	t, err := m.src.Refresh(ctx)
	if t != "" {
		m.mask(t)
	}
	return t, err
}

// finish reports the run and turns it into the exit status.
func (p *program) finish(ctx context.Context, run *result.Run) int {
	run.Warnings = append(append([]string(nil), p.cfg.Warnings...), run.Warnings...)
	if ctx.Err() != nil {
		run.Interrupted = true
		run.Warnings = append(run.Warnings, "the run was cancelled (SIGINT/SIGTERM): the results show what was known when it stopped")
	}
	for i := range run.Results {
		run.Results[i].Error = p.redactor.String(run.Results[i].Error)
	}
	for i := range run.Warnings {
		run.Warnings[i] = p.redactor.String(run.Warnings[i])
	}
	if p.actionMode {
		p.reportAction(run)
	} else {
		p.reportCLI(run)
	}
	if run.OK() {
		return ExitOK
	}
	return ExitFailed
}

func (p *program) reportCLI(run *result.Run) {
	if len(run.Results) > 0 {
		fmt.Fprint(p.stderr, p.redactor.String(report.Table(run)))
	}
	// The table has no room for reasons: give each failed pair its own line.
	for _, r := range run.Results {
		if !r.Action.OK() && r.Error != "" {
			fmt.Fprintf(p.stderr, "%s@%s: %s\n", r.Function, r.Env, r.Error)
		}
	}
	for _, w := range run.Warnings {
		fmt.Fprintln(p.stderr, "warning:", w)
	}
	if p.cfg.JSON {
		results := run.Results
		if results == nil {
			results = []result.Result{}
		}
		enc := json.NewEncoder(p.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(results); err != nil {
			fmt.Fprintln(p.stderr, "wxcloud-deploy:", err)
		}
	}
}
