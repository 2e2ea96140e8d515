package wxcloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/httpx"
)

// TestRedirectsRefused: a server that redirects elsewhere never gets the
// token or the zip re-sent to the other origin, whatever http.Client the
// caller handed in.
func TestRedirectsRefused(t *testing.T) {
	t.Parallel()
	var otherHits atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		otherHits.Add(1)
		io.WriteString(w, `{"errcode":0,"errmsg":"ok","url":"https://x/y","checksum":"ab"}`)
	}))
	defer other.Close()
	otherHost := strings.TrimPrefix(other.URL, "http://")

	var apiHits atomic.Int32
	mux := http.NewServeMux()
	mux.HandleFunc("/componenttcb/batchuploadscf", func(w http.ResponseWriter, r *http.Request) {
		apiHits.Add(1)
		http.Redirect(w, r, other.URL+r.URL.RequestURI(), http.StatusTemporaryRedirect)
	})
	mux.HandleFunc("/tcb/downloadfunction", func(w http.ResponseWriter, r *http.Request) {
		apiHits.Add(1)
		http.Redirect(w, r, "http://"+r.Host+r.URL.RequestURI(), http.StatusFound)
	})
	mux.HandleFunc("/tcb/createfunction", func(w http.ResponseWriter, r *http.Request) {
		apiHits.Add(1)
		http.Redirect(w, r, "/tcb/createfunction2?"+r.URL.RawQuery, http.StatusPermanentRedirect)
	})
	var sameOriginBody string
	mux.HandleFunc("/tcb/createfunction2", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sameOriginBody = string(b)
		io.WriteString(w, `{"errcode":0}`)
	})
	api := httptest.NewTLSServer(mux)
	defer api.Close()
	apiHost := strings.TrimPrefix(api.URL, "https://")

	// api.Client() follows redirects by default: the client must not.
	c := NewClient(api.Client(), WithBaseURL(api.URL), WithSleep(noSleep), WithTimeout(5*time.Second),
		WithTokens(StaticToken(testToken), StaticToken(testComponent)))
	b := NewBackend(c, BackendOptions{})

	t.Run("cross-origin", func(t *testing.T) {
		out := b.Upload(context.Background(), backend.UploadRequest{Op: backend.Create, Function: "f", Envs: []string{"dev-a"}, Zip: zipOf([]byte("z"))})
		err := out[0].Err
		var re *httpx.RedirectError
		if !errors.As(err, &re) || !strings.Contains(err.Error(), "to http://"+otherHost+": refused") {
			t.Fatalf("err = %v, want a refused redirect naming %s", err, otherHost)
		}
		if k := backend.KindOf(err); k != backend.KindOther {
			t.Errorf("kind %v, want other", k)
		}
		if strings.Contains(err.Error(), "may or may not") || strings.Contains(err.Error(), testComponent) {
			t.Errorf("err = %v", err)
		}
	})
	t.Run("https to http", func(t *testing.T) {
		_, err := b.Probe(context.Background(), "f", "dev-a")
		if err == nil || !strings.Contains(err.Error(), "to http://"+apiHost+": refused") {
			t.Fatalf("err = %v, want a refused downgrade", err)
		}
		if strings.Contains(err.Error(), testToken) {
			t.Errorf("err leaks the token: %v", err)
		}
	})
	t.Run("same origin is followed with the body", func(t *testing.T) {
		if err := b.CreateEmpty(context.Background(), "f", "dev-a"); err != nil {
			t.Fatal(err)
		}
		if sameOriginBody != `{"env":"dev-a","function_name":"f"}` {
			t.Errorf("the redirected request's body = %q", sameOriginBody)
		}
	})
	if n := otherHits.Load(); n != 0 {
		t.Errorf("the other origin got %d requests", n)
	}
	if n := apiHits.Load(); n != 3 {
		t.Errorf("the API got %d requests, want 3 (a refused redirect is not retried)", n)
	}
}

// TestGuardedTransportKept: a client handed the run's guarded transport
// keeps it (and its limiter) rather than wrapping it again.
func TestGuardedTransportKept(t *testing.T) {
	t.Parallel()
	gt := &httpx.Transport{}
	c := NewClient(httpx.NewClient(gt))
	if c.hc.Transport != gt {
		t.Errorf("transport = %T %p, want the one handed in", c.hc.Transport, c.hc.Transport)
	}
	plain := NewClient(&http.Client{Transport: http.DefaultTransport})
	if g, ok := plain.hc.Transport.(*httpx.Transport); !ok || g.Base != http.DefaultTransport || plain.hc.CheckRedirect == nil {
		t.Errorf("a plain client is not guarded: %#v", plain.hc)
	}
}

// sleepLog records the waits of a client's retries.
type sleepLog struct {
	mu    sync.Mutex
	waits []time.Duration
}

func (s *sleepLog) sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.waits = append(s.waits, d)
	return ctx.Err()
}

func (s *sleepLog) all() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return fmt.Sprint(s.waits)
}

func TestThrottling(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	const okBody = `{"errcode":0,"errmsg":"ok","url":"https://x/y","checksum":"ab"}`
	tooMany := func(retryAfter string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if retryAfter != "" {
				w.Header().Set("Retry-After", retryAfter)
			}
			w.WriteHeader(http.StatusTooManyRequests)
		}
	}
	tests := []struct {
		name      string
		first     http.HandlerFunc // the first answer; later ones are okBody unless always
		always    bool
		timeout   time.Duration
		wantWaits string
		wantSends int
		kind      backend.Kind // when the call fails
		wantMsg   string
	}{
		{name: "429 honours Retry-After seconds", first: tooMany("7"), wantWaits: "[7s]", wantSends: 2},
		{name: "429 honours a Retry-After date", first: tooMany(now.Add(90 * time.Second).Format(http.TimeFormat)), timeout: 2 * time.Minute, wantWaits: "[1m30s]", wantSends: 2},
		{name: "429 without Retry-After backs off", first: tooMany(""), wantWaits: "[250ms]", wantSends: 2},
		{name: "Retry-After beyond the timeout budget stops", first: tooMany("120"), always: true, timeout: time.Minute,
			wantWaits: "[]", wantSends: 1, kind: backend.KindBusy, wantMsg: "HTTP 429 Too Many Requests (the API is throttling this client: lower max-rps or concurrency)"},
		{name: "429 throughout is busy", first: tooMany("1"), always: true,
			wantWaits: "[1s 1s 1s]", wantSends: 4, kind: backend.KindBusy, wantMsg: "gave up after 4 attempts"},
		{name: "45011 retried with backoff", first: script(ok(`{"errcode":45011,"errmsg":"api minute-quota reach limit mustslower retry next minute"}`)),
			wantWaits: "[250ms]", wantSends: 2},
		{name: "45011 throughout is busy, with its hint", first: script(ok(`{"errcode":45011,"errmsg":"api minute-quota reach limit mustslower retry next minute"}`)), always: true,
			wantWaits: "[250ms 500ms 1s]", wantSends: 4, kind: backend.KindBusy, wantMsg: "per-minute call frequency limit"},
		{name: "45009 retried with backoff", first: script(ok(`{"errcode":45009,"errmsg":"reach max api daily quota limit"}`)),
			wantWaits: "[250ms]", wantSends: 2},
		{name: "503 honours Retry-After", first: func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "3")
			w.WriteHeader(503)
		}, wantWaits: "[3s]", wantSends: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var n atomic.Int32
			srv := newFakeAPI(t, map[string]http.HandlerFunc{"/tcb/downloadfunction": func(w http.ResponseWriter, r *http.Request) {
				if n.Add(1) == 1 || tt.always {
					tt.first(w, r)
					return
				}
				io.WriteString(w, okBody)
			}})
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 30 * time.Second
			}
			var sl sleepLog
			c := testClient(srv, WithSleep(sl.sleep), WithRand(func() float64 { return 0.5 }), WithTimeout(timeout),
				WithClock(func() time.Time { return now }))
			_, err := NewBackend(c, BackendOptions{}).Probe(context.Background(), "f", "dev-a")
			if got := sl.all(); got != tt.wantWaits {
				t.Errorf("waits %s, want %s", got, tt.wantWaits)
			}
			if got := len(srv.requests("")); got != tt.wantSends {
				t.Errorf("sent %d requests, want %d", got, tt.wantSends)
			}
			if tt.wantMsg == "" {
				if err != nil {
					t.Fatalf("err = %v, want success after the retry", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantMsg) {
				t.Fatalf("err = %v, want %q", err, tt.wantMsg)
			}
			if k := backend.KindOf(err); k != tt.kind {
				t.Errorf("kind %v, want %v", k, tt.kind)
			}
		})
	}
}

// TestSnippetRedactsBeforeCutting: a body quoted in an error is redacted
// whole with the client's Redactor before it is cut to 80 characters, so a
// token straddling the cut leaves no prefix behind.
func TestSnippetRedactsBeforeCutting(t *testing.T) {
	t.Parallel()
	pad := strings.Repeat("x", 80-6-8) // the token starts 8 characters before the cut
	tests := []struct {
		name  string
		reply reply
	}{
		{"HTML with HTTP 200", ok("<html>" + pad + testToken + "</html>")},
		{"truncated JSON", ok(`{"e":"` + pad + testToken + `","errmsg":"x`)},
		{"JSON error status", reply{status: 400, body: `{"e":"` + pad + testToken + `"}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeAPI(t, map[string]http.HandlerFunc{"/tcb/createfunction": script(tt.reply)})
			err := testClient(srv, WithRetries(0)).CreateFunction(context.Background(), "e", "f")
			if err == nil {
				t.Fatal("want an error")
			}
			msg := fmt.Sprintf("%v %+v", err, err)
			if strings.Contains(msg, testToken[:8]) {
				t.Errorf("the error keeps the token's first characters: %s", msg)
			}
			if !strings.Contains(msg, pad[:20]) {
				t.Errorf("the error does not quote the body: %s", msg)
			}
		})
	}
}

// TestRateLimitedUploadNotSent: an upload the run's max-rps limiter kept in
// (httpx.NotSentError) never left, so its error does not say "may or may not
// have been applied" and is not a lost answer, unless an earlier attempt of
// the same call did lose its answer.
func TestRateLimitedUploadNotSent(t *testing.T) {
	t.Parallel()
	const maybe = "may or may not have been applied"
	tests := []struct {
		name string
		// limiter is the run's; spent takes its one token before the call.
		every  time.Duration
		spent  bool
		cancel time.Duration // cancel the call after this long; 0: never
		first  reply         // the answer to a request that gets out
		kind   backend.Kind
		lost   bool // a *TransportError with AnswerLost, maybe in the message
		sends  int
		want   []string
		not    []string
	}{
		{name: "no slot before the attempt's deadline", every: time.Hour, spent: true,
			kind: backend.KindBusy, sends: 0,
			want: []string{"max-rps", "nothing was sent", "gave up after 3 attempts"},
			not:  []string{maybe, "network error", "gateway caps", testComponent}},
		{name: "cancelled while waiting for a slot", every: 10 * time.Second, spent: true, cancel: 20 * time.Millisecond,
			kind: backend.KindCancelled, sends: 0,
			want: []string{"interrupted"},
			not:  []string{maybe, "network error", testComponent}},
		{name: "a lost answer before the limiter kept the retry in", every: time.Hour, first: reply{status: 502, body: "<html>502</html>"},
			kind: backend.KindUnreachable, lost: true, sends: 1,
			want: []string{"max-rps", maybe},
			not:  []string{testComponent}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeAPI(t, map[string]http.HandlerFunc{"/componenttcb/batchuploadscfcode": script(tt.first)})
			lim := rate.NewLimiter(rate.Every(tt.every), 1)
			if tt.spent && !lim.Allow() {
				t.Fatal("the limiter had no token to spend")
			}
			tr := &httpx.Transport{Base: srv.Client().Transport, Limiter: lim}
			c := NewClient(httpx.NewClient(tr), WithBaseURL(srv.URL), WithSleep(noSleep), WithRetries(2),
				WithTimeout(time.Minute), WithTokens(StaticToken(testToken), StaticToken(testComponent)))
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel > 0 {
				time.AfterFunc(tt.cancel, cancel)
			}
			out := NewBackend(c, BackendOptions{}).Upload(ctx, backend.UploadRequest{Op: backend.Update, Function: "f", Envs: []string{"dev-a"}, Zip: zipOf([]byte("z"))})
			if n := len(srv.requests("")); n != tt.sends {
				t.Errorf("sent %d requests, want %d", n, tt.sends)
			}
			if len(out) != 1 || out[0].Err == nil || out[0].PerEnv {
				t.Fatalf("outcomes %+v, want one whole-call failure", out)
			}
			err := out[0].Err
			if k := backend.KindOf(err); k != tt.kind {
				t.Errorf("kind %v, want %v (%v)", k, tt.kind, err)
			}
			var te *TransportError
			if lost := errors.As(err, &te) && te.AnswerLost; lost != tt.lost {
				t.Errorf("answer lost = %v, want %v (%v)", lost, tt.lost, err)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("%q lacks %q", err, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(err.Error(), n) {
					t.Errorf("%q says %q", err, n)
				}
			}
		})
	}
}
