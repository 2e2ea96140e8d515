package wxcloud

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// tokenServer issues tok-1, tok-2, ... from stable_token and accepts only the
// newest on createfunction (or never, when expireAll is set).
func tokenServer(t *testing.T, expireAll bool) (*fakeAPI, *atomic.Int64) {
	var issued atomic.Int64
	srv := newFakeAPI(t, map[string]http.HandlerFunc{
		"/cgi-bin/stable_token": func(w http.ResponseWriter, r *http.Request) {
			n := issued.Add(1)
			fmt.Fprintf(w, `{"access_token":"STABLE-TOKEN-%d","expires_in":7200}`, n)
		},
		"/tcb/createfunction": func(w http.ResponseWriter, r *http.Request) {
			if expireAll || r.URL.Query().Get("access_token") != fmt.Sprintf("STABLE-TOKEN-%d", issued.Load()) {
				fmt.Fprint(w, `{"errcode":42001,"errmsg":"access_token expired"}`)
				return
			}
			fmt.Fprint(w, `{"errcode":0,"errmsg":"ok"}`)
		},
	})
	return srv, &issued
}

func TestStableTokenRequest(t *testing.T) {
	t.Parallel()
	srv, _ := tokenServer(t, false)
	c := testClient(srv)
	tok, err := c.FetchStableToken(context.Background(), "wx123", testAppSecret, false)
	if err != nil || tok.Value != "STABLE-TOKEN-1" || tok.ExpiresIn != 7200 {
		t.Fatalf("got %+v, %v", tok, err)
	}
	reqs := srv.requests("/cgi-bin/stable_token")
	if len(reqs) != 1 || reqs[0].Method != http.MethodPost {
		t.Fatalf("requests = %+v, want one POST", reqs)
	}
	if reqs[0].Query.Has("access_token") {
		t.Errorf("the token endpoint was sent an access_token")
	}
	body := decodeBody(t, reqs[0].Body)
	want := map[string]any{"grant_type": "client_credential", "appid": "wx123", "secret": testAppSecret, "force_refresh": false}
	if fmt.Sprint(body) != fmt.Sprint(want) {
		t.Errorf("body = %v, want %v", body, want)
	}
	if got := c.redactor.String("x " + tok.Value + " " + testAppSecret); got != "x *** ***" {
		t.Errorf("fetched token and secret not added to the redactor: %q", got)
	}
}

func TestComponentTokenRequest(t *testing.T) {
	t.Parallel()
	srv := newFakeAPI(t, map[string]http.HandlerFunc{
		"/cgi-bin/component/api_component_token": script(ok(`{"component_access_token":"COMPONENT-FETCHED-1","expires_in":7200}`)),
		"/componenttcb/batchuploadscf":           script(ok(`{"errcode":0,"errmsg":"ok"}`)),
	})
	c := testClient(srv)
	WithTokens(StaticToken(testToken), ComponentToken(c, "wxcomp", testAppSecret, testTicket))(c)
	for range 2 {
		if _, err := c.BatchCreate(context.Background(), UploadRequest{FunctionName: "f", Envs: []string{"e"}, Zip: zipOf([]byte("z"))}); err != nil {
			t.Fatal(err)
		}
	}
	treqs := srv.requests("/cgi-bin/component/api_component_token")
	if len(treqs) != 1 {
		t.Fatalf("fetched the component token %d times, want 1 (cached)", len(treqs))
	}
	body := decodeBody(t, treqs[0].Body)
	want := map[string]any{"component_appid": "wxcomp", "component_appsecret": testAppSecret, "component_verify_ticket": testTicket}
	if fmt.Sprint(body) != fmt.Sprint(want) {
		t.Errorf("body = %v, want %v", body, want)
	}
	for _, r := range srv.requests("/componenttcb/batchuploadscf") {
		if got := r.Query.Get("access_token"); got != "COMPONENT-FETCHED-1" {
			t.Errorf("batch call used %q, want the component token", got)
		}
	}
}

func TestTokenFetchErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		answer string
		want   error
		code   int
	}{
		{"ip not allowed", `{"errcode":40164,"errmsg":"invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist"}`, nil, 40164},
		{"bad secret", `{"errcode":40001,"errmsg":"invalid credential"}`, nil, 40001},
		{"no token in answer", `{"errcode":0}`, ErrIncomplete, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeAPI(t, map[string]http.HandlerFunc{"/cgi-bin/stable_token": script(ok(tt.answer)), "/tcb/createfunction": script(ok(`{}`))})
			c := testClient(srv)
			WithTokens(StableToken(c, "wx1", testAppSecret), nil)(c)
			err := c.CreateFunction(context.Background(), "e", "f")
			if err == nil {
				t.Fatal("want an error")
			}
			var apiErr *APIError
			if tt.code != 0 && (!errors.As(err, &apiErr) || apiErr.Code != tt.code || apiErr.Endpoint != "stable_token") {
				t.Errorf("err = %v, want APIError %d from stable_token", err, tt.code)
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("err = %v, want %v", err, tt.want)
			}
			if n := len(srv.requests("/tcb/createfunction")); n != 0 {
				t.Errorf("called createfunction %d times without a token", n)
			}
		})
	}
	// Missing credentials are caught before sending.
	c := NewClient(nil)
	if _, err := c.FetchStableToken(context.Background(), "", "secret-123456", false); !errors.Is(err, ErrNoToken) {
		t.Errorf("FetchStableToken without appid: %v", err)
	}
	if _, err := c.FetchComponentToken(context.Background(), "a", "secret-123456", ""); !errors.Is(err, ErrNoToken) {
		t.Errorf("FetchComponentToken without ticket: %v", err)
	}
}

func TestRefreshAfter42001(t *testing.T) {
	t.Parallel()
	srv, issued := tokenServer(t, false)
	c := testClient(srv)
	src := StableToken(c, "wx1", testAppSecret)
	WithTokens(src, nil)(c)
	if _, err := src.Token(context.Background()); err != nil { // caches STABLE-TOKEN-1
		t.Fatal(err)
	}
	issued.Add(1) // the server now rejects STABLE-TOKEN-1, as if it expired
	var lg logs
	WithLogf(lg.logf)(c)
	if err := c.CreateFunction(context.Background(), "e", "f"); err != nil {
		t.Fatalf("the retry after refresh should succeed: %v", err)
	}
	if n := len(srv.requests("/cgi-bin/stable_token")); n != 2 {
		t.Errorf("stable_token called %d times, want 2 (one refresh)", n)
	}
	calls := srv.requests("/tcb/createfunction")
	if len(calls) != 2 || calls[0].Query.Get("access_token") != "STABLE-TOKEN-1" || calls[1].Query.Get("access_token") != "STABLE-TOKEN-3" {
		t.Errorf("createfunction calls = %+v", calls)
	}
	if len(lg.all()) != 1 {
		t.Errorf("want one refresh notice, got %q", lg.all())
	}
	// The refreshed token is cached for the next call.
	if err := c.CreateFunction(context.Background(), "e", "f"); err != nil {
		t.Fatal(err)
	}
	if n := len(srv.requests("/cgi-bin/stable_token")); n != 2 {
		t.Errorf("stable_token called %d times after a cached call, want 2", n)
	}
}

func TestSecond42001IsReturned(t *testing.T) {
	t.Parallel()
	srv, _ := tokenServer(t, true)
	c := testClient(srv)
	WithTokens(StableToken(c, "wx1", testAppSecret), nil)(c)
	err := c.CreateFunction(context.Background(), "e", "f")
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 42001 {
		t.Fatalf("err = %v, want APIError 42001", err)
	}
	if apiErr.Attempts != 2 {
		t.Errorf("Attempts = %d, want 2", apiErr.Attempts)
	}
	if n := len(srv.requests("/tcb/createfunction")); n != 2 {
		t.Errorf("createfunction called %d times, want 2 (no loop)", n)
	}
	if n := len(srv.requests("/cgi-bin/stable_token")); n != 2 {
		t.Errorf("stable_token called %d times, want 2", n)
	}
}

func TestStableTokenFetchesOnceConcurrently(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	var fetches atomic.Int64
	srv := newFakeAPI(t, map[string]http.HandlerFunc{"/cgi-bin/stable_token": func(w http.ResponseWriter, r *http.Request) {
		fetches.Add(1)
		<-release
		fmt.Fprint(w, `{"access_token":"STABLE-CONCURRENT","expires_in":7200}`)
	}})
	src := StableToken(testClient(srv), "wx1", testAppSecret)
	var wg sync.WaitGroup
	errs := make(chan error, 20)
	for range 20 {
		wg.Go(func() {
			tok, err := src.Token(context.Background())
			if err == nil && tok != "STABLE-CONCURRENT" {
				err = fmt.Errorf("token %q", tok)
			}
			errs <- err
		})
	}
	close(release)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	if n := fetches.Load(); n != 1 {
		t.Errorf("fetched %d times, want 1", n)
	}
}

func TestConcurrentRefreshFetchesOnce(t *testing.T) {
	t.Parallel()
	srv, _ := tokenServer(t, false)
	src := StableToken(testClient(srv), "wx1", testAppSecret).(*cachedToken)
	if _, err := src.Token(context.Background()); err != nil {
		t.Fatal(err)
	}
	// Five calls hit 42001 at once: hold the lock until all five have asked
	// to refresh, then let them through.
	if err := src.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	waiting := make(chan struct{}, 5)
	src.beforeWait = func() { waiting <- struct{}{} }
	var wg sync.WaitGroup
	toks := make(chan string, 5)
	for range 5 {
		wg.Go(func() {
			tok, err := src.Refresh(context.Background())
			if err != nil {
				t.Error(err)
			}
			toks <- tok
		})
	}
	for range 5 {
		<-waiting
	}
	src.release()
	wg.Wait()
	close(toks)
	for tok := range toks {
		if tok != "STABLE-TOKEN-2" {
			t.Errorf("refresh returned %q, want the one new token", tok)
		}
	}
	if n := len(srv.requests("/cgi-bin/stable_token")); n != 2 {
		t.Errorf("stable_token called %d times, want 2 (the first fetch and one refresh)", n)
	}
}

func TestCachedTokenExpires(t *testing.T) {
	t.Parallel()
	srv, _ := tokenServer(t, false)
	now := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	src := StableToken(testClient(srv, WithClock(clock)), "wx1", testAppSecret)
	tok1, _ := src.Token(context.Background())
	mu.Lock()
	now = now.Add(7200*time.Second - expiryMargin - time.Second)
	mu.Unlock()
	if tok, _ := src.Token(context.Background()); tok != tok1 {
		t.Errorf("token renewed too early: %q", tok)
	}
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	if tok, _ := src.Token(context.Background()); tok == tok1 {
		t.Errorf("token not renewed near expiry")
	}
}

func TestStaticTokenCannotRefresh(t *testing.T) {
	t.Parallel()
	_, err := StaticToken(testToken).Refresh(context.Background())
	if !errors.Is(err, ErrCannotRefresh) {
		t.Errorf("err = %v, want ErrCannotRefresh", err)
	}
}

func TestTokenWaitHonoursContext(t *testing.T) {
	t.Parallel()
	src := StableToken(NewClient(nil), "wx1", testAppSecret).(*cachedToken)
	if err := src.acquire(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer src.release()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := src.Token(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want context.Canceled while another fetch holds the lock", err)
	}
}
