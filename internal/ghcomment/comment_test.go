package ghcomment

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

const (
	testToken  = "ghs_s3cretT0ken"
	testMarker = "<!-- wxcloud-deploy: CI/deploy -->"
)

func prEvent() *Event {
	return &Event{Name: "pull_request", PRNumber: 7, HeadSHA: "abc", Owner: "octo", Repo: "mini"}
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
	f, srv := newFake(t, "", people("lgtm", "nit: <!-- other-bot -->", "ping", "ship it", "one more")...)
	gh, err := NewClient(testToken, srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	url, created, err := Upsert(context.Background(), gh, prEvent(), testMarker, testMarker+"\nfirst run")
	if err != nil {
		t.Fatal(err)
	}
	if !created || f.creates != 1 || f.edits != 0 {
		t.Fatalf("created=%v creates=%d edits=%d, want one new comment", created, f.creates, f.edits)
	}
	if !slices.Equal(f.pages, []int{1, 2, 3}) {
		t.Errorf("listed pages %v, want all of 1 2 3 before creating", f.pages)
	}
	if f.perPage[0] != "100" {
		t.Errorf("per_page = %q, want 100", f.perPage[0])
	}
	if want := f.comments[len(f.comments)-1].URL; url != want {
		t.Errorf("url = %q, want %q", url, want)
	}
	for _, a := range f.auth {
		if a != "Bearer "+testToken {
			t.Errorf("Authorization = %q, want the token as a bearer token", a)
		}
	}
}

func TestUpsertEditsOwnCommentOnPage2Of3(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t, "", append(people("lgtm", "ping", "thanks"),
		by{ActionsBot, testMarker + "\nold table"}, by{"octocat", "later"}, by{"octocat", "even later"})...)
	gh, err := NewClient(testToken, srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	url, created, err := Upsert(context.Background(), gh, prEvent(), testMarker, testMarker+"\nnew table")
	if err != nil {
		t.Fatal(err)
	}
	if created || f.edits != 1 || f.creates != 0 {
		t.Fatalf("created=%v creates=%d edits=%d, want the old comment edited", created, f.creates, f.edits)
	}
	if f.comments[3].Body != testMarker+"\nnew table" {
		t.Errorf("comment 4 = %q, want the new body", f.comments[3].Body)
	}
	if url != f.comments[3].URL {
		t.Errorf("url = %q, want %q", url, f.comments[3].URL)
	}
	if !slices.Equal(f.pages, []int{1, 2}) {
		t.Errorf("listed pages %v, want 1 2 (stop once found)", f.pages)
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
		{"a personal token: the Actions bot's comment is not ours", "deploy-bot", []string{ActionsBot, "mallory"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var seed []by
			for _, a := range tt.authors {
				seed = append(seed, by{a, testMarker + "\nplanted by " + a})
			}
			f, srv := newFake(t, "", seed...)
			f.self = tt.self
			gh, err := NewClient(testToken, srv.URL, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			_, created, err := Upsert(context.Background(), gh, prEvent(), testMarker, "run 1")
			if err != nil {
				t.Fatal(err)
			}
			if !created || f.edits != 0 {
				t.Fatalf("created=%v edits=%d: someone else's comment was edited", created, f.edits)
			}
			for i, a := range tt.authors {
				if f.comments[i].Body != testMarker+"\nplanted by "+a {
					t.Errorf("%s's comment was changed to %q", a, f.comments[i].Body)
				}
			}
			// The next run finds the comment the token wrote.
			if _, created, err := Upsert(context.Background(), gh, prEvent(), testMarker, "run 2"); err != nil || created {
				t.Errorf("run 2: created=%v err=%v, want our own comment edited", created, err)
			}
			if got := f.comments[len(f.comments)-1]; got.Body != testMarker+"\nrun 2" || got.User.Login != f.author() {
				t.Errorf("our comment = %+v", got)
			}
		})
	}
}

func TestUpsertTwiceKeepsOneComment(t *testing.T) {
	t.Parallel()
	f, srv := newFake(t, "", people("lgtm", "ping", "thanks")...)
	gh, err := NewClient(testToken, srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	// The body lacks the marker: Upsert must add it or run 2 would not find run 1's comment.
	url1, created1, err := Upsert(ctx, gh, prEvent(), testMarker, "run 1")
	if err != nil {
		t.Fatal(err)
	}
	f.mu.Lock()
	f.add("octocat", "a reviewer's comment")
	f.add("octocat", "another")
	f.mu.Unlock()
	url2, created2, err := Upsert(ctx, gh, prEvent(), testMarker, "run 2")
	if err != nil {
		t.Fatal(err)
	}
	if !created1 || created2 || url1 != url2 {
		t.Errorf("run 1 created=%v %s, run 2 created=%v %s: want create then edit of the same comment", created1, url1, created2, url2)
	}
	n := 0
	for _, c := range f.comments {
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
		fail    func(http.ResponseWriter)
		want    string
		wantErr string
	}{
		{"a user's token", "deploy-bot", nil, "deploy-bot", ""},
		{"GITHUB_TOKEN: 403", "", nil, ActionsBot, ""},
		{"401", "", answer(401, "Bad credentials", nil), ActionsBot, ""},
		{"404 (GHES without the endpoint)", "", answer(404, "Not Found", nil), ActionsBot, ""},
		{"a 500 is not a guess", "", answer(500, "Server Error", nil), "", "GET /user"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t, "")
			f.self = tt.self
			if tt.fail != nil {
				f.fail["USER"] = tt.fail
			}
			gh, err := NewClient(testToken, srv.URL, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			got, err := Self(context.Background(), gh)
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
	for _, stallAt := range []string{"USER", "GET", "POST", "PATCH"} {
		t.Run(stallAt, func(t *testing.T) {
			t.Parallel()
			// Our comment exists, so that PATCH is reached too.
			f, srv := newFake(t, "", by{"deploy-bot", testMarker + "\nold"})
			f.self = "deploy-bot"
			if stallAt == "POST" {
				f.comments = nil
			}
			gh, err := NewClient(testToken, srv.URL, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			f.stallOn = stallAt
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			_, _, err = Upsert(ctx, gh, prEvent(), testMarker, "body")
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("err = %v, want the deadline", err)
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
		method     string
		fail       func(http.ResponseWriter)
		wantStatus int // 0: not a *PermissionError
	}{
		{"403 on create (read-only token)", http.MethodPost, answer(403, "Resource not accessible by integration", nil), 403},
		{"404 on list (token cannot see the repo)", http.MethodGet, answer(404, "Not Found", nil), 404},
		{"401 bad credentials", http.MethodGet, answer(401, "Bad credentials", nil), 401},
		{"403 rate limit is not a permission problem", http.MethodGet,
			answer(403, "API rate limit exceeded", map[string]string{"X-RateLimit-Remaining": "0", "X-RateLimit-Limit": "60"}), 0},
		{"500 is a plain error", http.MethodGet, answer(500, "Server Error", nil), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			f, srv := newFake(t, "", people("lgtm")...)
			f.fail[tt.method] = tt.fail
			gh, err := NewClient(testToken, srv.URL, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = Upsert(context.Background(), gh, prEvent(), testMarker, "body")
			if err == nil {
				t.Fatal("Upsert succeeded against a refusing server")
			}
			if strings.Contains(err.Error(), testToken) {
				t.Errorf("error leaks the token: %v", err)
			}
			var pe *PermissionError
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
	_, srv := newFake(t, "")
	gh, err := NewClient(testToken, srv.URL, srv.Client())
	if err != nil {
		t.Fatal(err)
	}
	push := &Event{Name: "push", Owner: "octo", Repo: "mini"}
	tests := []struct {
		name   string
		ev     *Event
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
			_, _, err := Upsert(context.Background(), gh, tt.ev, tt.marker, "body")
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
			f, srv := newFake(t, "/api/v3", people("lgtm")...)
			gh, err := NewClient(testToken, srv.URL+suffix, srv.Client())
			if err != nil {
				t.Fatal(err)
			}
			if _, created, err := Upsert(context.Background(), gh, prEvent(), testMarker, "body"); err != nil || !created {
				t.Fatalf("created=%v err=%v", created, err)
			}
			if f.creates != 1 || f.users != 1 {
				t.Errorf("creates = %d, GET /user = %d under /api/v3", f.creates, f.users)
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
			gh, err := NewClient(tt.token, tt.apiURL, nil)
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
