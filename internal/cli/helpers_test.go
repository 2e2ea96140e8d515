package cli_test

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
)

// The real webhook payloads (testdata/events at the repository root) fix what
// the fake GitHub expects: the pull_request payload is PR #2 of
// Codertocat/Hello-World at this head commit.
const (
	prOwner   = "Codertocat"
	prRepo    = "Hello-World"
	prNumber  = "2"
	prHeadSHA = "ec26c3e57ca3a959ca5aad62de7213c562f8c821"
	// mergeSHA is GITHUB_SHA of a pull_request run: the merge commit nobody
	// pushed, which the comment must not name.
	mergeSHA = "9f1d2c3b4a5e6f708192a3b4c5d6e7f809a1b2c3"

	workflowName = "deploy"
	jobName      = "functions"
	serverURL    = "https://github.com"
	runID        = "4242"

	// emuToken is what the emulator accepts. It is distinctive, but not one of
	// the secrets the secrets test hunts for.
	emuToken = "emu-accepted-token-3c5e"
	ghToken  = "ghs_plain_test_token"

	pathBatchCreate = "/componenttcb/batchuploadscf"
)

var (
	repoTestdata = filepath.Join("..", "..", "testdata")
	helloSrc     = filepath.Join(repoTestdata, "functions", "hello")
)

func eventPath(name string) string {
	p, err := filepath.Abs(filepath.Join(repoTestdata, "events", name+".json"))
	if err != nil {
		panic(err)
	}
	return p
}

// ---- files -----------------------------------------------------------------

// copyDir copies the regular files of src (the sample function is flat).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatalf("reading %s: %v", src, err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, filepath.Join(dst, e.Name()), string(data))
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("reading %s: %v", path, err)
	}
	return string(data)
}

func sha256Hex(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

// zipNames lists the entries of a zip archive.
func zipNames(t *testing.T, data []byte) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatalf("not a zip: %v", err)
	}
	var names []string
	for _, f := range zr.File {
		names = append(names, f.Name)
	}
	sort.Strings(names)
	return names
}

// zipDir zips the regular files of dir (flat), for seeding the emulator
// with code deployed by "someone else".
func zipDir(t *testing.T, dir string) []byte {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		w, err := zw.Create(e.Name())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(readFile(t, filepath.Join(dir, e.Name())))); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ---- the WeChat side ---------------------------------------------------------

// newEmulator serves an emulator in echo mode (no node: fast, deterministic)
// on loopback. wrap, when set, sits in front of it.
func newEmulator(t *testing.T, wrap func(http.Handler) http.Handler) (*emulator.Server, *httptest.Server) {
	t.Helper()
	emu := emulator.New(emulator.Options{Token: emuToken, Node: "-"})
	var h http.Handler = emu
	if wrap != nil {
		h = wrap(emu)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return emu, srv
}

// ---- the GitHub side ---------------------------------------------------------

type ghComment struct {
	ID   int64  `json:"id"`
	Body string `json:"body"`
	URL  string `json:"html_url"`
}

// ghRequest is one request the fake GitHub received.
type ghRequest struct {
	Method, Path, Auth string
	// Body is the comment body sent by a create or an edit.
	Body string
}

// fakeGitHub emulates the issue-comment endpoints of the REST API for the
// pull request of the pull_request payload (adapted from
// internal/ghcomment/fake_test.go). Any other request is recorded and fails
// the test.
type fakeGitHub struct {
	t *testing.T

	mu       sync.Mutex
	comments []ghComment
	nextID   int64
	requests []ghRequest
	// fail answers the given method ("GET", "POST", "PATCH") instead of the
	// emulation.
	fail map[string]func(w http.ResponseWriter)
}

func newFakeGitHub(t *testing.T) (*fakeGitHub, *httptest.Server) {
	t.Helper()
	f := &fakeGitHub{t: t, nextID: 1000, fail: map[string]func(http.ResponseWriter){}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /repos/{owner}/{repo}/issues/{number}/comments", f.list)
	mux.HandleFunc("POST /repos/{owner}/{repo}/issues/{number}/comments", f.create)
	mux.HandleFunc("PATCH /repos/{owner}/{repo}/issues/comments/{id}", f.edit)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.requests = append(f.requests, ghRequest{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization")})
		f.mu.Unlock()
		t.Errorf("fake GitHub: unexpected request %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv
}

// failWith makes GitHub answer method with status and its usual error body.
func (f *fakeGitHub) failWith(method string, status int, msg string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail[method] = func(w http.ResponseWriter) {
		writeJSON(w, status, map[string]string{"message": msg, "documentation_url": "https://docs.github.com/rest"})
	}
}

func (f *fakeGitHub) snapshot() (reqs []ghRequest, comments []ghComment) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]ghRequest(nil), f.requests...), append([]ghComment(nil), f.comments...)
}

func (f *fakeGitHub) count(method string) int {
	reqs, _ := f.snapshot()
	n := 0
	for _, r := range reqs {
		if r.Method == method {
			n++
		}
	}
	return n
}

// common records r and checks it is about our pull request; it reports
// whether the emulation should answer.
func (f *fakeGitHub) common(w http.ResponseWriter, r *http.Request, body string) bool {
	f.requests = append(f.requests, ghRequest{Method: r.Method, Path: r.URL.Path, Auth: r.Header.Get("Authorization"), Body: body})
	if r.PathValue("owner") != prOwner || r.PathValue("repo") != prRepo {
		f.t.Errorf("fake GitHub: %s %s: wrong repository (want %s/%s)", r.Method, r.URL.Path, prOwner, prRepo)
	}
	if n := r.PathValue("number"); n != "" && n != prNumber {
		f.t.Errorf("fake GitHub: %s %s: wrong pull request %s (want %s)", r.Method, r.URL.Path, n, prNumber)
	}
	if fail := f.fail[r.Method]; fail != nil {
		fail(w)
		return false
	}
	return true
}

func (f *fakeGitHub) list(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.common(w, r, "") {
		return
	}
	writeJSON(w, http.StatusOK, f.comments)
}

func decodeBody(t *testing.T, r *http.Request) string {
	var in struct {
		Body string `json:"body"`
	}
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		t.Errorf("fake GitHub: %s %s: decoding the body: %v", r.Method, r.URL.Path, err)
	}
	return in.Body
}

func (f *fakeGitHub) create(w http.ResponseWriter, r *http.Request) {
	body := decodeBody(f.t, r)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.common(w, r, body) {
		return
	}
	f.nextID++
	c := ghComment{ID: f.nextID, Body: body,
		URL: fmt.Sprintf("https://github.com/%s/%s/pull/%s#issuecomment-%d", prOwner, prRepo, prNumber, f.nextID)}
	f.comments = append(f.comments, c)
	writeJSON(w, http.StatusCreated, c)
}

func (f *fakeGitHub) edit(w http.ResponseWriter, r *http.Request) {
	body := decodeBody(f.t, r)
	f.mu.Lock()
	defer f.mu.Unlock()
	if !f.common(w, r, body) {
		return
	}
	id, _ := strconv.ParseInt(r.PathValue("id"), 10, 64)
	for i := range f.comments {
		if f.comments[i].ID == id {
			f.comments[i].Body = body
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

// ---- running the program -------------------------------------------------------

// lockedBuffer: the program writes from several goroutines.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// outcome is what one run produced.
type outcome struct {
	code           int
	stdout, stderr string
	// outputFile and summary are the raw $GITHUB_OUTPUT and
	// $GITHUB_STEP_SUMMARY files ("" in CLI mode).
	outputFile, summary string
	outputs             map[string]string
}

func (o outcome) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s\n--- stderr:\n%s\n--- GITHUB_OUTPUT:\n%s\n--- summary:\n%s", o.code, o.stdout, o.stderr, o.outputFile, o.summary)
}

// testCtx bounds a run: a hang fails the test instead of the whole package.
func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// action is one simulated GitHub Actions job step: a workspace, the runner's
// variables and the fakes on both sides.
type action struct {
	t         *testing.T
	workspace string
	env       map[string]string
	emu       *emulator.Server
	api       *httptest.Server
	gh        *fakeGitHub
	ghAPI     *httptest.Server
}

// newAction prepares a job triggered by event (a payload name under
// testdata/events) with the hello function copied to GITHUB_WORKSPACE/hello
// and the inputs of a one-function deploy to two envs.
func newAction(t *testing.T, event string) *action {
	t.Helper()
	a := &action{t: t, workspace: t.TempDir()}
	copyDir(t, helloSrc, filepath.Join(a.workspace, "hello"))
	a.emu, a.api = newEmulator(t, nil)
	a.gh, a.ghAPI = newFakeGitHub(t)
	repo := prOwner + "/" + prRepo
	if event == "workflow_dispatch" {
		repo = "octo-org/octo-repo" // that payload's repository
	}
	a.env = map[string]string{
		"GITHUB_ACTIONS":    "true",
		"GITHUB_WORKSPACE":  a.workspace,
		"GITHUB_EVENT_NAME": event,
		"GITHUB_EVENT_PATH": eventPath(event),
		"GITHUB_REPOSITORY": repo,
		"GITHUB_SHA":        mergeSHA,
		"GITHUB_SERVER_URL": serverURL,
		"GITHUB_API_URL":    a.ghAPI.URL,
		"GITHUB_RUN_ID":     runID,
		"GITHUB_WORKFLOW":   workflowName,
		"GITHUB_JOB":        jobName,

		"INPUT_FUNCTION-NAME": "hello",
		"INPUT_PATH":          "hello",
		"INPUT_ENVS":          "dev-a1,dev-b2",
		"INPUT_API-BASE-URL":  a.api.URL,
		"INPUT_ACCESS-TOKEN":  emuToken,
		"INPUT_GITHUB-TOKEN":  ghToken,
		"INPUT_RETRIES":       "0",
		"INPUT_TIMEOUT":       "10s",
	}
	return a
}

// set sets inputs and variables; "" deletes one (an absent input).
func (a *action) set(kv ...string) *action {
	for i := 0; i+1 < len(kv); i += 2 {
		if kv[i+1] == "" {
			delete(a.env, kv[i])
			continue
		}
		a.env[kv[i]] = kv[i+1]
	}
	return a
}

// run runs the step with fresh $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY
// files, as every step of a real job gets.
func (a *action) run() outcome {
	a.t.Helper()
	dir := a.t.TempDir()
	out, sum := filepath.Join(dir, "output"), filepath.Join(dir, "summary")
	for _, p := range []string{out, sum} {
		writeFile(a.t, p, "")
	}
	env := map[string]string{"GITHUB_OUTPUT": out, "GITHUB_STEP_SUMMARY": sum}
	for k, v := range a.env {
		env[k] = v
	}
	var stdout, stderr lockedBuffer
	code := cli.Main(testCtx(a.t), nil, func(k string) string { return env[k] }, &stdout, &stderr)
	o := outcome{code: code, stdout: stdout.String(), stderr: stderr.String(),
		outputFile: readFile(a.t, out), summary: readFile(a.t, sum)}
	var err error
	o.outputs, err = parseOutputs(o.outputFile)
	if err != nil {
		a.t.Errorf("GITHUB_OUTPUT: %v\n%s", err, o.outputFile)
	}
	return o
}

// runCLI runs the program as a terminal command: only GITHUB_WORKSPACE (the
// default of --workspace) comes from the environment.
func runCLI(t *testing.T, env map[string]string, args ...string) outcome {
	t.Helper()
	var stdout, stderr lockedBuffer
	code := cli.Main(testCtx(t), args, func(k string) string { return env[k] }, &stdout, &stderr)
	return outcome{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// parseOutputs reads a $GITHUB_OUTPUT file the way the runner does: lines
// "name=value" and heredocs "name<<DELIM", value lines, "DELIM". An output
// set twice is an error: the runner would keep the last and hide the first.
func parseOutputs(text string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	set := func(name, value string) error {
		if _, dup := out[name]; dup {
			return fmt.Errorf("output %q is set twice", name)
		}
		out[name] = value
		return nil
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var value []string
			closed := false
			for sc.Scan() {
				if sc.Text() == delim {
					closed = true
					break
				}
				value = append(value, sc.Text())
			}
			if !closed {
				return nil, fmt.Errorf("output %q: heredoc delimiter %q never closes", name, delim)
			}
			if err := set(name, strings.Join(value, "\n")); err != nil {
				return nil, err
			}
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %q is neither name=value nor name<<DELIMITER", line)
		}
		if err := set(name, value); err != nil {
			return nil, err
		}
	}
	return out, sc.Err()
}

// commandLines returns the workflow commands "::name ...::message" of stdout
// whose name is one of names.
func commandLines(stdout string, names ...string) []string {
	var out []string
	for _, line := range strings.Split(stdout, "\n") {
		for _, n := range names {
			if strings.HasPrefix(line, "::"+n+"::") || strings.HasPrefix(line, "::"+n+" ") {
				out = append(out, line)
			}
		}
	}
	return out
}

// contractResult is the results object of CONTRACT.md, and nothing more.
type contractResult struct {
	Function string          `json:"function"`
	Env      string          `json:"env"`
	Action   string          `json:"action"`
	Errcode  int             `json:"errcode"`
	Error    string          `json:"error"`
	SHA256   string          `json:"sha256"`
	Invoke   *contractInvoke `json:"invoke"`
}

type contractInvoke struct {
	OK       bool   `json:"ok"`
	RespData string `json:"resp_data"`
	Error    string `json:"error"`
	MS       int64  `json:"ms"`
}

// decodeResults parses a results array and checks every object carries the
// contract's always-present keys, and invoke exactly when wantInvoke.
func decodeResults(t *testing.T, data string, wantInvoke bool) []contractResult {
	t.Helper()
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(data), &raw); err != nil {
		t.Fatalf("results is not a JSON array of objects: %v\n%s", err, data)
	}
	var res []contractResult
	if err := json.Unmarshal([]byte(data), &res); err != nil {
		t.Fatalf("results does not match the contract's types: %v\n%s", err, data)
	}
	for i, obj := range raw {
		for _, k := range []string{"function", "env", "action", "errcode", "error", "sha256"} {
			if _, ok := obj[k]; !ok {
				t.Errorf("result %d lacks %q: %s", i, k, data)
			}
		}
		if _, ok := obj["invoke"]; ok != wantInvoke {
			t.Errorf("result %d: invoke present = %v, want %v (present only when a smoke test ran)", i, ok, wantInvoke)
		}
	}
	return res
}
