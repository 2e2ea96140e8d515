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

// Upsert edits the comment holding marker, searching every page of the pull
// request's comments, or creates one. It returns the comment's URL and
// whether it was created. body gets marker as its first line when it lacks it,
// so that the next run finds it.
func Upsert(ctx context.Context, gh *github.Client, ev *Event, marker, body string) (url string, created bool, err error) {
	if ev == nil || ev.PRNumber <= 0 || ev.Owner == "" || ev.Repo == "" {
		return "", false, errors.New("no pull request to comment on (comments need a pull_request or pull_request_target event)")
	}
	if strings.TrimSpace(marker) == "" {
		return "", false, errors.New("empty comment marker: a later run could not find the comment to edit")
	}
	if !strings.Contains(body, marker) {
		body = marker + "\n" + body
	}

	id, err := find(ctx, gh, ev, marker)
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

// find returns the ID of the first comment holding marker, or 0. It stops at
// the first match; a busy PR can have hundreds of comments, hence paging.
func find(ctx context.Context, gh *github.Client, ev *Event, marker string) (int64, error) {
	opts := &github.IssueListCommentsOptions{ListOptions: github.ListOptions{PerPage: 100}}
	for {
		comments, resp, err := gh.Issues.ListComments(ctx, ev.Owner, ev.Repo, ev.PRNumber, opts)
		if err != nil {
			return 0, err
		}
		for _, c := range comments {
			// The marker opens our comments; a person quoting it elsewhere
			// in theirs must not have that comment overwritten.
			if strings.HasPrefix(strings.TrimSpace(c.GetBody()), marker) {
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
