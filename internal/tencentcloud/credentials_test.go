package tencentcloud

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

const (
	ghRequestToken = "gh-request-token-0123456789"
	testJWT        = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJyZXBvOm8vciJ9.c2lnbmF0dXJl"
	tmpID          = "AKIDtemporary000001"
	tmpKey         = "temporary-secret-key-0987654321"
	tmpToken       = "temporary-session-token-abcdefgh"
	roleARN        = "qcs::cam::uin/100000000001:roleName/deploy"
)

// fakeGitHub is the runner's OIDC token endpoint.
type fakeGitHub struct {
	srv   *httptest.Server
	mu    sync.Mutex
	reqs  []*http.Request
	reply func(r *http.Request, n int) (int, string)
}

func newFakeGitHub(t *testing.T) *fakeGitHub {
	g := &fakeGitHub{reply: func(*http.Request, int) (int, string) { return 200, `{"value":"` + testJWT + `"}` }}
	g.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		g.mu.Lock()
		g.reqs = append(g.reqs, r)
		n := len(g.reqs)
		reply := g.reply
		g.mu.Unlock()
		status, body := reply(r, n)
		w.WriteHeader(status)
		io.WriteString(w, body)
	}))
	t.Cleanup(g.srv.Close)
	return g
}

func (g *fakeGitHub) count() int {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.reqs)
}

func stsOK(clock *fakeClock) func(apiRequest, int) answer {
	return func(apiRequest, int) answer {
		return map[string]any{
			"Credentials": map[string]any{"TmpSecretId": tmpID, "TmpSecretKey": tmpKey, "Token": tmpToken},
			"ExpiredTime": clock.Now().Add(time.Hour).Unix(), "Expiration": clock.Now().Add(time.Hour).Format(time.RFC3339),
		}
	}
}

func newOIDCKit(t *testing.T, mutate func(o *OIDC)) (*kit, *fakeGitHub) {
	t.Helper()
	gh := newFakeGitHub(t)
	k := newKit(t, func(o *Options) {
		o.SecretID, o.SecretKey = "", ""
		o.OIDC = &OIDC{RoleARN: roleARN, ProviderID: "github-actions", RequestURL: gh.srv.URL + "/idtoken?api-version=2.0", RequestToken: ghRequestToken}
		if mutate != nil {
			mutate(o.OIDC)
		}
	})
	k.api.on("AssumeRoleWithWebIdentity", stsOK(k.clock))
	k.api.always("GetFunction", fn("Active", nil))
	return k, gh
}

func TestOIDCHappyPath(t *testing.T) {
	t.Parallel()
	k, gh := newOIDCKit(t, nil)
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := probe(k.b); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if gh.count() != 1 || k.api.count("AssumeRoleWithWebIdentity") != 1 {
		t.Fatalf("%d token requests and %d STS calls for concurrent calls, want 1 each", gh.count(), k.api.count("AssumeRoleWithWebIdentity"))
	}

	r := gh.reqs[0]
	if r.Header.Get("Authorization") != "bearer "+ghRequestToken || r.URL.Path != "/idtoken" ||
		r.URL.Query().Get("api-version") != "2.0" || r.URL.Query().Get("audience") != "sts.tencentcloudapi.com" {
		t.Errorf("GitHub request: %s %v", r.URL, r.Header)
	}

	sts := k.api.requests("AssumeRoleWithWebIdentity")[0]
	want := map[string]any{"ProviderId": "github-actions", "WebIdentityToken": testJWT, "RoleArn": roleARN, "RoleSessionName": "wxcloud-deploy", "DurationSeconds": 3600}
	if got, w := jsonOf(t, sts.Body), jsonOf(t, want); got != w {
		t.Errorf("STS body\n got %s\nwant %s", got, w)
	}
	if sts.Auth != "SKIP" || sts.Token != "" || sts.Version != stsVersion || sts.Region != "ap-shanghai" {
		t.Errorf("STS headers: auth %q token %q version %q region %q; the call is unsigned", sts.Auth, sts.Token, sts.Version, sts.Region)
	}
	for _, r := range k.api.requests("GetFunction", "GetFunctionAddress") {
		if r.Token != tmpToken || !strings.HasPrefix(r.Auth, "TC3-HMAC-SHA256 Credential="+tmpID+"/") {
			t.Errorf("SCF request signed with %q, token %q; want the temporary keys", r.Auth, r.Token)
		}
	}
	for _, s := range []string{testJWT, tmpKey, tmpToken, ghRequestToken} {
		if got := k.r.String("x " + s + " x"); got != "x "+redact.Mask+" x" {
			t.Errorf("the Redactor does not know %q", s)
		}
	}

	// 54 minutes later the keys are within a tenth of their hour: fetched again.
	k.clock.Sleep(context.Background(), 53*time.Minute)
	if err := probe(k.b); err != nil || k.api.count("AssumeRoleWithWebIdentity") != 1 {
		t.Fatalf("err %v; refreshed too early (%d STS calls)", err, k.api.count("AssumeRoleWithWebIdentity"))
	}
	k.clock.Sleep(context.Background(), 2*time.Minute)
	if err := probe(k.b); err != nil || k.api.count("AssumeRoleWithWebIdentity") != 2 || gh.count() != 2 {
		t.Errorf("err %v; %d STS calls, %d token requests after 55 min, want 2 each", err, k.api.count("AssumeRoleWithWebIdentity"), gh.count())
	}
}

func TestOIDCAudienceInTheURL(t *testing.T) {
	t.Parallel()
	k, gh := newOIDCKit(t, func(o *OIDC) {
		o.RequestURL, _, _ = strings.Cut(o.RequestURL, "?") // a URL without a query of its own
		o.Audience, o.Duration, o.SessionName = "api://my app", 2*time.Hour, "ci-run"
	})
	if err := probe(k.b); err != nil {
		t.Fatal(err)
	}
	if q := gh.reqs[0].URL.RawQuery; q != "audience=api%3A%2F%2Fmy+app" {
		t.Errorf("query %q", q)
	}
	b := k.api.requests("AssumeRoleWithWebIdentity")[0].Body
	if b["DurationSeconds"] != float64(7200) || b["RoleSessionName"] != "ci-run" {
		t.Errorf("STS body %v", b)
	}
}

func TestOIDCFailures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		mutate    func(o *OIDC)
		github    func(r *http.Request, n int) (int, string)
		sts       func(apiRequest, int) answer
		kind      backend.Kind
		msg       []string
		ghCalls   int
		stsCalls  int
		scfCalled bool
	}{
		{name: "no id-token permission", mutate: func(o *OIDC) { o.RequestURL, o.RequestToken = "", "" },
			kind: backend.KindDenied, msg: []string{"permissions: id-token: write", "ACTIONS_ID_TOKEN_REQUEST_URL"}},
		{name: "GitHub refuses the request token", github: func(*http.Request, int) (int, string) { return 403, "bad token " + ghRequestToken },
			kind: backend.KindDenied, msg: []string{"HTTP 403", "id-token: write"}, ghCalls: 1},
		{name: "GitHub keeps failing", github: func(*http.Request, int) (int, string) { return 503, "down" },
			kind: backend.KindUnreachable, msg: []string{"HTTP 503", "4 attempts"}, ghCalls: 4},
		{name: "GitHub answers nonsense", github: func(*http.Request, int) (int, string) { return 200, "<html>" },
			kind: backend.KindUnreachable, msg: []string{"value"}, ghCalls: 1},
		{name: "STS refuses the token", sts: func(apiRequest, int) answer {
			return apiErr("InvalidParameter.WebIdentityTokenError", "token "+testJWT+" audience mismatch")
		}, kind: backend.KindDenied, msg: []string{"InvalidParameter.WebIdentityTokenError", "audience", "oidc-provider-id", "trust policy"}, ghCalls: 1, stsCalls: 1},
		{name: "STS cannot find the role", sts: func(apiRequest, int) answer { return apiErr("InternalError.GetRoleError", "role not exist") },
			kind: backend.KindDenied, msg: []string{"role-arn"}, ghCalls: 1, stsCalls: 1},
		{name: "STS bad parameter", sts: func(apiRequest, int) answer { return apiErr("InvalidParameter.ParamError", "RoleArn invalid") },
			kind: backend.KindDenied, msg: []string{"role-arn", "oidc-provider-id"}, ghCalls: 1, stsCalls: 1},
		{name: "STS throttled, then ok", sts: func(r apiRequest, n int) answer {
			if n == 1 {
				return apiErr("RequestLimitExceeded", "slow")
			}
			return map[string]any{"Credentials": map[string]any{"TmpSecretId": tmpID, "TmpSecretKey": tmpKey, "Token": tmpToken}, "ExpiredTime": 4102444800}
		}, ghCalls: 1, stsCalls: 2, scfCalled: true},
		{name: "STS answers without keys", sts: func(apiRequest, int) answer { return map[string]any{"ExpiredTime": 1} },
			kind: backend.KindUnreachable, msg: []string{"Credentials"}, ghCalls: 1, stsCalls: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k, gh := newOIDCKit(t, tt.mutate)
			if tt.github != nil {
				gh.reply = tt.github
			}
			if tt.sts != nil {
				k.api.on("AssumeRoleWithWebIdentity", tt.sts)
			}
			err := probe(k.b)
			if tt.kind == 0 && err != nil || tt.kind != 0 && backend.KindOf(err) != tt.kind {
				t.Fatalf("err = %v (kind %v), want kind %v", err, backend.KindOf(err), tt.kind)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q lacks %q", err, m)
				}
			}
			if err != nil {
				noSecrets(t, err.Error(), testJWT, ghRequestToken, tmpKey, tmpToken)
			}
			if gh.count() != tt.ghCalls || k.api.count("AssumeRoleWithWebIdentity") != tt.stsCalls || (k.api.count("GetFunction") > 0) != tt.scfCalled {
				t.Errorf("%d token requests, %d STS calls, %d SCF calls", gh.count(), k.api.count("AssumeRoleWithWebIdentity"), k.api.count("GetFunction"))
			}
			if tt.kind == backend.KindDenied {
				// refused for good: the next call does not ask again
				_ = probe(k.b)
				if gh.count() != tt.ghCalls || k.api.count("AssumeRoleWithWebIdentity") != tt.stsCalls {
					t.Errorf("a denial was asked again: %d token requests, %d STS calls", gh.count(), k.api.count("AssumeRoleWithWebIdentity"))
				}
			}
		})
	}
}

func TestTemporaryKeysNeverLeak(t *testing.T) {
	t.Parallel()
	k, _ := newOIDCKit(t, nil)
	echo, _ := json.Marshal(map[string]string{"jwt": testJWT, "key": tmpKey, "token": tmpToken, "id": tmpID})
	k.api.always("GetFunction", apiErr("AuthFailure.TokenFailure", string(echo)))
	err := probe(k.b)
	if backend.KindOf(err) != backend.KindDenied || !strings.Contains(err.Error(), "STS session token") {
		t.Fatalf("err = %v", err)
	}
	noSecrets(t, err.Error(), testJWT, tmpKey, tmpToken)
}
