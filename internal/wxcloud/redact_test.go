package wxcloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

var testSecrets = []string{testToken, testComponent, testAppSecret, testTicket}

func assertClean(t *testing.T, what, s string) {
	t.Helper()
	for _, secret := range append(testSecrets, url.QueryEscape(testToken)) {
		if strings.Contains(s, secret) {
			t.Errorf("%s leaks %q: %s", what, secret, s)
		}
	}
}

// TestNoSecretsInErrors drives every failure through a client that knows the
// token, app secret and verify ticket, and checks no message contains them.
func TestNoSecretsInErrors(t *testing.T) {
	t.Parallel()
	closed := newFakeAPI(t, nil)
	closedURL := closed.URL
	closed.Close()

	echo := func(code int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, `{"errcode":%d,"errmsg":"bad token %s in %s"}`, code, r.URL.Query().Get("access_token"), r.URL.String())
		}
	}
	tests := []struct {
		name     string
		handler  http.HandlerFunc
		base     string // overrides the server
		timeout  time.Duration
		deadline bool // errors.Is(err, context.DeadlineExceeded)
	}{
		{name: "closed server (real url.Error)", base: closedURL},
		{name: "stalled server timeout", handler: script(reply{stall: true}), timeout: 50 * time.Millisecond, deadline: true},
		{name: "HTTP 502", handler: script(reply{status: 502, body: "<html>gateway " + testToken + "</html>"})},
		{name: "HTTP 400 echoing the URL", handler: func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"errcode":40001,"errmsg":"%s"}`, r.URL.String())
		}},
		{name: "APIError echoing the token", handler: echo(40014)},
		{name: "transient APIError echoing the token", handler: echo(-1)},
		{name: "42001 echoing the token", handler: echo(42001)},
		{name: "non-JSON body echoing the token", handler: func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprintf(w, "<html>%s %s %s</html>", r.URL.Query().Get("access_token"), testAppSecret, testTicket)
		}},
		{name: "connection reset", handler: script(reply{hijack: true})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			base := tt.base
			hc := http.DefaultClient
			if base == "" {
				srv := newFakeAPI(t, map[string]http.HandlerFunc{
					"/tcb/createfunction":                    tt.handler,
					"/tcb/downloadfunction":                  tt.handler,
					"/tcb/invokecloudfunction":               tt.handler,
					"/componenttcb/batchuploadscf":           tt.handler,
					"/cgi-bin/stable_token":                  tt.handler,
					"/cgi-bin/component/api_component_token": tt.handler,
				})
				base, hc = srv.URL, srv.Client()
			}
			var lg logs
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 5 * time.Second
			}
			red := redact.New(testAppSecret, testTicket)
			c := NewClient(hc, WithBaseURL(base), WithSleep(noSleep), WithRetries(1), WithTimeout(timeout),
				WithRedactor(red), WithLogf(lg.logf), WithTokens(StaticToken(testToken), StaticToken(testComponent)))
			ctx := context.Background()
			calls := map[string]func() error{
				"create": func() error { return c.CreateFunction(ctx, "e", "f") },
				"download": func() error {
					_, err := c.Download(ctx, "e", "f")
					return err
				},
				"invoke": func() error {
					_, err := c.Invoke(ctx, InvokeRequest{Env: "e", Name: "f", Batch: true})
					return err
				},
				"batch": func() error {
					_, err := c.BatchCreate(ctx, UploadRequest{FunctionName: "f", Envs: []string{"e"}, Zip: zipOf([]byte("zip"))})
					return err
				},
				"stable_token": func() error {
					_, err := c.FetchStableToken(ctx, "wx1", testAppSecret, false)
					return err
				},
				"component_token": func() error {
					_, err := c.FetchComponentToken(ctx, "wx1", testAppSecret, testTicket)
					return err
				},
			}
			for name, call := range calls {
				err := call()
				if err == nil {
					t.Fatalf("%s: want an error", name)
				}
				assertClean(t, name+" error", err.Error())
				assertClean(t, name+" %+v", fmt.Sprintf("%+v %#v", err, err))
				var ue *url.Error
				if errors.As(err, &ue) {
					assertClean(t, name+" url.Error", ue.URL+" "+ue.Error())
				}
				var apiErr *APIError
				if errors.As(err, &apiErr) {
					assertClean(t, name+" APIError.Msg", apiErr.Msg)
				}
				if tt.deadline && !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("%s: errors.Is(err, DeadlineExceeded) is false: %v", name, err)
				}
			}
			for _, line := range lg.all() {
				assertClean(t, "log line", line)
			}
		})
	}
}

func TestFetchCode(t *testing.T) {
	t.Parallel()
	code := make([]byte, 10000)
	for i := range code {
		code[i] = byte(rand.IntN(256))
	}
	var failures atomic.Int64
	srv := newFakeAPI(t, map[string]http.HandlerFunc{
		"/code": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", fmt.Sprint(len(code)))
			w.Write(code)
		},
		"/chunked": func(w http.ResponseWriter, r *http.Request) {
			// No Content-Length: the limit must hold while reading.
			w.Write(code[:5000])
			w.(http.Flusher).Flush()
			w.Write(code[5000:])
		},
		"/flaky": func(w http.ResponseWriter, r *http.Request) {
			if failures.Add(1) <= 2 {
				w.WriteHeader(503)
				return
			}
			w.Write(code)
		},
		"/expired": script(reply{status: 403, body: "<Error>AccessDenied</Error>"}),
	})
	sig := "q-signature=SIGNATURE-SECRET-abc&q-key-time=1"
	tests := []struct {
		name     string
		path     string
		limit    int64
		wantErr  string
		wantReqs int
	}{
		{name: "ok", path: "/code", limit: 10000, wantReqs: 1},
		{name: "over limit by content-length", path: "/code", limit: 9999, wantErr: "the download is 10000 bytes, over the limit of 9999 bytes", wantReqs: 1},
		{name: "over limit while reading", path: "/chunked", limit: 6000, wantErr: "over the limit of 6000 bytes", wantReqs: 1},
		{name: "5xx retried", path: "/flaky", limit: 1 << 20, wantReqs: 3},
		{name: "403 not retried", path: "/expired", limit: 1 << 20, wantErr: "HTTP 403 Forbidden (the download URL may have expired", wantReqs: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(srv.requests(tt.path))
			var buf bytes.Buffer
			n, err := testClient(srv).FetchCode(context.Background(), srv.URL+tt.path+"?"+sig, &buf, tt.limit)
			got := buf.Bytes()
			if n != int64(len(got)) {
				t.Errorf("FetchCode reported %d bytes, wrote %d", n, len(got))
			}
			if n := len(srv.requests(tt.path)) - before; n != tt.wantReqs {
				t.Errorf("sent %d requests, want %d", n, tt.wantReqs)
			}
			if tt.wantErr == "" {
				if err != nil || string(got) != string(code) {
					t.Fatalf("got %d bytes, %v", len(got), err)
				}
				reqs := srv.requests(tt.path)
				if reqs[len(reqs)-1].Method != http.MethodGet {
					t.Errorf("method = %s, want GET", reqs[len(reqs)-1].Method)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
			if strings.Contains(err.Error(), "SIGNATURE-SECRET") {
				t.Errorf("error leaks the URL signature: %v", err)
			}
		})
	}
	t.Run("network error hides the signature", func(t *testing.T) {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := ln.Addr().String()
		ln.Close()
		_, err = testClient(srv, WithRetries(0)).FetchCode(context.Background(), "http://"+addr+"/code?"+sig, io.Discard, 100)
		if err == nil || strings.Contains(err.Error(), "SIGNATURE-SECRET") {
			t.Errorf("err = %v", err)
		}
		var ue *url.Error
		if errors.As(err, &ue) && strings.Contains(ue.URL, "SIGNATURE") {
			t.Errorf("url.Error URL leaks the signature: %s", ue.URL)
		}
	})
	t.Run("not a URL", func(t *testing.T) {
		if _, err := testClient(srv).FetchCode(context.Background(), "ftp://x/y", io.Discard, 100); err == nil {
			t.Error("want an error for a non-http URL")
		}
	})
}
