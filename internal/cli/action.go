package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/ghcomment"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/report"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// reportAction writes the step outputs, the job summary, annotations and the
// sticky PR comment. A failure to report is a warning: it never changes what
// the deploy did.
func (p *program) reportAction(run *result.Run) {
	fmt.Fprint(p.stdout, p.redactor.String(report.Table(run)))
	if err := p.gh.SetOutputs(report.Outputs(run)); err != nil {
		p.warn("outputs: " + err.Error())
	}
	for _, a := range report.Annotations(run) {
		a.Message = p.redactor.String(a.Message)
		p.gh.Annotate(a)
	}
	for _, w := range run.Warnings {
		p.warn(w)
	}
	ev, evErr := ghcomment.LoadEvent(p.getenv)
	meta := p.meta(ev)
	if p.cfg.Summary {
		if err := p.gh.AddSummary(p.redactor.String(report.Summary(run, meta))); err != nil {
			p.warn("summary: " + err.Error())
		}
	}
	p.comment(run, meta, ev, evErr)
}

func (p *program) warn(msg string) {
	p.gh.Annotate(report.Annotation{Level: "warning", Title: "wxcloud-deploy", Message: p.redactor.String(msg)})
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
		DryRun:   p.cfg.DryRun,
		Now:      p.now(),
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
func (p *program) comment(run *result.Run, meta report.Meta, ev *ghcomment.Event, evErr error) {
	if p.cfg.Comment == "never" {
		return
	}
	if evErr != nil {
		if p.cfg.Comment == "always" {
			p.warn("comment: " + evErr.Error())
		}
		return
	}
	if !ghcomment.ShouldComment(p.cfg.Comment, ev) {
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
	marker := report.Marker(meta.Workflow, meta.Job+" "+strings.Join(p.cfg.Envs, ","))
	body := p.redactor.String(report.Comment(run, meta, marker))
	// The deploy is done; the comment gets its own short deadline so a slow
	// GitHub API cannot hold the job, and it is posted even after a cancel.
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	url, created, err := ghcomment.Upsert(ctx, gh, ev, marker, body)
	var perm *ghcomment.PermissionError
	switch {
	case errors.As(err, &perm):
		p.warn("comment: " + perm.Error())
	case err != nil:
		p.warn("comment: could not post the PR comment: " + err.Error())
	case created:
		p.logf("PR comment created: %s", url)
	default:
		p.logf("PR comment updated: %s", url)
	}
}
