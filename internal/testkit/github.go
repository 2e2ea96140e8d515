package testkit

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
)

// ActionsBot is who GitHub says wrote a comment made with GITHUB_TOKEN (an
// installation token, which GET /user refuses).
const ActionsBot = "github-actions[bot]"

// Endpoint is one endpoint of the fake GitHub.
type Endpoint string

const (
	GetUser       Endpoint = "GET /user"
	ListComments  Endpoint = "GET /repos/{owner}/{repo}/issues/{number}/comments"
	CreateComment Endpoint = "POST /repos/{owner}/{repo}/issues/{number}/comments"
	EditComment   Endpoint = "PATCH /repos/{owner}/{repo}/issues/comments/{id}"
)

// GitHubOptions configure NewGitHub.
type GitHubOptions struct {
	// Owner, Repo and PR are the one pull request served: a request about
	// another repository or pull request fails the test.
	Owner, Repo string
	PR          int
	// Prefix is the API's path: "" like api.github.com, "/api/v3" like
	// GitHub Enterprise Server.
	Prefix string
	// PageSize caps the comments per page below per_page (GitHub's default
	// 30, at most 100), to make a few comments span pages.
	PageSize int
	// Self is the token's login, which GET /user answers; "" refuses that
	// call the way GitHub refuses an installation token (403), and comments
	// are then written by ActionsBot.
	Self string
}

// GitHubComment is one issue comment.
type GitHubComment struct {
	ID     int64
	Body   string
	URL    string // html_url
	Author string // user.login
}

// GitHubRequest is one request the fake received.
type GitHubRequest struct {
	Endpoint Endpoint
	Path     string
	// Auth is the Authorization header.
	Auth string
	// Page and PerPage are the list's query (Page 1 when absent).
	Page    int
	PerPage string
	// Body is the comment body of a create or an edit.
	Body string
}

// GitHub is a fake of the GitHub REST API's issue-comment endpoints and
// GET /user, the calls the sticky PR comment makes: comments are paged with
// Link headers, authored by the token's user, and any endpoint can be made
// to refuse or to stall. Any other request fails the test.
type GitHub struct {
	t    testing.TB
	opts GitHubOptions
	// URL is the API's base URL (GITHUB_API_URL), Prefix included.
	URL string

	mu       sync.Mutex
	comments []GitHubComment
	nextID   int64
	requests []GitHubRequest
	fail     map[Endpoint]func(http.ResponseWriter)
	stall    map[Endpoint]bool
}

// NewGitHub starts a fake GitHub that stops when the test ends.
func NewGitHub(t testing.TB, opts GitHubOptions) *GitHub {
	t.Helper()
	g := &GitHub{t: t, opts: opts, nextID: 100,
		fail: map[Endpoint]func(http.ResponseWriter){}, stall: map[Endpoint]bool{}}
	p := opts.Prefix
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+p+"/user", g.user)
	mux.HandleFunc("GET "+p+"/repos/{owner}/{repo}/issues/{number}/comments", g.list)
	mux.HandleFunc("POST "+p+"/repos/{owner}/{repo}/issues/{number}/comments", g.create)
	mux.HandleFunc("PATCH "+p+"/repos/{owner}/{repo}/issues/comments/{id}", g.edit)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("fake GitHub: unexpected request %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	g.URL = srv.URL + p
	return g
}

// Seed adds a comment by login, as if written before the run, and returns
// its ID.
func (g *GitHub) Seed(login, body string) int64 {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.add(login, body)
}

func (g *GitHub) add(login, body string) int64 {
	g.nextID++
	g.comments = append(g.comments, GitHubComment{ID: g.nextID, Body: body, Author: login,
		URL: fmt.Sprintf("https://github.com/%s/%s/pull/%d#issuecomment-%d", g.opts.Owner, g.opts.Repo, g.opts.PR, g.nextID)})
	return g.nextID
}

// Fail makes e answer status with GitHub's error body {"message": msg}
// and headers (X-RateLimit-Remaining: 0 makes a 403 a rate limit).
func (g *GitHub) Fail(e Endpoint, status int, msg string, headers map[string]string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.fail[e] = func(w http.ResponseWriter) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		writeJSON(w, status, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest"})
	}
}

// Stall makes e accept requests and never answer: each waits until its
// client gives up.
func (g *GitHub) Stall(e Endpoint) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.stall[e] = true
}

// Author is who a comment created through the API is written by.
func (g *GitHub) Author() string {
	if g.opts.Self == "" {
		return ActionsBot
	}
	return g.opts.Self
}

// Comments returns the pull request's comments, oldest first.
func (g *GitHub) Comments() []GitHubComment {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]GitHubComment(nil), g.comments...)
}

// Requests returns every request received, in order.
func (g *GitHub) Requests() []GitHubRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]GitHubRequest(nil), g.requests...)
}

// Count counts the requests to e, refused ones included.
func (g *GitHub) Count(e Endpoint) int {
	n := 0
	for _, r := range g.Requests() {
		if r.Endpoint == e {
			n++
		}
	}
	return n
}

// Pages lists the pages of comments listed, in order.
func (g *GitHub) Pages() []int {
	var out []int
	for _, r := range g.Requests() {
		if r.Endpoint == ListComments {
			out = append(out, r.Page)
		}
	}
	return out
}

// begin records the request, checks it is about our pull request and
// reports whether the emulation should answer it: not when it stalls (it
// has waited for the client to go) or fails (the refusal was sent).
func (g *GitHub) begin(w http.ResponseWriter, r *http.Request, e Endpoint, body string) bool {
	rq := GitHubRequest{Endpoint: e, Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Body: body,
		PerPage: r.URL.Query().Get("per_page"), Page: 1}
	if p := r.URL.Query().Get("page"); p != "" {
		rq.Page, _ = strconv.Atoi(p)
	}
	g.mu.Lock()
	g.requests = append(g.requests, rq)
	stall, fail := g.stall[e], g.fail[e]
	g.mu.Unlock()
	if e != GetUser {
		if o, rp := r.PathValue("owner"), r.PathValue("repo"); o != g.opts.Owner || rp != g.opts.Repo {
			g.t.Errorf("fake GitHub: %s %s: repository %s/%s, want %s/%s", r.Method, r.URL.Path, o, rp, g.opts.Owner, g.opts.Repo)
		}
		if n := r.PathValue("number"); n != "" && n != strconv.Itoa(g.opts.PR) {
			g.t.Errorf("fake GitHub: %s %s: pull request %s, want %d", r.Method, r.URL.Path, n, g.opts.PR)
		}
	}
	switch {
	case stall:
		<-r.Context().Done()
		return false
	case fail != nil:
		fail(w)
		return false
	}
	return true
}

// readBody decodes {"body": …} of a create or an edit. Reading it first
// also lets the server notice a client that goes away during a stall.
func (g *GitHub) readBody(r *http.Request) string {
	data, _ := io.ReadAll(r.Body)
	var in struct {
		Body string `json:"body"`
	}
	if err := json.Unmarshal(data, &in); err != nil {
		g.t.Errorf("fake GitHub: %s %s: the body is not {\"body\": …}: %v", r.Method, r.URL.Path, err)
	}
	return in.Body
}

type apiUser struct {
	Login string `json:"login"`
	ID    int64  `json:"id"`
}

type apiComment struct {
	ID   int64   `json:"id"`
	Body string  `json:"body"`
	URL  string  `json:"html_url"`
	User apiUser `json:"user"`
}

func toAPI(c GitHubComment) apiComment {
	return apiComment{ID: c.ID, Body: c.Body, URL: c.URL, User: apiUser{Login: c.Author}}
}

func (g *GitHub) user(w http.ResponseWriter, r *http.Request) {
	if !g.begin(w, r, GetUser, "") {
		return
	}
	if g.opts.Self == "" {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration"})
		return
	}
	writeJSON(w, http.StatusOK, apiUser{Login: g.opts.Self, ID: 1})
}

func (g *GitHub) list(w http.ResponseWriter, r *http.Request) {
	if !g.begin(w, r, ListComments, "") {
		return
	}
	q := r.URL.Query()
	size := 30
	if n, err := strconv.Atoi(q.Get("per_page")); err == nil && n > 0 {
		size = min(n, 100)
	}
	if g.opts.PageSize > 0 {
		size = min(size, g.opts.PageSize)
	}
	page := 1
	if n, err := strconv.Atoi(q.Get("page")); err == nil && n > 0 {
		page = n
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	last := max(1, (len(g.comments)+size-1)/size)
	lo := min((page-1)*size, len(g.comments))
	hi := min(lo+size, len(g.comments))
	if page < last {
		link := func(p int, rel string) string {
			return fmt.Sprintf(`<http://%s%s?page=%d&per_page=%d>; rel="%s"`, r.Host, r.URL.Path, p, size, rel)
		}
		w.Header().Set("Link", link(page+1, "next")+", "+link(last, "last"))
	}
	out := make([]apiComment, 0, hi-lo)
	for _, c := range g.comments[lo:hi] {
		out = append(out, toAPI(c))
	}
	writeJSON(w, http.StatusOK, out)
}

func (g *GitHub) create(w http.ResponseWriter, r *http.Request) {
	body := g.readBody(r)
	if !g.begin(w, r, CreateComment, body) {
		return
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	g.add(g.Author(), body)
	writeJSON(w, http.StatusCreated, toAPI(g.comments[len(g.comments)-1]))
}

func (g *GitHub) edit(w http.ResponseWriter, r *http.Request) {
	body := g.readBody(r)
	if !g.begin(w, r, EditComment, body) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	g.mu.Lock()
	defer g.mu.Unlock()
	for i := range g.comments {
		if g.comments[i].ID == id {
			g.comments[i].Body = body
			writeJSON(w, http.StatusOK, toAPI(g.comments[i]))
			return
		}
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"message": "Not Found"})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
