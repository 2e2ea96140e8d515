package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/testkit"
)

// Recognisable secrets: any of them in any output is a leak.
const (
	secretAccess       = "AT-SECRET-7f3a9c"
	secretComponent    = "CAT-SECRET-81bd2e"
	secretApp          = "APPSECRET-44c1d0"
	secretComponentApp = "CAPPSECRET-0b8e63"
	secretTicket       = "TICKET-SECRET-9e2b77"
	secretGitHub       = "ghs_GHTOKEN_5d8e1f"
	secretID           = "AKIDSECRETID2d4f6a8c0e2g4i6k8m0o2q"
	secretKey          = "SK-SECRET-6a2f90c4e1"
	secretSession      = "SESSION-SECRET-31b7e5"
	// secretOIDC is ACTIONS_ID_TOKEN_REQUEST_TOKEN: GitHub sets it in every
	// job with id-token: write, whichever provider runs.
	secretOIDC = "OIDC-REQUEST-SECRET-8c4d2a"

	keylessRole = "qcs::cam::uin/100000000001:roleName/deploy"
)

var allSecrets = []string{secretAccess, secretComponent, secretApp, secretComponentApp, secretTicket,
	secretGitHub, secretID, secretKey, secretSession, secretOIDC}

// secretInputNames are the secret inputs: each one given must be masked.
var secretInputNames = []string{"access-token", "component-access-token", "app-secret", "component-appsecret",
	"component-verify-ticket", "github-token", "secret-id", "secret-key", "session-token"}

// credProxy sits in front of the emulator. It lets the emulator accept the
// two static WeChat secret tokens (it knows one token only) and records
// every credential the emulator hands out (WeChat tokens, GitHub's OIDC
// token, STS temporary keys), so the test hunts for those too.
type credProxy struct {
	next http.Handler
	// expire, when set, runs once before the first cloud-function call is
	// forwarded: the tokens fetched so far expire mid-run, for real.
	expire func()
	once   sync.Once

	mu      sync.Mutex
	fetched []string
}

func (p *credProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	issuer := strings.HasPrefix(r.URL.Path, "/cgi-bin/") || strings.HasPrefix(r.URL.Path, "/_github/") ||
		r.Header.Get("X-TC-Action") == "AssumeRoleWithWebIdentity"
	if p.expire != nil && !issuer {
		p.once.Do(p.expire)
	}
	q := r.URL.Query()
	if tok := q.Get("access_token"); tok == secretAccess || tok == secretComponent {
		q.Set("access_token", emuToken)
		r.URL.RawQuery = q.Encode()
	}
	if !issuer {
		p.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	p.next.ServeHTTP(rec, r)
	var got struct {
		Access    string `json:"access_token"`
		Component string `json:"component_access_token"`
		Value     string `json:"value"`
		Response  struct {
			Credentials struct{ TmpSecretId, TmpSecretKey, Token string }
		}
	}
	if json.Unmarshal(rec.Body.Bytes(), &got) == nil {
		c := got.Response.Credentials
		p.mu.Lock()
		for _, s := range []string{got.Access, got.Component, got.Value, c.TmpSecretId, c.TmpSecretKey, c.Token} {
			if s != "" {
				p.fetched = append(p.fetched, s)
			}
		}
		p.mu.Unlock()
	}
	for k, v := range rec.Header() {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.Code)
	_, _ = w.Write(bytes.Clone(rec.Body.Bytes()))
}

// tokens returns the distinct credentials handed out, in order.
func (p *credProxy) tokens() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []string
	seen := map[string]bool{}
	for _, tok := range p.fetched {
		if !seen[tok] {
			seen[tok] = true
			out = append(out, tok)
		}
	}
	return out
}

// fixture is what a case may misbehave.
type fixture struct {
	emu   *testkit.Emulator
	gh    *testkit.GitHub
	proxy *credProxy
}

// weChatSecrets gives every WeChat credential input a secret value: static
// tokens win over fetched ones, so the app secrets and verify ticket are
// given but unused unless a case removes the static tokens.
func weChatSecrets(emu *testkit.Emulator) testkit.Inputs {
	return testkit.Inputs{
		"api-base-url":            emu.URL,
		"access-token":            secretAccess,
		"component-access-token":  secretComponent,
		"appid":                   "wx0123456789abcdef",
		"app-secret":              secretApp,
		"component-appid":         "wxfedcba9876543210",
		"component-appsecret":     secretComponentApp,
		"component-verify-ticket": secretTicket,
	}
}

// tencentCloudSecrets: the emulator's key pair (provider auto picks
// tencentcloud for a secret-id).
func tencentCloudSecrets(emu *testkit.Emulator) testkit.Inputs {
	return testkit.Inputs{
		"tencentcloud-api-url": emu.URL,
		"region":               emu.Region(),
		"secret-id":            secretID,
		"secret-key":           secretKey,
	}
}

type secretCase struct {
	name string
	// tencentcloud cases start from tencentCloudSecrets, the others from
	// weChatSecrets.
	tencentcloud bool
	// inputs override the credentials and the defaults; "" removes one.
	inputs map[string]string
	// setup misbehaves the servers.
	setup    func(t *testing.T, f fixture)
	wantCode int
	// fetches is the least number of distinct credentials the run must get
	// from the token endpoints; 0 means none (static credentials only).
	fetches int
}

func secretCases(closedURL string) []secretCase {
	echo := func(tok string) string {
		return `{"errcode":40014,"errmsg":"invalid access_token ` + tok + ` rid: 1"}`
	}
	fault := func(f emulator.Fault) func(*testing.T, fixture) {
		return func(_ *testing.T, fx fixture) { fx.emu.Inject(f) }
	}
	seed := func(t *testing.T, fx fixture) {
		zip := testkit.ZipDir(t, testkit.Hello(t))
		for _, env := range []string{"dev-a1", "dev-b2"} {
			fx.emu.Seed(env, fnName, zip)
		}
	}
	noStatic := map[string]string{"access-token": "", "component-access-token": ""}
	keyless := map[string]string{"secret-id": "", "secret-key": "", "role-arn": keylessRole, "oidc-provider-id": "github"}
	return []secretCase{
		{name: "deploy with smoke test", inputs: map[string]string{"invoke": "true"}},
		{name: "create", inputs: map[string]string{"command": "create"}},
		{name: "invoke", inputs: map[string]string{"command": "invoke"}, setup: seed},
		{name: "download", inputs: map[string]string{"command": "download", "output": "dl.zip"}, setup: seed},
		{name: "pack", inputs: map[string]string{"command": "pack", "output": "hello.zip", "envs": ""}},

		{name: "secret pasted into envs", inputs: map[string]string{"envs": "dev-a1," + secretAccess + ";prod"}, wantCode: 2},
		{name: "secret pasted into envs with a space", inputs: map[string]string{"envs": secretTicket + " dev-a1"}, wantCode: 2},
		{name: "secret pasted into function-name", inputs: map[string]string{"function-name": secretGitHub + "!"}, wantCode: 2},
		{name: "secret pasted into function-name with a colon", inputs: map[string]string{"function-name": "token:" + secretComponent}, wantCode: 2},
		{name: "app secret with a line break", inputs: map[string]string{"app-secret": secretApp + "\nx"}, wantCode: 2},

		{name: "errmsg echoes the access token", setup: fault(emulator.Fault{Body: echo(secretAccess)}), wantCode: 1},
		{name: "errmsg echoes the component token", setup: fault(emulator.Fault{Path: testkit.PathBatchCreate, Body: echo(secretComponent)}), wantCode: 1},
		{name: "errmsg echoes the token on invoke", inputs: map[string]string{"command": "invoke"}, setup: fault(emulator.Fault{Body: echo(secretAccess)}), wantCode: 1},
		{name: "HTTP 502 HTML echoing the URL", setup: fault(emulator.Fault{HTTPStatus: 502,
			Body: "<html><head><title>502 Bad Gateway</title></head><body>upstream failed for /tcb/downloadfunction?access_token=" +
				secretAccess + "&component_access_token=" + secretComponent + "</body></html>"}), wantCode: 1},
		{name: "stalled server past the timeout", inputs: map[string]string{"timeout": "200ms"}, setup: fault(emulator.Fault{Stall: true}), wantCode: 1},
		{name: "connection reset", setup: fault(emulator.Fault{Reset: true}), wantCode: 1},
		{name: "closed server", inputs: map[string]string{"api-base-url": closedURL}, wantCode: 1},

		// Every token fetched so far expires before the first API call: the
		// access token is fetched, refused with 42001 and fetched again; the
		// component token is fetched (lazily) after that. Three distinct
		// tokens, each to be masked and hidden.
		{name: "fetched tokens expire mid-run (42001)", inputs: noStatic, fetches: 3,
			setup: func(_ *testing.T, fx fixture) { fx.proxy.expire = fx.emu.ExpireTokens }},
		{name: "42001 fault on the batch call with fetched tokens", inputs: noStatic, fetches: 2,
			setup: fault(emulator.Fault{Path: testkit.PathBatchCreate, Errcode: 42001, Times: 1})},
		{name: "fetched tokens and errmsg echoing the app secret", inputs: noStatic, fetches: 2, wantCode: 1,
			setup: fault(emulator.Fault{Body: `{"errcode":40001,"errmsg":"invalid credential, secret ` + secretApp + ` ticket ` + secretTicket + `"}`})},

		{name: "GitHub 500 echoing the token", setup: func(_ *testing.T, fx fixture) {
			fx.gh.Fail(testkit.ListComments, 500, "internal error for Bearer "+secretGitHub, nil)
		}},
		{name: "GitHub 403 on create echoing the token", setup: func(_ *testing.T, fx fixture) {
			fx.gh.Fail(testkit.CreateComment, 403, "token "+secretGitHub+" lacks pull-requests: write", nil)
		}},

		// The Tencent Cloud API: keys, temporary keys, keyless.
		{name: "tencentcloud deploy with smoke test", tencentcloud: true, inputs: map[string]string{"invoke": "true"}},
		{name: "tencentcloud session-token with permanent keys (AuthFailure.TokenFailure)", tencentcloud: true,
			inputs: map[string]string{"session-token": secretSession}, wantCode: 1},
		{name: "tencentcloud error message echoing the keys", tencentcloud: true, wantCode: 1,
			setup: fault(emulator.Fault{Action: "*", ErrorCode: "InternalError",
				Message: "signature by " + secretID + "/" + secretKey + " token " + secretOIDC})},
		{name: "tencentcloud secret-key pasted into envs", tencentcloud: true,
			inputs: map[string]string{"envs": "dev-a1," + secretKey + ";prod"}, wantCode: 2},
		// A secret that is a well-formed env ID is deployed to (the
		// emulator has every env): it must not show as the env's name, nor
		// in the comment's marker, which names the envs.
		{name: "secret key that is a well-formed env ID", tencentcloud: true,
			inputs: map[string]string{"envs": "dev-a1," + secretKey}},
		{name: "tencentcloud keyless (GitHub OIDC token, STS temporary keys)", tencentcloud: true, inputs: keyless, fetches: 4},
		{name: "tencentcloud keyless, STS refusal echoing the request token", tencentcloud: true, inputs: keyless, wantCode: 1, fetches: 1,
			setup: fault(emulator.Fault{Action: "AssumeRoleWithWebIdentity", ErrorCode: "InvalidParameter.WebIdentityTokenError",
				Message: "token from bearer " + secretOIDC + " is not valid"})},
	}
}

// TestSecretsNeverLeak runs every command and failure path with
// recognisable secrets and hunts for them in everything the program
// produced, in Actions and in a terminal: stdout (but for ::add-mask::),
// stderr, $GITHUB_OUTPUT, the job summary and the PR comment.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	for _, tc := range secretCases(closedURL) {
		for _, mode := range []string{"action", "cli"} {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				proxy := &credProxy{}
				emu := newEmulator(t, testkit.EmulatorOptions{
					Options: emulator.Options{SecretID: secretID, SecretKey: secretKey, OIDCRequestToken: secretOIDC},
					Wrap:    func(h http.Handler) http.Handler { proxy.next = h; return proxy },
				})
				gh := newPRGitHub(t)
				if tc.setup != nil {
					tc.setup(t, fixture{emu: emu, gh: gh, proxy: proxy})
				}
				ws := testkit.NewWorkspace(t)
				ws.Hello(fnName)

				creds := weChatSecrets(emu)
				if tc.tencentcloud {
					creds = tencentCloudSecrets(emu)
				}
				inputs := creds.With("command", "deploy", "function-name", fnName, "path", fnName,
					"envs", "dev-a1,dev-b2", "retries", "0", "timeout", "5s", "github-token", secretGitHub).Merge(tc.inputs)
				env := map[string]string{
					"GITHUB_WORKSPACE":               ws.Dir,
					"ACTIONS_ID_TOKEN_REQUEST_URL":   emu.OIDCRequestURL(emu.URL),
					"ACTIONS_ID_TOKEN_REQUEST_TOKEN": secretOIDC,
				}

				var o testkit.Outcome
				if mode == "action" {
					for k, v := range map[string]string{
						"GITHUB_ACTIONS":    "true",
						"GITHUB_EVENT_NAME": "pull_request",
						"GITHUB_EVENT_PATH": testkit.EventPath(t, "pull_request"),
						"GITHUB_REPOSITORY": prOwner + "/" + prRepo,
						"GITHUB_API_URL":    gh.URL,
						"GITHUB_SERVER_URL": serverURL,
						"GITHUB_RUN_ID":     runID,
					} {
						env[k] = v
					}
					for k, v := range inputs.Env() {
						env[k] = v
					}
					o = testkit.Action(t, env)
				} else {
					o = testkit.CLI(t, env, inputs.With("json", "true").Args()...)
				}

				if o.Code != tc.wantCode {
					t.Errorf("exit %d, want %d", o.Code, tc.wantCode)
				}
				fetched := proxy.tokens()
				switch {
				case tc.fetches == 0 && len(fetched) > 0:
					t.Errorf("credentials were fetched although static ones were given")
				case len(fetched) < tc.fetches:
					t.Errorf("%d distinct credentials were fetched, want at least %d", len(fetched), tc.fetches)
				}
				if tc.wantCode == 2 && len(emu.Calls()) > 0 {
					t.Errorf("invalid input, yet the API got %d calls", len(emu.Calls()))
				}

				var bodies []string
				reqs := gh.Requests()
				for _, r := range reqs {
					bodies = append(bodies, r.Body)
					if lines := strings.SplitN(r.Body, "\n", 3); r.Body != "" &&
						(!strings.HasPrefix(lines[0], "<!-- wxcloud-deploy: ") || len(lines) < 2 || strings.HasPrefix(lines[1], "<!-- wxcloud-deploy: ")) {
						t.Errorf("the comment does not open with exactly one marker line:\n%.300s", r.Body)
					}
					if r.Auth != "Bearer "+secretGitHub {
						t.Errorf("GitHub got Authorization %q, want the github-token", r.Auth)
					}
				}
				if mode == "action" && tc.wantCode != 2 && len(reqs) == 0 {
					t.Errorf("no comment was attempted, so the comment body was not checked")
				}

				hunted := append(append([]string(nil), allSecrets...), fetched...)
				checkNoSecret(t, o, hunted...)
				for _, s := range hunted {
					if strings.Contains(strings.Join(bodies, "\n"), s) {
						t.Errorf("the PR comment contains the secret %q", s)
					}
				}

				// Every secret given, and every WeChat token fetched, is
				// masked for the later steps of the job: invalid input too.
				if mode == "action" {
					given := map[string]bool{secretOIDC: true}
					for _, k := range secretInputNames {
						if v := inputs[k]; v != "" {
							for _, line := range strings.Split(v, "\n") {
								given[line] = true
							}
						}
					}
					for _, s := range fetched {
						if !strings.HasPrefix(s, "eyJ") && !tc.tencentcloud { // WeChat tokens (not a JWT, not STS keys)
							given[s] = true
						}
					}
					masks := testkit.MaskedValues(o.Stdout)
					for s := range given {
						if !masks[s] {
							t.Errorf("no ::add-mask:: for %q", s)
						}
					}
				}
				if t.Failed() {
					t.Logf("%v", o)
				}
			})
		}
	}
}

// TestCLIStrayArgumentSecret: a token typed where a flag was expected is
// not echoed back in the "is not a flag" error, whether or not the same
// value is also given as a secret flag.
func TestCLIStrayArgumentSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{name: "unknown flag's value", args: []string{"deploy", "--function-name", "hello", "--acess-token", secretAccess}},
		{name: "unknown flag with =", args: []string{"deploy", "--function-name", "hello", "--acess-token=" + secretAccess}},
		{name: "stray copy of a given token", args: []string{"deploy", "--access-token", secretAccess, "--function-name", "hello", secretAccess}},
		{name: "stray copy of a given secret key", args: []string{"deploy", "--secret-key=" + secretAccess, "--function-name", "hello", secretAccess}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := testkit.CLI(t, nil, tt.args...)
			if o.Code != 2 {
				t.Errorf("exit %d, want 2", o.Code)
			}
			if !strings.Contains(o.Stderr, "wxcloud-deploy: ") {
				t.Errorf("no error message:\n%v", o)
			}
			checkNoSecret(t, o, secretAccess)
		})
	}
}
