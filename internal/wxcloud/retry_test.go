package wxcloud

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

// allCodes are the seeds' error tables plus the token errors in API-NOTES.md.
var allCodes = []int{85088, 47001, 44002, 43002, 42001, 41001, 40101, 40097, 40014, -1, -1000, -501000,
	40001, 40013, 40125, 40164, 61004, 61005, 61006, 45009, 45011, 48001}

func TestAPIErrorCodes(t *testing.T) {
	t.Parallel()
	generic := Explain(123456789)
	for _, code := range allCodes {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			t.Parallel()
			msg := "vendor message"
			if code == 40164 {
				msg = "invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: 6571"
			}
			srv := newFakeAPI(t, map[string]http.HandlerFunc{"/tcb/downloadfunction": script(ok(fmt.Sprintf(`{"errcode":%d,"errmsg":%q}`, code, msg)))})
			_, err := testClient(srv, WithRetries(0)).Download(context.Background(), "dev-1", "login")
			var apiErr *APIError
			if !errors.As(err, &apiErr) {
				t.Fatalf("err = %v (%T), want *APIError", err, err)
			}
			if apiErr.Code != code || apiErr.Msg != msg || apiErr.Endpoint != "downloadfunction" {
				t.Errorf("APIError = %+v", apiErr)
			}
			if apiErr.Hint == "" || apiErr.Hint == generic {
				t.Errorf("hint for %d is %q, want a specific one", code, apiErr.Hint)
			}
			if code == 40164 && (!strings.Contains(apiErr.Hint, "203.0.113.7") || !strings.Contains(apiErr.Hint, "self-hosted runner") || !strings.Contains(apiErr.Hint, "api-base-url")) {
				t.Errorf("40164 hint %q must name the IP and the ways out", apiErr.Hint)
			}
			want := fmt.Sprintf("downloadfunction: errcode %d %q: %s", code, msg, apiErr.Hint)
			if err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
			if got, want := apiErr.Transient(), code == -1 || code == -1000 || code == 45009 || code == 45011; got != want {
				t.Errorf("Transient() = %v, want %v", got, want)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	t.Parallel()
	generic := Explain(987654)
	seen := map[string]int{}
	for _, code := range allCodes {
		h := Explain(code)
		if h == generic || h == "" {
			t.Errorf("Explain(%d) is generic", code)
		}
		if other, dup := seen[h]; dup && code != -501000 {
			t.Errorf("Explain(%d) repeats Explain(%d)", code, other)
		}
		seen[h] = code
	}
	for _, code := range []int{-501000, -501001, -502005, -504002, -504999} {
		if h := Explain(code); !strings.Contains(h, "function-side error (timeout, not found, runtime error)") {
			t.Errorf("Explain(%d) = %q, want the function-side text", code, h)
		}
	}
	for _, code := range []int{-500999, -505000, 1, 99999} {
		if Explain(code) != generic {
			t.Errorf("Explain(%d) should be generic", code)
		}
	}
	if h := Explain(42001); !strings.Contains(h, "fresh token") || !strings.Contains(h, "appid/app-secret") {
		t.Errorf("42001 hint %q must say how to get a refreshable token", h)
	}
	if h := Explain(85088); !strings.Contains(h, "the app has not enabled cloud development") {
		t.Errorf("85088 hint = %q", h)
	}
}

func TestCallerIP(t *testing.T) {
	t.Parallel()
	tests := []struct{ msg, want string }{
		{"invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist", "1.2.3.4"},
		{"invalid ip 2001:db8::1, not in whitelist", "2001:db8::1"},
		{"invalid ip: 10.0.0.1.", "10.0.0.1"},
		{"not in whitelist, caller 198.51.100.2", "198.51.100.2"},
		{"not in whitelist", ""},
		{"invalid ip 999.1.1.1", ""},
	}
	for _, tt := range tests {
		if got := callerIP(tt.msg); got != tt.want {
			t.Errorf("callerIP(%q) = %q, want %q", tt.msg, got, tt.want)
		}
	}
}

func TestRetries(t *testing.T) {
	t.Parallel()
	const okBody = `{"errcode":0,"errmsg":"ok","url":"https://x/code","checksum":"abc"}`
	tests := []struct {
		name      string
		replies   []reply
		retries   int
		wantReqs  int
		wantErr   string // "" success, "api", "transport"
		wantCode  int
		wantInMsg string
	}{
		{name: "errcode -1 twice then ok", replies: []reply{ok(`{"errcode":-1,"errmsg":"system error"}`), ok(`{"errcode":-1,"errmsg":"system error"}`), ok(okBody)}, retries: 3, wantReqs: 3},
		{name: "errcode -1000 then ok", replies: []reply{ok(`{"errcode":-1000,"errmsg":"system error"}`), ok(okBody)}, retries: 3, wantReqs: 2},
		{name: "HTTP 502 HTML then ok", replies: []reply{{status: 502, body: "<html><body>502 Bad Gateway</body></html>"}, ok(okBody)}, retries: 3, wantReqs: 2},
		{name: "truncated JSON then ok", replies: []reply{ok(`{"errcode":0,"errmsg":"ok","url":"htt`), ok(okBody)}, retries: 3, wantReqs: 2},
		{name: "empty body then ok", replies: []reply{ok(""), ok(okBody)}, retries: 3, wantReqs: 2},
		{name: "connection reset then ok", replies: []reply{{hijack: true}, ok(okBody)}, retries: 3, wantReqs: 2},
		{name: "exhausted errcode -1", replies: []reply{ok(`{"errcode":-1,"errmsg":"system error"}`)}, retries: 2, wantReqs: 3, wantErr: "api", wantCode: -1, wantInMsg: "gave up after 3 attempts"},
		{name: "exhausted HTTP 502", replies: []reply{{status: 502, body: "<html>bad gateway</html>"}}, retries: 3, wantReqs: 4, wantErr: "transport", wantInMsg: "HTTP 502 Bad Gateway with a non-JSON body (gateway error) (gave up after 4 attempts)"},
		{name: "exhausted connection resets", replies: []reply{{hijack: true}}, retries: 1, wantReqs: 2, wantErr: "transport", wantInMsg: "network error"},
		{name: "exhausted non-JSON", replies: []reply{ok("<html>hi</html>")}, retries: 1, wantReqs: 2, wantErr: "transport", wantInMsg: "non-JSON body"},
		{name: "retries 0 sends once", replies: []reply{ok(`{"errcode":-1,"errmsg":"system error"}`)}, retries: 0, wantReqs: 1, wantErr: "api", wantCode: -1},
		{name: "no retry 40014", replies: []reply{ok(`{"errcode":40014,"errmsg":"invalid access_token"}`)}, retries: 3, wantReqs: 1, wantErr: "api", wantCode: 40014},
		{name: "no retry 41001", replies: []reply{ok(`{"errcode":41001,"errmsg":"access_token missing"}`)}, retries: 3, wantReqs: 1, wantErr: "api", wantCode: 41001},
		{name: "no retry 42001 with a static token", replies: []reply{ok(`{"errcode":42001,"errmsg":"access_token expired"}`)}, retries: 3, wantReqs: 1, wantErr: "api", wantCode: 42001, wantInMsg: "pass a fresh token"},
		{name: "no retry 40101", replies: []reply{ok(`{"errcode":40101,"errmsg":"missing parameter"}`)}, retries: 3, wantReqs: 1, wantErr: "api", wantCode: 40101},
		{name: "no retry 47001", replies: []reply{ok(`{"errcode":47001,"errmsg":"data format error"}`)}, retries: 3, wantReqs: 1, wantErr: "api", wantCode: 47001},
		{name: "no retry HTTP 404", replies: []reply{{status: 404, body: "not found"}}, retries: 3, wantReqs: 1, wantErr: "transport", wantInMsg: "HTTP 404 Not Found"},
		{name: "no retry HTTP 403", replies: []reply{{status: 403, body: `{"errcode":1}`}}, retries: 3, wantReqs: 1, wantErr: "transport", wantInMsg: "check api-base-url"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeAPI(t, map[string]http.HandlerFunc{"/tcb/downloadfunction": script(tt.replies...)})
			var lg logs
			res, err := testClient(srv, WithRetries(tt.retries), WithLogf(lg.logf)).Download(context.Background(), "dev-1", "login")
			if n := len(srv.requests("")); n != tt.wantReqs {
				t.Errorf("sent %d requests, want %d", n, tt.wantReqs)
			}
			if n := len(lg.all()); n != tt.wantReqs-1 {
				t.Errorf("logged %d retry notices, want %d: %q", n, tt.wantReqs-1, lg.all())
			}
			var apiErr *APIError
			var tErr *TransportError
			switch tt.wantErr {
			case "":
				if err != nil || res.URL != "https://x/code" {
					t.Fatalf("got %v, %v; want success", res, err)
				}
				return
			case "api":
				if !errors.As(err, &apiErr) || apiErr.Code != tt.wantCode {
					t.Fatalf("err = %v, want APIError %d", err, tt.wantCode)
				}
				if apiErr.Attempts != tt.wantReqs {
					t.Errorf("Attempts = %d, want %d", apiErr.Attempts, tt.wantReqs)
				}
			case "transport":
				if !errors.As(err, &tErr) {
					t.Fatalf("err = %v (%T), want TransportError", err, err)
				}
				if tErr.Attempts != tt.wantReqs || tErr.Endpoint != "downloadfunction" {
					t.Errorf("TransportError = %+v, want %d attempts", tErr, tt.wantReqs)
				}
			}
			if !strings.Contains(err.Error(), tt.wantInMsg) {
				t.Errorf("error %q does not contain %q", err, tt.wantInMsg)
			}
		})
	}
}

func TestRetryBackoffAndLog(t *testing.T) {
	t.Parallel()
	srv := newFakeAPI(t, map[string]http.HandlerFunc{"/componenttcb/batchuploadscf": script(ok(`{"errcode":-1,"errmsg":"system error"}`))})
	var mu sync.Mutex
	var slept []time.Duration
	sleep := func(ctx context.Context, d time.Duration) error {
		mu.Lock()
		defer mu.Unlock()
		slept = append(slept, d)
		return nil
	}
	var lg logs
	// A timeout of a minute: the waits' budget does not cut the retries short.
	c := testClient(srv, WithRetries(5), WithTimeout(time.Minute), WithBackoff(500*time.Millisecond, 3*time.Second), WithSleep(sleep),
		WithRand(func() float64 { return 0.6 }), WithLogf(lg.logf))
	_, err := c.BatchCreate(context.Background(), UploadRequest{FunctionName: "f", Envs: []string{"e"}, Zip: zipOf([]byte("z"))})
	if err == nil {
		t.Fatal("want an error after retries")
	}
	// Full jitter at 0.6 of a cap doubling from 500ms up to 3s.
	want := []time.Duration{300 * time.Millisecond, 600 * time.Millisecond, 1200 * time.Millisecond, 1800 * time.Millisecond, 1800 * time.Millisecond}
	if fmt.Sprint(slept) != fmt.Sprint(want) {
		t.Errorf("slept %v, want %v", slept, want)
	}
	lines := lg.all()
	if len(lines) != 5 || lines[2] != "retrying batchuploadscf after errcode -1 (attempt 4/6) in 1.2s" {
		t.Errorf("log lines = %q", lines)
	}
}

func TestCancelDuringBackoff(t *testing.T) {
	t.Parallel()
	srv := newFakeAPI(t, map[string]http.HandlerFunc{"/tcb/createfunction": script(ok(`{"errcode":-1,"errmsg":"system error"}`))})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	// The real sleep with an hour of backoff, within a budget of three: only
	// cancellation can end it.
	c := NewClient(srv.Client(), WithBaseURL(srv.URL), WithTokens(StaticToken(testToken), nil),
		WithBackoff(time.Hour, time.Hour), WithTimeout(3*time.Hour), WithRand(func() float64 { return 0.99 }),
		WithLogf(func(string, ...any) { cancel() }))
	start := time.Now()
	err := c.CreateFunction(ctx, "e", "f")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v to notice the cancellation", d)
	}
	if n := len(srv.requests("")); n != 1 {
		t.Errorf("sent %d requests, want 1", n)
	}
}

func TestCancelledBeforeSending(t *testing.T) {
	t.Parallel()
	srv := newFakeAPI(t, map[string]http.HandlerFunc{"/tcb/createfunction": script(ok(`{}`))})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := testClient(srv).CreateFunction(ctx, "e", "f")
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if n := len(srv.requests("")); n != 0 {
		t.Errorf("sent %d requests after cancellation", n)
	}
}

func TestAttemptTimeout(t *testing.T) {
	t.Parallel()
	srv := newFakeAPI(t, map[string]http.HandlerFunc{"/tcb/invokecloudfunction": script(reply{stall: true})})
	start := time.Now()
	_, err := testClient(srv, WithTimeout(50*time.Millisecond), WithBackoff(time.Millisecond, time.Millisecond), WithRetries(1)).Invoke(context.Background(), InvokeRequest{Env: "e", Name: "f"})
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v with a 50ms per-attempt timeout", d)
	}
	var tErr *TransportError
	if !errors.As(err, &tErr) || tErr.Attempts != 2 {
		t.Fatalf("err = %v, want a TransportError after 2 attempts", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("errors.Is(err, context.DeadlineExceeded) is false for %v", err)
	}
	if !strings.Contains(err.Error(), "no response within 50ms") {
		t.Errorf("message %q does not name the timeout", err)
	}
}

func TestLargeUploadGatewayHint(t *testing.T) {
	t.Parallel()
	srv := newFakeAPI(t, map[string]http.HandlerFunc{"/componenttcb/batchuploadscfcode": script(reply{status: 502, body: "<html>502</html>"})})
	zip := make([]byte, 7<<20) // 7 MiB of zip is over 9 MiB of body
	_, err := testClient(srv, WithRetries(0)).BatchUpdate(context.Background(), UploadRequest{FunctionName: "f", Envs: []string{"e"}, Zip: zipOf(zip)})
	var tErr *TransportError
	if !errors.As(err, &tErr) {
		t.Fatalf("err = %v, want TransportError", err)
	}
	want := fmt.Sprintf("the request body was %d bytes: Tencent's gateway caps bodies near 10 MiB for some calls; the package size is the likely cause", tErr.BodySize)
	if tErr.BodySize < int64(base64.StdEncoding.EncodedLen(7<<20)) || !strings.Contains(err.Error(), want) {
		t.Errorf("error %q lacks %q", err, want)
	}
	// A small body does not blame the size.
	srv2 := newFakeAPI(t, map[string]http.HandlerFunc{"/componenttcb/batchuploadscfcode": script(reply{status: 502, body: "<html>502</html>"})})
	_, err = testClient(srv2, WithRetries(0)).BatchUpdate(context.Background(), UploadRequest{FunctionName: "f", Envs: []string{"e"}, Zip: zipOf([]byte("small"))})
	if err == nil || strings.Contains(err.Error(), "likely cause") {
		t.Errorf("small upload error = %v", err)
	}
}
