// Package cli is the program: it reads the config from action inputs or
// flags, picks the backend, runs the command, and reports the results in the
// form the caller expects (step outputs, job summary and PR comment in
// Actions; a table or JSON in a terminal). main only wires the process to
// Main; every byte leaves through internal/output.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"
	"strings"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/output"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/report"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// version is set at release time with -ldflags "-X .../internal/cli.version=1.2.3".
var version = ""

// Exit statuses (CONTRACT.md).
const (
	ExitOK      = 0
	ExitFailed  = 1
	ExitInvalid = 2
)

// afterCancel bounds what a run still does once it was cancelled (reporting,
// the PR comment): a cancelled job gets a few seconds before it is killed.
const afterCancel = 2 * time.Second

// Main runs the program with its world passed in and returns the exit
// status: args are os.Args[1:], environ the process environment.
func Main(ctx context.Context, args []string, environ []string, stdout, stderr io.Writer) int {
	getenv := config.Getenv(environ)
	action := len(args) == 0 && actionEnv(getenv)
	p := &program{
		environ: environ, getenv: getenv, action: action, now: time.Now,
		out: output.New(output.Options{Stdout: stdout, Stderr: stderr, Getenv: getenv, Action: action, Workspace: getenv("GITHUB_WORKSPACE")}),
	}
	code := p.main(ctx, args)
	// The last lines reach the caller unless a stalled reader holds them:
	// after a cancel only briefly, so the process exits within 5 s.
	limit := output.DefaultStallTimeout
	if ctx.Err() != nil {
		limit = afterCancel
	}
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limit)
	defer cancel()
	_ = p.out.Flush(fctx)
	return code
}

type program struct {
	environ []string
	getenv  func(string) string
	action  bool
	now     func() time.Time
	out     *output.Out
	cfg     *config.Config
	start   time.Time
	// warnings found on the way (packing), reported with the run's.
	warnings []string
}

func (p *program) main(ctx context.Context, args []string) int {
	p.start = p.now()
	// Secrets are masked before the inputs are even validated: a run that
	// stops at bad input must not leave them unmasked for later steps.
	p.out.Mask(config.RawSecrets(args, p.environ)...)
	if p.action {
		for _, w := range config.UnknownInputs(p.environ) {
			p.warn(w)
		}
	}
	var err error
	switch {
	case p.action:
		p.cfg, err = config.FromAction(p.environ)
	case len(args) == 0:
		p.out.PrintErr(config.Usage())
		return ExitInvalid
	default:
		p.cfg, err = config.FromArgs(args, p.environ)
	}
	switch {
	case errors.Is(err, config.ErrHelp):
		p.out.Print(config.Usage())
		return ExitOK
	case errors.Is(err, config.ErrVersion):
		p.out.Print("wxcloud-deploy " + Version() + "\n")
		return ExitOK
	case err != nil:
		return p.invalid(err)
	}
	p.out.Mask(p.cfg.Secrets()...)
	return p.dispatch(ctx)
}

func (p *program) dispatch(ctx context.Context) int {
	switch p.cfg.Command {
	case config.Emulate:
		return p.emulate(ctx)
	case config.Pack:
		return p.pack(ctx)
	case config.Plan:
		return p.plan(ctx)
	case config.Merge:
		return p.merge(ctx)
	}
	return p.api(ctx)
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

// Version is the release version; a build from source says which commit it
// was built from (the VCS revision Go records), or the module version of a
// go install.
func Version() string {
	if version != "" {
		return version
	}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "dev"
	}
	if v := bi.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	var rev, modified string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = "+dirty"
			}
		}
	}
	if rev != "" {
		if len(rev) > 12 {
			rev = rev[:12]
		}
		return "dev (" + rev + modified + ")"
	}
	return "dev"
}

func (p *program) warn(msg string) {
	p.out.Annotate(output.Annotation{Level: "warning", Title: "wxcloud-deploy", Message: msg})
}

// invalid reports bad input: nothing has been sent to the API.
func (p *program) invalid(err error) int {
	lines := messages(err)
	if !p.action {
		for _, line := range lines {
			p.out.PrintErr("wxcloud-deploy: " + line + "\n")
		}
		p.out.PrintErr("run 'wxcloud-deploy help' for the list of flags\n")
		return ExitInvalid
	}
	file := fileOf(err)
	for _, line := range lines {
		p.out.Annotate(output.Annotation{Level: "error", Title: "wxcloud-deploy: invalid input", File: file, Message: line})
	}
	p.reportInvalid(lines)
	return ExitInvalid
}

// messages lists the errors err holds, one message each: the config's list
// of input errors and the packer's joined errors come apart, while a
// message with a line break of its own (a file name) stays one message.
func messages(err error) []string {
	if multi, ok := err.(interface{ Unwrap() []error }); ok {
		var out []string
		for _, e := range multi.Unwrap() {
			out = append(out, messages(e)...)
		}
		return out
	}
	if w, ok := err.(interface{ Unwrap() error }); ok && len(messages(w.Unwrap())) > 1 {
		// A wrapper around several: keep its prefix on the first.
		inner := messages(w.Unwrap())
		prefix := strings.TrimSuffix(err.Error(), w.Unwrap().Error())
		inner[0] = prefix + inner[0]
		return inner
	}
	return []string{err.Error()}
}

// finish reports the run and turns it into the exit status.
func (p *program) finish(ctx context.Context, run *result.Run) int {
	var warnings []string
	if p.cfg != nil {
		warnings = append(warnings, p.cfg.Warnings...)
	}
	run.Warnings = append(append(warnings, p.warnings...), run.Warnings...)
	if ctx.Err() != nil {
		run.Interrupted = true
		run.Warnings = append(run.Warnings, "the run was cancelled (SIGINT/SIGTERM): the results show what was known when it stopped")
	}
	p.writeResultsFile(run)
	red := p.out.Redacted(run)
	if p.action {
		p.reportAction(ctx, red)
	} else {
		p.reportCLI(red)
	}
	if run.OK() {
		return ExitOK
	}
	return ExitFailed
}

// writeResultsFile writes results-file (for upload-artifact and merge).
func (p *program) writeResultsFile(run *result.Run) {
	if p.cfg == nil || p.cfg.ResultsFile == "" {
		return
	}
	data, err := run.Marshal()
	if err == nil {
		err = p.out.WriteFile(p.cfg.ResultsFile, data)
	}
	if err != nil {
		run.Problems = append(run.Problems, fmt.Sprintf("results-file: %v (a merge of the shards will miss this one)", err))
		return
	}
	run.ResultsFile = p.cfg.ResultsFile
	p.out.Line("results written to %s", p.cfg.ResultsFile)
}

func (p *program) reportCLI(run *result.Run) {
	if len(run.Results) > 0 {
		p.out.PrintErr(report.Table(run))
	}
	for _, w := range run.Warnings {
		p.out.Annotate(output.Annotation{Level: "warning", Message: w})
	}
	if p.cfg != nil && p.cfg.JSON {
		results := run.Results
		if results == nil {
			results = []result.Result{}
		}
		if err := p.out.JSON(results); err != nil {
			p.out.PrintErr("wxcloud-deploy: --json: " + err.Error() + "\n")
		}
	}
}
