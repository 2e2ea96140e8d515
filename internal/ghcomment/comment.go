package ghcomment

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/go-github/v60/github"
)

// DefaultAPIURL is api.github.com; GitHub Enterprise Server sets
// GITHUB_API_URL to https://HOST/api/v3.
const DefaultAPIURL = "https://api.github.com/"

// NewClient returns a go-github client that sends token as a bearer token to
// apiURL (GITHUB_API_URL; DefaultAPIURL when empty). The URL is used as
// given, path included, so GitHub Enterprise Server and test servers work.
// hc may be nil.
func NewClient(token, apiURL string, hc *http.Client) (*github.Client, error) {
	if token == "" {
		return nil, errors.New("github-token is empty: pass github-token: ${{ github.token }} or set comment: never")
	}
	if apiURL == "" {
		apiURL = DefaultAPIURL
	}
	u, err := url.Parse(apiURL)
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return nil, fmt.Errorf("GITHUB_API_URL %q is not an http(s) URL (expected https://api.github.com or https://HOST/api/v3)", apiURL)
	}
	// go-github resolves paths relative to BaseURL: without the trailing
	// slash the last path element (v3) would be dropped.
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
	}
	c := github.NewClient(hc).WithAuthToken(token)
	c.BaseURL = u
	return c, nil
}

// PermissionError means GitHub refused the comment (401, 403 or 404): the
// token lacks pull-requests: write, or it is the read-only token of a fork's
// pull request. The CLI shows it as a warning; it never fails a deploy.
type PermissionError struct {
	Status int
	// Msg is GitHub's own message, e.g. "Resource not accessible by integration".
	Msg string
}

func (e *PermissionError) Error() string {
	msg := e.Msg
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("cannot comment on the pull request: GitHub answered %d (%s): "+
		"give the job `permissions: pull-requests: write`; pull requests from forks get a read-only token, "+
		"so there use pull_request_target (carefully: it runs with write access) or set comment: never", e.Status, msg)
}

// ActionsBot is who GITHUB_TOKEN comments as. GITHUB_TOKEN is an
// installation token, which GET /user refuses (403 "Resource not accessible
// by integration"), so when that call is refused this is taken as the
// token's user. A token of another GitHub App is refused the same way but
// comments as "<app>[bot]": its earlier comments are then not recognised,
// and each run creates a new comment rather than edit one it cannot prove
// is its own.
const ActionsBot = "github-actions[bot]"

// Upsert edits this job's sticky comment on the pull request, or creates
// one. A comment is ours when its body starts with marker AND its author is
// the token's own user (see Self); a comment anyone else wrote, marker or
// not, is never edited: a hostile contributor could otherwise plant a
// marker-prefixed comment and have the bot overwrite it with their text in
// the bot's name. Every page of comments is searched. It returns the
// comment's URL and whether it was created. body gets marker as its first
// line when it lacks it, so that the next run finds it.
//
// Every call takes ctx and nothing retries or waits beyond it (go-github
// does not retry, and its rate-limit handling returns an error rather than
// sleep), so a caller's deadline bounds Upsert.
func Upsert(ctx context.Context, gh *github.Client, ev *Event, marker, body string) (url string, created bool, err error) {
	if ev == nil || ev.PRNumber <= 0 || ev.Owner == "" || ev.Repo == "" {
		return "", false, errors.New("no pull request to comment on (comments need a pull_request or pull_request_target event)")
	}
	if strings.TrimSpace(marker) == "" {
		return "", false, errors.New("empty comment marker: a later run could not find the comment to edit")
	}
	if !strings.HasPrefix(strings.TrimSpace(body), marker) {
		body = marker + "\n" + body
	}

	self, err := Self(ctx, gh)
	if err != nil {
		return "", false, err
	}
	id, err := find(ctx, gh, ev, marker, self)
	if err != nil {
		return "", false, classify(err, "listing the comments of pull request #%d", ev.PRNumber)
	}
	if id != 0 {
		c, _, err := gh.Issues.EditComment(ctx, ev.Owner, ev.Repo, id, &github.IssueComment{Body: &body})
		if err != nil {
			return "", false, classify(err, "editing comment %d on pull request #%d", id, ev.PRNumber)
		}
		return c.GetHTMLURL(), false, nil
	}
	c, _, err := gh.Issues.CreateComment(ctx, ev.Owner, ev.Repo, ev.PRNumber, &github.IssueComment{Body: &body})
	if err != nil {
		return "", false, classify(err, "commenting on pull request #%d", ev.PRNumber)
	}
	return c.GetHTMLURL(), true, nil
}

// Self returns the login the token comments as: GET /user's, or ActionsBot
// when GitHub refuses that call (401, 403, 404: an installation token such
// as GITHUB_TOKEN). Any other failure is an error: guessing could make a run
// edit a comment that is not its own.
func Self(ctx context.Context, gh *github.Client) (string, error) {
	u, _, err := gh.Users.Get(ctx, "")
	if err == nil && u.GetLogin() != "" {
		return u.GetLogin(), nil
	}
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		switch er.Response.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
			return ActionsBot, nil
		}
	}
	if err == nil {
		err = errors.New("GitHub answered without a login")
	}
	return "", fmt.Errorf("learning who the github-token comments as (GET /user): %w", err)
}

// find returns the ID of the first comment by self that starts with
// marker, or 0. It stops at the first match; a busy PR can have hundreds of
// comments, hence paging.
func find(ctx context.Context, gh *github.Client, ev *Event, marker, self string) (int64, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		comments, resp, err := gh.Issues.ListComments(ctx, ev.Owner, ev.Repo, ev.PRNumber, opts)
		if err != nil {
			return 0, err
		}
		for _, c := range comments {
			// The marker opens our comments; a person quoting it elsewhere
			// in theirs, or opening theirs with it, must not have that
			// comment overwritten.
			if strings.HasPrefix(strings.TrimSpace(c.GetBody()), marker) && strings.EqualFold(c.GetUser().GetLogin(), self) {
				return c.GetID(), nil
			}
		}
		if resp == nil || resp.NextPage == 0 {
			return 0, nil
		}
		opts.Page = resp.NextPage
	}
}

// classify turns GitHub's refusals into *PermissionError and wraps the rest.
// Rate limits are 403s too but not a permission problem: go-github gives
// them their own types, which pass through wrapped.
func classify(err error, format string, args ...any) error {
	var er *github.ErrorResponse
	if errors.As(err, &er) && er.Response != nil {
		switch er.Response.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound:
			return &PermissionError{Status: er.Response.StatusCode, Msg: er.Message}
		}
	}
	return fmt.Errorf(format+": %w", append(args, err)...)
}
