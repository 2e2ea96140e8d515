package wxcloud

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
)

const (
	testToken     = "TOKEN-SECRET-123456"
	testComponent = "COMPONENT-TOKEN-987654"
	testAppSecret = "APPSECRET-abcdef-42"
	testTicket    = "TICKET-verify-7890"
)

// recorded is one request the fake API received.
type recorded struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   []byte
}

// fakeAPI is an httptest server with handlers under the vendor's paths that
// records every request.
type fakeAPI struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []recorded
}

func newFakeAPI(t *testing.T, routes map[string]http.HandlerFunc) *fakeAPI {
	t.Helper()
	f := &fakeAPI{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.reqs = append(f.reqs, recorded{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(), Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		h, ok := routes[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		h(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeAPI) requests(path string) []recorded {
	f.mu.Lock()
	defer f.mu.Unlock()
	var out []recorded
	for _, r := range f.reqs {
		if path == "" || r.Path == path {
			out = append(out, r)
		}
	}
	return out
}

// reply is one scripted answer.
type reply struct {
	status int // 0: 200
	body   string
	hijack bool // close the connection without answering
	stall  bool // answer nothing until the client gives up
}

// script answers the n-th request with replies[n], repeating the last one.
func script(replies ...reply) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		i := int(n.Add(1) - 1)
		rp := replies[min(i, len(replies)-1)]
		switch {
		case rp.hijack:
			conn, _, err := w.(http.Hijacker).Hijack()
			if err == nil {
				conn.Close()
			}
			return
		case rp.stall:
			<-r.Context().Done()
			return
		}
		if rp.status != 0 {
			w.WriteHeader(rp.status)
		}
		io.WriteString(w, rp.body)
	}
}

func ok(body string) reply { return reply{body: body} }

func noSleep(ctx context.Context, d time.Duration) error { return ctx.Err() }

// testClient talks to srv with no waiting between retries, with an access
// token and a component token.
func testClient(srv *fakeAPI, opts ...Option) *Client {
	base := []Option{
		WithBaseURL(srv.URL + "/"),
		WithSleep(noSleep),
		WithTimeout(5 * time.Second),
		WithTokens(StaticToken(testToken), StaticToken(testComponent)),
	}
	return NewClient(srv.Client(), append(base, opts...)...)
}

// zipOf is a package held in memory, as the tests' uploads send it.
func zipOf(b []byte) backend.Zip {
	return backend.Zip{R: bytes.NewReader(b), Size: int64(len(b))}
}

// logs collects log lines.
type logs struct {
	mu    sync.Mutex
	lines []string
}

func (l *logs) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logs) all() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines...)
}
