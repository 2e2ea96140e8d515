package ghcomment

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

type fakeComment struct {
	ID   int64    `json:"id"`
	Body string   `json:"body"`
	URL  string   `json:"html_url"`
	User fakeUser `json:"user"`
}

type fakeUser struct {
	Login string `json:"login"`
}

// by is a seeded comment's author and body.
type by struct{ login, body string }

// fakeGitHub emulates the three issue-comment endpoints of the REST API
// under prefix ("" for api.github.com, "/api/v3" for GitHub Enterprise),
// paging its comments pageSize at a time with Link headers like GitHub.
type fakeGitHub struct {
	t        *testing.T
	prefix   string
	pageSize int

	mu       sync.Mutex
	comments []fakeComment
	nextID   int64
	pages    []int    // pages listed, in order
	perPage  []string // per_page query values received
	auth     []string // Authorization headers received
	creates  int
	edits    int
	// fail, when set, answers the matching method instead of the emulation.
	fail map[string]func(w http.ResponseWriter)
	// self is who the token is: GET /user answers it, or refuses the way it
	// refuses an installation token when it is "" (and comments are then
	// created as github-actions[bot]).
	self  string
	users int // GET /user calls
	// stallOn, when set ("USER", "GET", "POST", "PATCH"), makes those
	// requests wait until the client gives up.
	stallOn string
}

// author is who a comment created through the API is written by.
func (f *fakeGitHub) author() string {
	if f.self == "" {
		return ActionsBot
	}
	return f.self
}

func newFake(t *testing.T, prefix string, comments ...by) (*fakeGitHub, *httptest.Server) {
	f := &fakeGitHub{t: t, prefix: prefix, pageSize: 2, nextID: 100, fail: map[string]func(http.ResponseWriter){}}
	for _, c := range comments {
		f.add(c.login, c.body)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+prefix+"/user", f.user)
	mux.HandleFunc("GET "+prefix+"/repos/{owner}/{repo}/issues/{number}/comments", f.list)
	mux.HandleFunc("POST "+prefix+"/repos/{owner}/{repo}/issues/{number}/comments", f.create)
	mux.HandleFunc("PATCH "+prefix+"/repos/{owner}/{repo}/issues/comments/{id}", f.edit)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("unexpected request %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

func (f *fakeGitHub) add(login, body string) int64 {
	f.nextID++
	f.comments = append(f.comments, fakeComment{ID: f.nextID, Body: body, User: fakeUser{Login: login},
		URL: fmt.Sprintf("https://github.com/octo/mini/pull/7#issuecomment-%d", f.nextID)})
	return f.nextID
}

// user answers GET /user like GitHub: the login for a user's token, 403
// for an installation token (GITHUB_TOKEN).
func (f *fakeGitHub) user(w http.ResponseWriter, r *http.Request) {
	if f.stalled(r, "USER") {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.users++
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	if fail := f.fail["USER"]; fail != nil {
		fail(w)
		return
	}
	if f.self == "" {
		writeJSON(w, http.StatusForbidden, map[string]string{"message": "Resource not accessible by integration"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"login": f.self, "id": 1})
}

// stalled holds the request until the client gives up when kind is
// f.stallOn: a GitHub that accepted the connection and never answers.
func (f *fakeGitHub) stalled(r *http.Request, kind string) bool {
	f.mu.Lock()
	stall := f.stallOn == kind
	f.mu.Unlock()
	if stall {
		// The server notices a client that went away only once the body
		// has been read.
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}
	return stall
}

// common records the request and checks the path names our pull request.
func (f *fakeGitHub) common(w http.ResponseWriter, r *http.Request) bool {
	f.auth = append(f.auth, r.Header.Get("Authorization"))
	if r.PathValue("owner") != "octo" || r.PathValue("repo") != "mini" {
		f.t.Errorf("%s %s: wrong repository", r.Method, r.URL.Path)
	}
	if n := r.PathValue("number"); n != "" && n != "7" {
		f.t.Errorf("%s %s: wrong pull request %s", r.Method, r.URL.Path, n)
	}
	if fail := f.fail[r.Method]; fail != nil {
		fail(w)
		return false
	}
	return true
}

func (f *fakeGitHub) list(w http.ResponseWriter, r *http.Request) {
	if f.stalled(r, "GET") {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.common(w, r) {
		return
	}
	page := 1
	if p := r.URL.Query().Get("page"); p != "" {
		page, _ = strconv.Atoi(p)
	}
	f.pages = append(f.pages, page)
	f.perPage = append(f.perPage, r.URL.Query().Get("per_page"))
	last := (len(f.comments) + f.pageSize - 1) / f.pageSize
	if last == 0 {
		last = 1
	}
	lo := min((page-1)*f.pageSize, len(f.comments))
	hi := min(lo+f.pageSize, len(f.comments))
	if page < last {
		link := func(p int, rel string) string {
			return fmt.Sprintf(`<http://%s%s?page=%d&per_page=%s>; rel="%s"`, r.Host, r.URL.Path, p, r.URL.Query().Get("per_page"), rel)
		}
		w.Header().Set("Link", link(page+1, "next")+", "+link(last, "last"))
	}
	writeJSON(w, http.StatusOK, f.comments[lo:hi])
}

func (f *fakeGitHub) create(w http.ResponseWriter, r *http.Request) {
	if f.stalled(r, "POST") {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.common(w, r) {
		return
	}
	var in struct{ Body string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		f.t.Errorf("create: %v", err)
	}
	f.creates++
	f.add(f.author(), in.Body)
	writeJSON(w, http.StatusCreated, f.comments[len(f.comments)-1])
}

func (f *fakeGitHub) edit(w http.ResponseWriter, r *http.Request) {
	if f.stalled(r, "PATCH") {
		return
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.common(w, r) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	var in struct{ Body string }
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		f.t.Errorf("edit: %v", err)
	}
	for i := range f.comments {
		if f.comments[i].ID == id {
			f.edits++
			f.comments[i].Body = in.Body
			writeJSON(w, http.StatusOK, f.comments[i])
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

// answer returns a failure handler with GitHub's error body.
func answer(status int, msg string, headers map[string]string) func(http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for k, v := range headers {
			w.Header().Set(k, v)
		}
		writeJSON(w, status, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest"})
	}
}
