package ghcomment_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/ghcomment"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/testkit"
)

const (
	testToken  = "ghs_s3cretT0ken"
	testMarker = "<!-- wxcloud-deploy: CI/deploy -->"
)

func prEvent() *ghcomment.Event {
	return &ghcomment.Event{Name: "pull_request", PRNumber: 7, HeadSHA: "abc", Owner: "octo", Repo: "mini"}
}

// by is a seeded comment's author and body.
type by struct{ login, body string }

// newFake serves pull request octo/mini#7 two comments a page, so that a
// few comments span pages. self is the token's login ("" for GITHUB_TOKEN).
func newFake(t *testing.T, prefix, self string, comments ...by) *testkit.GitHub {
	t.Helper()
	g := testkit.NewGitHub(t, testkit.GitHubOptions{Owner: "octo", Repo: "mini", PR: 7, Prefix: prefix, PageSize: 2, Self: self})
	for _, c := range comments {
		g.Seed(c.login, c.body)
	}
	return g
}

// people's comments, by authors that are not the token's.
func people(bodies ...string) []by {
	var out []by
	for _, b := range bodies {
		out = append(out, by{"octocat", b})
	}
	return out
}

func TestUpsertCreatesWhenNoPageHasTheMarker(t *testing.T) {
	t.Parallel()
	f := newFake(t, "", "", people("lgtm", "nit: <!-- other-bot -->", "ping", "ship it", "one more")...)
	gh, err := ghcomment.NewClient(testToken, f.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	url, created, err := ghcomment.Upsert(context.Background(), gh, prEvent(), testMarker, testMarker+"\nfirst run")
	if err != nil {
		t.Fatal(err)
	}
	creates, edits := f.Count(testkit.CreateComment), f.Count(testkit.EditComment)
	if !created || creates != 1 || edits != 0 {
		t.Fatalf("created=%v creates=%d edits=%d, want one new comment", created, creates, edits)
	}
	if pages := f.Pages(); !slices.Equal(pages, []int{1, 2, 3}) {
		t.Errorf("listed pages %v, want all of 1 2 3 before creating", pages)
	}
	comments := f.Comments()
	if want := comments[len(comments)-1].URL; url != want {
		t.Errorf("url = %q, want %q", url, want)
	}
	for _, rq := range f.Requests() {
		if rq.Endpoint == testkit.ListComments && rq.PerPage != "100" {
			t.Errorf("per_page = %q, want 100", rq.PerPage)
		}
		if rq.Auth != "Bearer "+testToken {
			t.Errorf("%s: Authorization = %q, want the token as a bearer token", rq.Endpoint, rq.Auth)
		}
	}
}

func TestUpsertEditsOwnCommentOnPage2Of3(t *testing.T) {
	t.Parallel()
	f := newFake(t, "", "", append(people("lgtm", "ping", "thanks"),
		by{ghcomment.ActionsBot, testMarker + "\nold table"}, by{"octocat", "later"}, by{"octocat", "even later"})...)
	gh, err := ghcomment.NewClient(testToken, f.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	url, created, err := ghcomment.Upsert(context.Background(), gh, prEvent(), testMarker, testMarker+"\nnew table")
	if err != nil {
		t.Fatal(err)
	}
	creates, edits := f.Count(testkit.CreateComment), f.Count(testkit.EditComment)
	if created || edits != 1 || creates != 0 {
		t.Fatalf("created=%v creates=%d edits=%d, want the old comment edited", created, creates, edits)
	}
	comments := f.Comments()
	if comments[3].Body != testMarker+"\nnew table" {
		t.Errorf("comment 4 = %q, want the new body", comments[3].Body)
	}
	if url != comments[3].URL {
		t.Errorf("url = %q, want %q", url, comments[3].URL)
	}
	if pages := f.Pages(); !slices.Equal(pages, []int{1, 2}) {
		t.Errorf("listed pages %v, want 1 2 (stop once found)", pages)
	}
}

// TestUpsertNeverEditsSomeoneElsesComment: a comment that starts with the
// marker but was written by someone else (a contributor who copied the
// marker to have the bot overwrite their text, or to hide the results) is
// left alone, whoever the token is.
func TestUpsertNeverEditsSomeoneElsesComment(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, self string
		authors    []string // of marker-prefixed comments before ours
	}{
		{"GITHUB_TOKEN (GET /user refused): a user's comment", "", []string{"mallory"}},
		{"GITHUB_TOKEN: another bot's comment", "", []string{"evil-app[bot]"}},
		{"a personal token: the Actions bot's comment is not ours", "deploy-bot", []string{ghcomment.ActionsBot, "mallory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var seed []by
			for _, a := range tt.authors {
				seed = append(seed, by{a, testMarker + "\nplanted by " + a})
			}
			f := newFake(t, "", tt.self, seed...)
			gh, err := ghcomment.NewClient(testToken, f.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, created, err := ghcomment.Upsert(context.Background(), gh, prEvent(), testMarker, "run 1")
			if err != nil {
				t.Fatal(err)
			}
			if edits := f.Count(testkit.EditComment); !created || edits != 0 {
				t.Fatalf("created=%v edits=%d: someone else's comment was edited", created, edits)
			}
			comments := f.Comments()
			for i, a := range tt.authors {
				if comments[i].Body != testMarker+"\nplanted by "+a {
					t.Errorf("%s's comment was changed to %q", a, comments[i].Body)
				}
			}
			// The next run finds the comment the token wrote.
			if _, created, err := ghcomment.Upsert(context.Background(), gh, prEvent(), testMarker, "run 2"); err != nil || created {
				t.Errorf("run 2: created=%v err=%v, want our own comment edited", created, err)
			}
			comments = f.Comments()
			if got := comments[len(comments)-1]; got.Body != testMarker+"\nrun 2" || got.Author != f.Author() {
				t.Errorf("our comment = %+v", got)
			}
		})
	}
}

func TestUpsertTwiceKeepsOneComment(t *testing.T) {
	t.Parallel()
	f := newFake(t, "", "", people("lgtm", "ping", "thanks")...)
	gh, err := ghcomment.NewClient(testToken, f.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The body lacks the marker: Upsert must add it or run 2 would not find run 1's comment.
	url1, created1, err := ghcomment.Upsert(ctx, gh, prEvent(), testMarker, "run 1")
	if err != nil {
		t.Fatal(err)
	}
	f.Seed("octocat", "a reviewer's comment")
	f.Seed("octocat", "another")
	url2, created2, err := ghcomment.Upsert(ctx, gh, prEvent(), testMarker, "run 2")
	if err != nil {
		t.Fatal(err)
	}
	if !created1 || created2 || url1 != url2 {
		t.Errorf("run 1 created=%v %s, run 2 created=%v %s: want create then edit of the same comment", created1, url1, created2, url2)
	}
	n := 0
	for _, c := range f.Comments() {
		if strings.Contains(c.Body, testMarker) {
			n++
			if c.Body != testMarker+"\nrun 2" {
				t.Errorf("sticky comment = %q", c.Body)
			}
		}
	}
	if n != 1 {
		t.Errorf("%d comments carry the marker, want 1", n)
	}
}

func TestSelf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		self    string
		status  int // GET /user answers this status with msg (0: as GitHub does)
		msg     string
		want    string
		wantErr string
	}{
		{"a user's token", "deploy-bot", 0, "", "deploy-bot", ""},
		{"GITHUB_TOKEN: 403", "", 0, "", ghcomment.ActionsBot, ""},
		{"401", "", 401, "Bad credentials", ghcomment.ActionsBot, ""},
		{"404 (GHES without the endpoint)", "", 404, "Not Found", ghcomment.ActionsBot, ""},
		{"a 500 is not a guess", "", 500, "Server Error", "", "GET /user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, "", tt.self)
			if tt.status != 0 {
				f.Fail(testkit.GetUser, tt.status, tt.msg, nil)
			}
			gh, err := ghcomment.NewClient(testToken, f.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := ghcomment.Self(context.Background(), gh)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("Self = %q, %v, want %q", got, err, tt.want)
			}
		})
	}
}

// TestUpsertBoundedByContext: a GitHub that accepts requests and never
// answers holds Upsert only until the caller's deadline (the CLI gives the
// comment a few seconds after a cancel). No retry or wait outlives ctx.
func TestUpsertBoundedByContext(t *testing.T) {
	t.Parallel()
	for _, stallAt := range []testkit.Endpoint{testkit.GetUser, testkit.ListComments, testkit.CreateComment, testkit.EditComment} {
		t.Run(string(stallAt), func(t *testing.T) {
			t.Parallel()
			// Our comment exists, so that PATCH is reached too; not for
			// POST, which is reached only when there is none.
			var seed []by
			if stallAt != testkit.CreateComment {
				seed = append(seed, by{"deploy-bot", testMarker + "\nold"})
			}
			f := newFake(t, "", "deploy-bot", seed...)
			gh, err := ghcomment.NewClient(testToken, f.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			f.Stall(stallAt)
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, _, err = ghcomment.Upsert(ctx, gh, prEvent(), testMarker, "body")
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want the deadline", err)
			}
			if f.Count(stallAt) != 1 {
				t.Errorf("%s was not reached: requests %+v", stallAt, f.Requests())
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error leaks the token: %v", err)
			}
		})
	}
}

func TestUpsertErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		endpoint   testkit.Endpoint
		status     int
		msg        string
		headers    map[string]string
		wantStatus int // 0: not a *PermissionError
	}{
		{"403 on create (read-only token)", testkit.CreateComment, 403, "Resource not accessible by integration", nil, 403},
		{"404 on list (token cannot see the repo)", testkit.ListComments, 404, "Not Found", nil, 404},
		{"401 bad credentials", testkit.ListComments, 401, "Bad credentials", nil, 401},
		{"403 rate limit is not a permission problem", testkit.ListComments, 403, "API rate limit exceeded",
			map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "60"}, 0},
		{"500 is a plain error", testkit.ListComments, 500, "Server Error", nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, "", "", people("lgtm")...)
			f.Fail(tt.endpoint, tt.status, tt.msg, tt.headers)
			gh, err := ghcomment.NewClient(testToken, f.URL, nil)
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = ghcomment.Upsert(context.Background(), gh, prEvent(), testMarker, "body")
			if err == nil {
				t.Fatal("Upsert succeeded against a refusing server")
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error leaks the token: %v", err)
			}
			var pe *ghcomment.PermissionError
			isPerm := errors.As(err, &pe)
			if tt.wantStatus == 0 {
				if isPerm {
					t.Fatalf("got *PermissionError %v, want another error", err)
				}
				return
			}
			if !isPerm || pe.Status != tt.wantStatus {
				t.Fatalf("err = %#v, want *PermissionError with status %d", err, tt.wantStatus)
			}
			for _, hint := range []string{"pull-requests: write", "fork", "comment: never"} {
				if !strings.Contains(pe.Error(), hint) {
					t.Errorf("message lacks the fix %q: %v", hint, pe)
				}
			}
		})
	}
}

func TestUpsertRejects(t *testing.T) {
	t.Parallel()
	f := newFake(t, "", "")
	gh, err := ghcomment.NewClient(testToken, f.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	push := &ghcomment.Event{Name: "push", Owner: "octo", Repo: "mini"}
	tests := []struct {
		name   string
		ev     *ghcomment.Event
		marker string
		want   string
	}{
		{"no event", nil, testMarker, "no pull request"},
		{"push event", push, testMarker, "no pull request"},
		{"empty marker", prEvent(), " ", "empty comment marker"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := ghcomment.Upsert(context.Background(), gh, tt.ev, tt.marker, "body")
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

func TestEnterpriseBaseURL(t *testing.T) {
	t.Parallel()
	for _, suffix := range []string{"/api/v3", "/api/v3/"} {
		t.Run(suffix, func(t *testing.T) {
			t.Parallel()
			f := newFake(t, "/api/v3", "", people("lgtm")...)
			gh, err := ghcomment.NewClient(testToken, strings.TrimSuffix(f.URL, "/api/v3")+suffix, nil)
			if err != nil {
				t.Fatal(err)
			}
			if _, created, err := ghcomment.Upsert(context.Background(), gh, prEvent(), testMarker, "body"); err != nil || !created {
				t.Fatalf("created=%v err=%v", created, err)
			}
			if creates, users := f.Count(testkit.CreateComment), f.Count(testkit.GetUser); creates != 1 || users != 1 {
				t.Errorf("creates = %d, GET /user = %d under /api/v3", creates, users)
			}
		})
	}
}

func TestNewClient(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, token, apiURL string
		wantBase            string
		wantErr             string
	}{
		{"default is api.github.com", "t", "", "https://api.github.com/", ""},
		{"trailing slash added", "t", "https://ghe.example.com/api/v3", "https://ghe.example.com/api/v3/", ""},
		{"empty token", "", "", "", "github-token is empty"},
		{"not http", "t", "ftp://example.com", "", "GITHUB_API_URL"},
		{"no host", "t", "https://", "", "GITHUB_API_URL"},
		{"unparsable", "t", "http://[::1", "", "GITHUB_API_URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			gh, err := ghcomment.NewClient(tt.token, tt.apiURL, nil)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := gh.BaseURL.String(); got != tt.wantBase {
				t.Errorf("BaseURL = %q, want %q", got, tt.wantBase)
			}
		})
	}
}
