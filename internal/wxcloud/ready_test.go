package wxcloud

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
)

// fakeClock advances when slept on, so a readiness deadline passes without
// the test waiting.
type fakeClock struct {
	mu    sync.Mutex
	t     time.Time
	waits []time.Duration
	// onSleep, when set, runs at each sleep (a test cancels from it).
	onSleep func()
}

func newFakeClock() *fakeClock {
	return &fakeClock{t: time.Date(2024, 5, 1, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.waits = append(c.waits, d)
	f := c.onSleep
	c.mu.Unlock()
	if f != nil {
		f()
	}
	return ctx.Err()
}

func (c *fakeClock) slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.waits)
}

// zipWith makes a zip of files with one compression method.
func zipWith(t *testing.T, method uint16, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func shaOf(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

// readyAPI is a WeChat whose downloadfunction answers per env from a script
// of states: "" is "function not found", "busy" is "function is updating",
// "denied" is errcode 40001, "flaky" errcode -1, "empty" errcode 0
// without url or checksum, anything else a checksum whose code is served
// from /code/<checksum>. The last state repeats.
type readyAPI struct {
	*fakeAPI
	code map[string][]byte // checksum -> the zip served
}

func newReadyAPI(t *testing.T, states map[string][]string, code map[string][]byte) *readyAPI {
	t.Helper()
	var mu sync.Mutex
	seen := map[string]int{}
	download := func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Env  string `json:"env"`
			Name string `json:"function_name"`
		}
		json.NewDecoder(r.Body).Decode(&req)
		mu.Lock()
		list := states[req.Env]
		i := seen[req.Env]
		seen[req.Env]++
		mu.Unlock()
		if len(list) == 0 || req.Name != "login" {
			t.Errorf("downloadfunction asked about %q in env %q", req.Name, req.Env)
			return
		}
		switch st := list[min(i, len(list)-1)]; st {
		case "":
			io.WriteString(w, `{"errcode":-501000,"errmsg":"`+notFoundMsg+`"}`)
		case "busy":
			io.WriteString(w, `{"errcode":-501000,"errmsg":"[FailedOperation.FunctionStatusError] function is updating"}`)
		case "denied":
			io.WriteString(w, `{"errcode":40001,"errmsg":"invalid credential"}`)
		case "flaky":
			io.WriteString(w, `{"errcode":-1,"errmsg":"system error"}`)
		case "empty":
			io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
		default:
			fmt.Fprintf(w, `{"errcode":0,"errmsg":"ok","url":"http://%s/code/%s?sign=SIG","checksum":%q}`, r.Host, strings.ToLower(st), st)
		}
	}
	codeH := func(w http.ResponseWriter, r *http.Request) {
		z, ok := code[strings.TrimPrefix(r.URL.Path, "/code/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(z)
	}
	routes := map[string]http.HandlerFunc{"/tcb/downloadfunction": download}
	for sum := range code {
		routes["/code/"+sum] = codeH
	}
	return &readyAPI{fakeAPI: newFakeAPI(t, routes), code: code}
}

// fetches counts the code downloads.
func (a *readyAPI) fetches() int {
	n := 0
	for _, r := range a.requests("") {
		if strings.HasPrefix(r.Path, "/code/") {
			n++
		}
	}
	return n
}

func TestWaitReady(t *testing.T) {
	t.Parallel()
	files := map[string]string{"index.js": "exports.main = async () => 1\n", "package.json": `{"name":"login"}`}
	upload := zipWith(t, zip.Deflate, files)
	stored := zipWith(t, zip.Store, files) // the same files, zipped another way
	old := zipWith(t, zip.Deflate, map[string]string{"index.js": "exports.main = async () => 0\n"})
	wantSHA, storedSHA, oldSHA := shaOf(upload), shaOf(stored), shaOf(old)
	code := map[string][]byte{storedSHA: stored, oldSHA: old}
	const second = time.Second
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }

	tests := []struct {
		name    string
		states  []string
		timeout time.Duration // ReadyTimeout; 0 is the default
		// wantErr is "" for nil, else text the error must contain.
		wantErr   []string
		kind      backend.Kind
		downloads int
		fetches   int
		waits     []time.Duration
		// wantLog is text a log line must contain; "" wants no log.
		wantLog string
	}{
		{name: "confirmed at once, checksum lowercased",
			states: []string{strings.ToUpper(wantSHA)}, downloads: 1},
		{name: "appears after polls; an older checksum is fetched once",
			states:    []string{"", "", oldSHA, oldSHA, "busy", wantSHA},
			downloads: 6, fetches: 1, waits: []time.Duration{ms(250), ms(500), second, 2 * second, 2 * second}},
		{name: "checksum differs but same files",
			states: []string{storedSHA}, downloads: 1, fetches: 1},
		{name: "never appears: deploy failed at the deadline",
			states: []string{""}, timeout: 10 * second,
			wantErr:   []string{"WeChat answered errcode 0 for batchuploadscf of \"login\" to env \"dev-a\", but after 10 s downloadfunction reports no function"},
			kind:      backend.KindDeployFailed,
			downloads: 9,
			waits:     []time.Duration{ms(250), ms(500), second, 2 * second, 2 * second, 2 * second, 2 * second, ms(250)}},
		{name: "old code to the end: fetched once, named in the error",
			states: []string{oldSHA}, timeout: 5 * second,
			wantErr: []string{"after 5 s downloadfunction reports still the checksum " + oldSHA + ", not the uploaded code's " + wantSHA,
				"its files differ from the upload's"},
			kind: backend.KindDeployFailed, downloads: 6, fetches: 1,
			waits: []time.Duration{ms(250), ms(500), second, 2 * second, ms(1250)}},
		{name: "code that cannot be fetched: tried once, named in the error",
			states: []string{"deadbeef"}, timeout: second,
			wantErr: []string{"after 1 s downloadfunction reports still the checksum deadbeef", "could not be compared with the upload", "HTTP 404"},
			kind:    backend.KindDeployFailed, downloads: 4, fetches: 1, waits: []time.Duration{ms(250), ms(500), ms(250)}},
		{name: "downloadfunction unavailable from the start: cannot confirm, the batch answer stands",
			states: []string{"flaky"}, downloads: 1, wantLog: `login@dev-a: downloadfunction could not confirm the upload, reporting the batch call's answer: downloadfunction: errcode -1`},
		{name: "errcode 0 without url or checksum: cannot confirm",
			states: []string{"empty"}, downloads: 1, wantLog: "incomplete"},
		{name: "unavailable after a readable answer: a blip, polling goes on",
			states: []string{"", "flaky", wantSHA}, downloads: 3, waits: []time.Duration{ms(250), ms(500)}},
		{name: "unavailable after a busy answer: polling goes on",
			states: []string{"busy", "flaky", wantSHA}, downloads: 3, waits: []time.Duration{ms(250), ms(500)}},
		{name: "unavailable after a readable answer until the deadline",
			states: []string{"", "flaky"}, timeout: second,
			wantErr: []string{"after 1 s downloadfunction still answers downloadfunction: errcode -1"},
			kind:    backend.KindDeployFailed, downloads: 4, waits: []time.Duration{ms(250), ms(500), ms(250)}},
		{name: "denied ends it at once, kind and code kept",
			states:  []string{"", "denied"},
			wantErr: []string{`confirming the upload of "login" to env "dev-a"`, "errcode 40001"},
			kind:    backend.KindDenied, downloads: 2, waits: []time.Duration{ms(250)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			api := newReadyAPI(t, map[string][]string{"dev-a": tt.states}, code)
			clock := newFakeClock()
			var l logs
			c := testClient(api.fakeAPI, WithClock(clock.now), WithSleep(clock.sleep), WithRetries(0), WithLogf(l.logf))
			b := NewBackend(c, BackendOptions{ReadyTimeout: tt.timeout})
			b.uploads.Store(uploadKey("login", "dev-a"), b.CallName(backend.Create))

			err := b.WaitReady(context.Background(), "login", "dev-a", backend.Zip{R: bytes.NewReader(upload), Size: int64(len(upload)), SHA256: wantSHA})

			if len(tt.wantErr) == 0 && err != nil {
				t.Fatalf("WaitReady = %v, want nil", err)
			}
			if len(tt.wantErr) > 0 {
				if err == nil {
					t.Fatal("WaitReady = nil, want an error")
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if k := backend.KindOf(err); k != tt.kind {
					t.Errorf("kind = %v, want %v", k, tt.kind)
				}
			}
			if tt.kind == backend.KindDenied {
				if code, _ := backend.CodeOf(err); code != 40001 {
					t.Errorf("code = %d, want 40001 kept through the wrap", code)
				}
			}
			downloads := api.requests("/tcb/downloadfunction")
			if len(downloads) != tt.downloads {
				t.Errorf("%d downloadfunction calls, want %d", len(downloads), tt.downloads)
			}
			for _, r := range downloads {
				if r.Query.Get("access_token") != testToken {
					t.Errorf("downloadfunction sent token %q, want the access token", r.Query.Get("access_token"))
				}
			}
			if n := api.fetches(); n != tt.fetches {
				t.Errorf("%d code fetches, want %d", n, tt.fetches)
			}
			if got := clock.slept(); !slices.Equal(got, tt.waits) {
				t.Errorf("waits = %v, want %v", got, tt.waits)
			}
			lines := l.all()
			if tt.wantLog == "" && len(lines) > 0 {
				t.Errorf("logged %q, want nothing", lines)
			}
			if tt.wantLog != "" && !slices.ContainsFunc(lines, func(s string) bool { return strings.Contains(s, tt.wantLog) }) {
				t.Errorf("log %q lacks %q", lines, tt.wantLog)
			}
		})
	}
}

func TestWaitReadyNoAccessToken(t *testing.T) {
	t.Parallel()
	api := newReadyAPI(t, map[string][]string{"dev-a": {""}}, nil)
	c := testClient(api.fakeAPI, WithTokens(nil, StaticToken(testComponent)))
	if err := NewBackend(c, BackendOptions{}).WaitReady(context.Background(), "login", "dev-a", zipOf([]byte("z"))); err != nil {
		t.Errorf("WaitReady = %v, want nil: without an access token there is no probe", err)
	}
	if n := len(api.requests("")); n != 0 {
		t.Errorf("sent %d requests, want none", n)
	}
}

func TestWaitReadyCancel(t *testing.T) {
	t.Parallel()
	t.Run("before", func(t *testing.T) {
		t.Parallel()
		api := newReadyAPI(t, map[string][]string{"dev-a": {""}}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := NewBackend(testClient(api.fakeAPI), BackendOptions{}).WaitReady(ctx, "login", "dev-a", zipOf([]byte("z")))
		if backend.KindOf(err) != backend.KindCancelled {
			t.Errorf("WaitReady = %v (%v), want a cancelled error", err, backend.KindOf(err))
		}
		if n := len(api.requests("")); n != 0 {
			t.Errorf("sent %d requests after the cancel", n)
		}
	})
	t.Run("while waiting", func(t *testing.T) {
		t.Parallel()
		api := newReadyAPI(t, map[string][]string{"dev-a": {""}}, nil)
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		clock := newFakeClock()
		clock.onSleep = cancel
		c := testClient(api.fakeAPI, WithClock(clock.now), WithSleep(clock.sleep))
		err := NewBackend(c, BackendOptions{}).WaitReady(ctx, "login", "dev-a", zipOf([]byte("z")))
		if backend.KindOf(err) != backend.KindCancelled || !strings.Contains(err.Error(), "interrupted") {
			t.Errorf("WaitReady = %v (%v), want a cancelled error", err, backend.KindOf(err))
		}
		if n := len(api.requests("")); n != 1 {
			t.Errorf("sent %d requests, want 1 (none after the cancel)", n)
		}
	})
}

// TestWaitReadySharesComparisons: envs reporting the same checksum for the
// same upload fetch its code once between them.
func TestWaitReadySharesComparisons(t *testing.T) {
	t.Parallel()
	files := map[string]string{"index.js": "exports.main = async () => 1\n"}
	upload, stored := zipWith(t, zip.Deflate, files), zipWith(t, zip.Store, files)
	envs := []string{"dev-a", "dev-b", "dev-c", "dev-d"}
	states := map[string][]string{}
	for _, e := range envs {
		states[e] = []string{shaOf(stored)}
	}
	api := newReadyAPI(t, states, map[string][]byte{shaOf(stored): stored})
	b := NewBackend(testClient(api.fakeAPI), BackendOptions{})
	var wg sync.WaitGroup
	for _, e := range envs {
		wg.Go(func() {
			if err := b.WaitReady(context.Background(), "login", e, backend.Zip{R: bytes.NewReader(upload), Size: int64(len(upload)), SHA256: shaOf(upload)}); err != nil {
				t.Errorf("%s: %v", e, err)
			}
		})
	}
	wg.Wait()
	if n := api.fetches(); n != 1 {
		t.Errorf("%d code fetches for %d envs on one checksum, want 1", n, len(envs))
	}
}
