package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/ghcomment"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/pack"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/report"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// reportAction writes the step outputs, the job summary, annotations and the
// sticky PR comment. A failure to report is a warning: it never changes what
// the deploy did.
func (p *program) reportAction(ctx context.Context, run *result.Run) {
	end := p.out.Group("report")
	defer end()
	p.out.Print(report.Table(run))
	if err := p.out.SetOutputs(report.Outputs(run)); err != nil {
		p.warn("outputs: " + err.Error())
	}
	for _, a := range report.Annotations(run) {
		p.out.Annotate(a)
	}
	for _, w := range run.Warnings {
		p.warn(w)
	}
	ev, evErr := ghcomment.LoadEvent(p.getenv)
	meta := p.meta(ev)
	if p.cfg.Summary {
		if err := p.out.Summary(report.Summary(run, meta)); err != nil {
			p.warn("summary: " + err.Error())
		}
	}
	p.comment(ctx, run, meta, ev, evErr)
}

// reportInvalid: invalid input still sets every output and writes a job
// summary saying nothing was sent.
func (p *program) reportInvalid(errs []string) {
	if err := p.out.SetOutputs(report.InvalidOutputs()); err != nil {
		p.warn("outputs: " + err.Error())
	}
	ev, _ := ghcomment.LoadEvent(p.getenv)
	if err := p.out.Summary(report.InvalidSummary(errs, p.meta(ev))); err != nil {
		p.warn("summary: " + err.Error())
	}
}

// fileOf names the file a packaging error is about, for the annotation.
func fileOf(err error) string {
	var le *pack.LayoutError
	if errors.As(err, &le) {
		return le.File
	}
	var se *pack.SizeError
	if errors.As(err, &se) && len(se.Largest) > 0 {
		return strings.TrimSuffix(se.Root, "/") + "/" + se.Largest[0].Name
	}
	return ""
}

// meta describes the run; on pull_request events the commit is the PR head,
// not the merge commit GITHUB_SHA names, so summary and comment agree.
func (p *program) meta(ev *ghcomment.Event) report.Meta {
	g := p.getenv
	m := report.Meta{
		Title:    "wxcloud-deploy",
		Workflow: g("GITHUB_WORKFLOW"),
		Job:      g("GITHUB_JOB"),
		Repo:     g("GITHUB_REPOSITORY"),
		Commit:   g("GITHUB_SHA"),
		Event:    g("GITHUB_EVENT_NAME"),
		Now:      p.now(),
	}
	if p.cfg != nil {
		m.DryRun = p.cfg.DryRun
	}
	if server, repo, id := g("GITHUB_SERVER_URL"), g("GITHUB_REPOSITORY"), g("GITHUB_RUN_ID"); server != "" && repo != "" && id != "" {
		m.RunURL = fmt.Sprintf("%s/%s/actions/runs/%s", server, repo, id)
	}
	if ev != nil && ev.HeadSHA != "" {
		m.Commit = ev.HeadSHA
	}
	return m
}

// comment creates or edits the one sticky comment of this workflow job on the PR.
func (p *program) comment(ctx context.Context, run *result.Run, meta report.Meta, ev *ghcomment.Event, evErr error) {
	mode := p.cfg.Comment
	if mode == config.CommentNever {
		return
	}
	if evErr != nil {
		if mode == config.CommentAlways {
			p.warn("comment: " + evErr.Error())
		}
		return
	}
	if !ghcomment.ShouldComment(string(mode), ev) {
		if mode == config.CommentAlways {
			p.warn(fmt.Sprintf("comment: always, but this %s event names no pull request, so there is nothing to comment on (the summary has the results)", orUnknown(ev.Name)))
		}
		return
	}
	if p.cfg.Command == config.Plan {
		// A plan deploys nothing: its comment would be an empty table left
		// on the PR beside the deploy's (the plan job has its own marker).
		return
	}
	if p.cfg.Shard.Count > 0 {
		p.out.Line("comment: left to the merge job (this job deploys shard %s)", p.cfg.Shard)
		return
	}
	if p.cfg.GitHubToken == "" {
		p.warn("comment: no github-token: pass github-token: ${{ github.token }} (the default) to get a PR comment")
		return
	}
	gh, err := ghcomment.NewClient(p.cfg.GitHubToken, p.getenv("GITHUB_API_URL"), &http.Client{Timeout: 30 * time.Second})
	if err != nil {
		p.warn("comment: " + err.Error())
		return
	}
	// One comment per workflow job and env set: matrix legs deploying to
	// different envs each keep their own comment instead of overwriting one.
	// The marker goes through the same redaction as the body: it names the
	// envs, and a secret pasted among them would otherwise reach the
	// comment in the marker Upsert puts on top of a body it no longer opens.
	marker := strings.TrimSpace(p.out.CommentBody(report.Marker(meta.Workflow, meta.Job+" "+envKey(p.cfg))))
	body := p.out.CommentBody(report.Comment(run, meta, marker))
	// The deploy is done; the comment gets its own deadline so a slow GitHub
	// API cannot hold the job, and a short one after a cancel.
	limit := 60 * time.Second
	if ctx.Err() != nil {
		limit = afterCancel
	}
	cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), limit)
	defer cancel()
	// A signal while the comment is on its way leaves it afterCancel more.
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(afterCancel, cancel) })
	defer stop()
	url, created, err := ghcomment.Upsert(cctx, gh, ev, marker, body)
	var perm *ghcomment.PermissionError
	switch {
	case errors.As(err, &perm):
		p.warn("comment: " + perm.Error())
	case err != nil:
		p.warn("comment: could not post the PR comment: " + err.Error())
	case created:
		p.out.Line("PR comment created: %s", url)
	default:
		p.out.Line("PR comment updated: %s", url)
	}
}

// envKey names the env set of the comment's marker (a digest of it when the
// envs are many).
func envKey(cfg *config.Config) string {
	if len(cfg.Envs) <= 10 {
		return strings.Join(cfg.Envs, ",")
	}
	return fmt.Sprintf("%d envs from %s to %s", len(cfg.Envs), cfg.Envs[0], cfg.Envs[len(cfg.Envs)-1])
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}
