package testkit_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/testkit"
)

func TestParseOutputs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, text string
		want       map[string]string
		wantErr    string
	}{
		{name: "lines and heredocs", text: "a=1\nb<<EOF\nx\ny\nEOF\n\nc=\n",
			want: map[string]string{"a": "1", "b": "x\ny", "c": ""}},
		{name: "a value holding << stays a value", text: "a=x<<y\n", want: map[string]string{"a": "x<<y"}},
		{name: "set twice", text: "a=1\na<<D\n2\nD\n", wantErr: `"a" is set twice`},
		{name: "heredoc never closes", text: "a<<D\n1\n", wantErr: "never closes"},
		{name: "neither form", text: "oops\n", wantErr: "neither"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := testkit.ParseOutputs(tt.text)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || len(got) != len(tt.want) {
				t.Fatalf("got %q, %v, want %q", got, err, tt.want)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}

func TestInputs(t *testing.T) {
	t.Parallel()
	in := testkit.Inputs{"envs": "a,b", "function-name": "hello", "output": ""}.With("command", "pack", "json", "true")
	if got := strings.Join(in.Args(), " "); got != "pack --envs=a,b --function-name=hello --json=true" {
		t.Errorf("Args = %q", got)
	}
	if got := strings.Join(testkit.Environ(in.Env()), " "); got != "INPUT_COMMAND=pack INPUT_ENVS=a,b INPUT_FUNCTION-NAME=hello INPUT_JSON=true" {
		t.Errorf("Environ(Env) = %q (sorted, the empty output left out)", got)
	}
	if got := (testkit.Inputs{}).Args(); !slices.Equal(got, []string{"deploy"}) {
		t.Errorf("the default command: %q", got)
	}
}

func TestWorkspace(t *testing.T) {
	t.Parallel()
	ws := testkit.NewWorkspace(t)
	dir := ws.Hello("fns/hello")
	if got := testkit.ZipNames(t, testkit.ZipDir(t, dir)); !slices.Equal(got, []string{"index.js", "package.json"}) {
		t.Errorf("the sample function holds %q", got)
	}
	ws.Sub("fns").Write("x/y.txt", "z")
	if ws.Read("fns/x/y.txt") != "z" {
		t.Errorf("Sub does not write inside the workspace")
	}
}

// TestGitHub: comments page with Link headers, are written by the token's
// user, and each endpoint can refuse or stall.
func TestGitHub(t *testing.T) {
	t.Parallel()
	g := testkit.NewGitHub(t, testkit.GitHubOptions{Owner: "o", Repo: "r", PR: 3, PageSize: 2, Prefix: "/api/v3"})
	for _, b := range []string{"a", "b", "c"} {
		g.Seed("octocat", b)
	}
	get := func(url string) (*http.Response, []map[string]any) {
		t.Helper()
		resp, err := http.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out []map[string]any
		_ = json.NewDecoder(resp.Body).Decode(&out)
		return resp, out
	}
	resp, page := get(g.URL + "/repos/o/r/issues/3/comments?per_page=100")
	if len(page) != 2 || !strings.Contains(resp.Header.Get("Link"), `page=2&per_page=2>; rel="next"`) {
		t.Errorf("page 1: %d comments, Link %q", len(page), resp.Header.Get("Link"))
	}
	if _, page = get(g.URL + "/repos/o/r/issues/3/comments?page=2"); len(page) != 1 || page[0]["body"] != "c" {
		t.Errorf("page 2: %v", page)
	}
	if !slices.Equal(g.Pages(), []int{1, 2}) {
		t.Errorf("Pages = %v", g.Pages())
	}
	if resp, _ := get(g.URL + "/user"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET /user with no Self: %d, want 403 like GITHUB_TOKEN", resp.StatusCode)
	}

	g.Fail(testkit.ListComments, 404, "Not Found", map[string]string{"X-Test": "1"})
	if resp, _ := get(g.URL + "/repos/o/r/issues/3/comments"); resp.StatusCode != 404 || resp.Header.Get("X-Test") != "1" {
		t.Errorf("a failed list: %d %v", resp.StatusCode, resp.Header)
	}

	g.Stall(testkit.CreateComment)
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, g.URL+"/repos/o/r/issues/3/comments", strings.NewReader(`{"body":"x"}`))
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("a stalled create answered: %v", err)
	}
	if n := g.Count(testkit.CreateComment); n != 1 || len(g.Comments()) != 3 {
		t.Errorf("%d creates seen, %d comments, want 1 and the 3 seeded", n, len(g.Comments()))
	}
}

// TestBufferWaitFor: WaitFor returns once a write matches, or ctx's error.
func TestBufferWaitFor(t *testing.T) {
	t.Parallel()
	var b testkit.Buffer
	go func() {
		_, _ = b.Write([]byte("listening on "))
		_, _ = b.Write([]byte("http://127.0.0.1:80\n"))
	}()
	m, err := b.WaitFor(t.Context(), regexp.MustCompile(`listening on (\S+)\n`))
	if err != nil || m[1] != "http://127.0.0.1:80" {
		t.Fatalf("WaitFor = %q, %v", m, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := b.WaitFor(ctx, regexp.MustCompile("never")); !errors.Is(err, context.Canceled) {
		t.Errorf("WaitFor on a cancelled context: %v", err)
	}
}
