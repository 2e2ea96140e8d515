package tencentcloud

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

// Secrets the tests give the backend; none may appear in an error.
const (
	testSecretID  = "AKIDtestsecretid0001"
	testSecretKey = "test-secret-key-0123456789"
	testToken     = "test-session-token-abcdef"
)

// apiRequest is one request the fake API received.
type apiRequest struct {
	Action, Version, Region, Token, Auth, Host, ContentType, Language string
	Body                                                              map[string]any
}

// answer is what the fake API answers: the Response object (RequestId is
// added when missing), or raw HTTP.
type answer any

type rawAnswer struct {
	status int
	body   string
	header map[string]string
}

// fakeAPI answers like the Tencent Cloud API: POST /, X-TC-Action, the
// {"Response":{...}} envelope, errors with HTTP 200.
type fakeAPI struct {
	t   *testing.T
	srv *httptest.Server

	mu     sync.Mutex
	reqs   []apiRequest
	counts map[string]int
	routes map[string]func(r apiRequest, n int) answer
}

func newFakeAPI(t *testing.T) *fakeAPI {
	t.Helper()
	f := &fakeAPI{t: t, counts: map[string]int{}, routes: map[string]func(apiRequest, int) answer{}}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

// on sets the answer for an action; n counts that action's calls from 1.
func (f *fakeAPI) on(action string, h func(r apiRequest, n int) answer) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.routes[action] = h
}

// always answers an action the same way every time.
func (f *fakeAPI) always(action string, a answer) {
	f.on(action, func(apiRequest, int) answer { return a })
}

func (f *fakeAPI) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	req := apiRequest{
		Action: r.Header.Get("X-TC-Action"), Version: r.Header.Get("X-TC-Version"), Region: r.Header.Get("X-TC-Region"),
		Token: r.Header.Get("X-TC-Token"), Auth: r.Header.Get("Authorization"), Host: r.Host, ContentType: r.Header.Get("Content-Type"),
		Language: r.Header.Get("X-TC-Language"),
	}
	if r.Method != http.MethodPost || r.URL.Path != "/" {
		f.t.Errorf("fake API: %s %s, want POST /", r.Method, r.URL.Path)
	}
	if err := json.Unmarshal(body, &req.Body); err != nil {
		f.t.Errorf("fake API: body is not JSON: %v", err)
	}
	f.mu.Lock()
	f.reqs = append(f.reqs, req)
	f.counts[req.Action]++
	n := f.counts[req.Action]
	h := f.routes[req.Action]
	f.mu.Unlock()
	var a answer = map[string]any{}
	if h != nil {
		a = h(req, n)
	}
	if raw, ok := a.(rawAnswer); ok {
		for k, v := range raw.header {
			w.Header().Set(k, v)
		}
		w.WriteHeader(raw.status)
		io.WriteString(w, raw.body)
		return
	}
	// A copy: always() hands the same map to concurrent requests.
	resp := map[string]any{}
	if m, ok := a.(map[string]any); ok {
		maps.Copy(resp, m)
	}
	if _, ok := resp["RequestId"]; !ok {
		resp["RequestId"] = fmt.Sprintf("req-%s-%d", req.Action, n)
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{"Response": resp})
}

// requests returns the requests received, optionally only those of some
// actions.
func (f *fakeAPI) requests(actions ...string) []apiRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []apiRequest
	for _, r := range f.reqs {
		if len(actions) == 0 || contains(actions, r.Action) {
			out = append(out, r)
		}
	}
	return out
}

func (f *fakeAPI) count(action string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counts[action]
}

// writes counts the requests that change something.
func (f *fakeAPI) writes() int {
	return len(f.requests("CreateFunction", "UpdateFunctionCode", "UpdateFunctionConfiguration", "CreateTrigger", "DeleteTrigger", "Invoke"))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func apiErr(code, msg string) answer {
	return map[string]any{"Error": map[string]any{"Code": code, "Message": msg}}
}

func fn(status string, extra map[string]any) answer {
	m := map[string]any{"FunctionName": "login", "Status": status, "Handler": "index.main", "Runtime": "Nodejs18.15",
		"Timeout": 3, "MemorySize": 128, "InstallDependency": "TRUE", "Environment": map[string]any{"Variables": []any{}}, "Triggers": []any{}}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

// fakeClock is the injected clock; Sleep advances it at once.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.sleeps = append(c.sleeps, d)
	return nil
}

func (c *fakeClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.sleeps...)
}

// kit is a Backend against a fake API, with a fake clock and a log.
type kit struct {
	api   *fakeAPI
	clock *fakeClock
	b     *Backend
	r     *redact.Redactor

	mu   sync.Mutex
	logs []string
}

func newKit(t *testing.T, mutate func(o *Options)) *kit {
	t.Helper()
	k := &kit{api: newFakeAPI(t), clock: newFakeClock(), r: redact.New()}
	o := Options{
		SecretID: testSecretID, SecretKey: testSecretKey,
		APIURL: k.api.srv.URL, Retries: 3, Timeout: 30 * time.Second,
		Redactor: k.r, Now: k.clock.Now, Sleep: k.clock.Sleep,
		Logf: func(format string, args ...any) {
			k.mu.Lock()
			defer k.mu.Unlock()
			k.logs = append(k.logs, fmt.Sprintf(format, args...))
		},
	}
	if mutate != nil {
		mutate(&o)
	}
	b, err := New(o)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	k.b = b
	return k
}

func (k *kit) log() string {
	k.mu.Lock()
	defer k.mu.Unlock()
	return strings.Join(k.logs, "\n")
}

func testZip(t *testing.T, content string) backend.Zip {
	t.Helper()
	sum := sha256.Sum256([]byte(content))
	return backend.Zip{R: bytes.NewReader([]byte(content)), Size: int64(len(content)), SHA256: hex.EncodeToString(sum[:])}
}

// noSecrets fails when s shows a secret the tests handed out.
func noSecrets(t *testing.T, s string, secrets ...string) {
	t.Helper()
	for _, sec := range append([]string{testSecretKey, testToken}, secrets...) {
		if sec != "" && strings.Contains(s, sec) {
			t.Errorf("secret %q leaked into %q", sec, s)
		}
	}
}

func intp(n int) *int    { return &n }
func boolp(b bool) *bool { return &b }
