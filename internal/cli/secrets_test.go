package cli_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
)

// Recognisable secrets: any of them in any output is a leak.
const (
	secretAccess    = "AT-SECRET-7f3a9c"
	secretComponent = "CAT-SECRET-81bd2e"
	secretApp       = "APPSECRET-44c1d0"
	secretTicket    = "TICKET-SECRET-9e2b77"
	secretGitHub    = "ghs_GHTOKEN_5d8e1f"
)

var allSecrets = []string{secretAccess, secretComponent, secretApp, secretTicket, secretGitHub}

// tokenProxy sits in front of the emulator. It lets the emulator accept the
// two static secret tokens (it knows one token only) and records every
// token the token endpoints hand out, so the test can hunt for those too.
type tokenProxy struct {
	next http.Handler
	// expire, when set, runs once before the first cloud-function call is
	// forwarded: the tokens fetched so far expire mid-run, for real.
	expire func()
	once   sync.Once

	mu      sync.Mutex
	fetched []string
}

func (p *tokenProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if p.expire != nil && !strings.HasPrefix(r.URL.Path, "/cgi-bin/") {
		p.once.Do(p.expire)
	}
	q := r.URL.Query()
	if tok := q.Get("access_token"); tok == secretAccess || tok == secretComponent {
		q.Set("access_token", emuToken)
		r.URL.RawQuery = q.Encode()
	}
	if !strings.HasPrefix(r.URL.Path, "/cgi-bin/") {
		p.next.ServeHTTP(w, r)
		return
	}
	rec := httptest.NewRecorder()
	p.next.ServeHTTP(rec, r)
	var tok struct {
		Access    string `json:"access_token"`
		Component string `json:"component_access_token"`
	}
	if json.Unmarshal(rec.Body.Bytes(), &tok) == nil {
		p.mu.Lock()
		for _, s := range []string{tok.Access, tok.Component} {
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
	_, _ = io.Copy(w, bytes.NewReader(rec.Body.Bytes()))
}

// tokens returns the distinct tokens handed out, in order.
func (p *tokenProxy) tokens() []string {
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
	emu   *emulator.Server
	gh    *fakeGitHub
	proxy *tokenProxy
}

// secretInputs gives every credential input a secret value: static tokens
// win over fetched ones, so the app secret and verify ticket are given but
// unused unless a case removes the static tokens.
func secretInputs() map[string]string {
	return map[string]string{
		"access-token":            secretAccess,
		"component-access-token":  secretComponent,
		"appid":                   "wx0123456789abcdef",
		"app-secret":              secretApp,
		"component-appid":         "wxfedcba9876543210",
		"component-appsecret":     secretApp,
		"component-verify-ticket": secretTicket,
		"github-token":            secretGitHub,
	}
}

type secretCase struct {
	name string
	// inputs override secretInputs and the defaults below; "" removes one.
	inputs map[string]string
	// setup misbehaves the servers.
	setup    func(t *testing.T, f fixture)
	wantCode int
	// fetches is the least number of distinct tokens the run must get from
	// the token endpoints; 0 means none (static tokens only).
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
		zip := zipDir(t, helloSrc)
		for _, env := range []string{"dev-a1", "dev-b2"} {
			fx.emu.Seed(env, "hello", zip)
		}
	}
	noStatic := map[string]string{"access-token": "", "component-access-token": ""}
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
		{name: "errmsg echoes the component token", setup: fault(emulator.Fault{Path: pathBatchCreate, Body: echo(secretComponent)}), wantCode: 1},
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
			setup: fault(emulator.Fault{Path: pathBatchCreate, Errcode: 42001, Times: 1})},
		{name: "fetched tokens and errmsg echoing the app secret", inputs: noStatic, fetches: 2, wantCode: 1,
			setup: fault(emulator.Fault{Body: `{"errcode":40001,"errmsg":"invalid credential, secret ` + secretApp + ` ticket ` + secretTicket + `"}`})},

		{name: "GitHub 500 echoing the token", wantCode: 0, setup: func(_ *testing.T, fx fixture) {
			fx.gh.failWith("GET", 500, "internal error for Bearer "+secretGitHub)
		}},
		{name: "GitHub 403 on create echoing the token", wantCode: 0, setup: func(_ *testing.T, fx fixture) {
			fx.gh.failWith("POST", 403, "token "+secretGitHub+" lacks pull-requests: write")
		}},
	}
}

// TestSecretsNeverLeak runs every command and failure path with recognisable
// secrets and hunts for them in everything the program produced, in Actions
// and in a terminal.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()

	for _, tc := range secretCases(closedURL) {
		for _, mode := range []string{"action", "cli"} {
			t.Run(mode+"/"+tc.name, func(t *testing.T) {
				t.Parallel()
				proxy := &tokenProxy{}
				emu, api := newEmulator(t, func(h http.Handler) http.Handler { proxy.next = h; return proxy })
				gh, ghAPI := newFakeGitHub(t)
				if tc.setup != nil {
					tc.setup(t, fixture{emu: emu, gh: gh, proxy: proxy})
				}
				ws := t.TempDir()
				copyDir(t, helloSrc, filepath.Join(ws, "hello"))

				inputs := secretInputs()
				for k, v := range map[string]string{
					"command": "deploy", "function-name": "hello", "path": "hello",
					"envs": "dev-a1,dev-b2", "api-base-url": api.URL,
					"retries": "0", "timeout": "5s",
				} {
					inputs[k] = v
				}
				for k, v := range tc.inputs {
					inputs[k] = v
				}

				var o outcome
				if mode == "action" {
					a := &action{t: t, workspace: ws, emu: emu, api: api, gh: gh, ghAPI: ghAPI, env: map[string]string{
						"GITHUB_ACTIONS":    "true",
						"GITHUB_WORKSPACE":  ws,
						"GITHUB_EVENT_NAME": "pull_request",
						"GITHUB_EVENT_PATH": eventPath("pull_request"),
						"GITHUB_REPOSITORY": prOwner + "/" + prRepo,
						"GITHUB_API_URL":    ghAPI.URL,
						"GITHUB_SERVER_URL": serverURL,
						"GITHUB_RUN_ID":     runID,
					}}
					for k, v := range inputs {
						if v != "" {
							a.env["INPUT_"+strings.ToUpper(k)] = v
						}
					}
					o = a.run()
				} else {
					args := []string{inputs["command"], "--json"}
					names := make([]string, 0, len(inputs))
					for k := range inputs {
						names = append(names, k)
					}
					sort.Strings(names)
					for _, k := range names {
						if k != "command" && inputs[k] != "" {
							args = append(args, "--"+k+"="+inputs[k])
						}
					}
					o = runCLI(t, map[string]string{"GITHUB_WORKSPACE": ws}, args...)
				}

				if o.code != tc.wantCode {
					t.Errorf("exit %d, want %d", o.code, tc.wantCode)
				}
				fetched := proxy.tokens()
				switch {
				case tc.fetches == 0 && len(fetched) > 0:
					t.Errorf("tokens were fetched although static ones were given")
				case len(fetched) < tc.fetches:
					t.Errorf("%d distinct tokens were fetched, want at least %d", len(fetched), tc.fetches)
				}
				if tc.wantCode == 2 && len(emu.Calls()) > 0 {
					t.Errorf("invalid input, yet the API got %d calls", len(emu.Calls()))
				}

				var bodies []string
				reqs, _ := gh.snapshot()
				for _, r := range reqs {
					bodies = append(bodies, r.Body)
					if r.Auth != "Bearer "+secretGitHub {
						t.Errorf("GitHub got Authorization %q, want the github-token", r.Auth)
					}
				}
				if mode == "action" && tc.wantCode != 2 && len(reqs) == 0 {
					t.Errorf("no comment was attempted, so the comment body was not checked")
				}

				hunted := append(append([]string(nil), allSecrets...), fetched...)
				places := map[string]string{
					"stdout (outside ::add-mask::)": withoutMasks(o.stdout),
					"stderr":                        o.stderr,
					"GITHUB_OUTPUT":                 o.outputFile,
					"the job summary":               o.summary,
					"the PR comment":                strings.Join(bodies, "\n"),
				}
				for where, text := range places {
					for _, s := range hunted {
						if strings.Contains(text, s) {
							t.Errorf("%s contains the secret %q", where, s)
						}
					}
				}

				// Invalid input never gets a Config: its masks are checked
				// by TestActionInvalidInputMasksSecrets (a known bug).
				if mode == "action" && tc.wantCode != 2 {
					given := map[string]bool{}
					for _, k := range []string{"access-token", "component-access-token", "app-secret", "component-appsecret", "component-verify-ticket", "github-token"} {
						if v := inputs[k]; v != "" {
							given[v] = true
						}
					}
					for _, s := range fetched {
						given[s] = true
					}
					masks := maskedValues(o.stdout)
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

// withoutMasks drops the ::add-mask:: lines, which exist to name secrets.
func withoutMasks(stdout string) string {
	var keep []string
	for _, line := range strings.Split(stdout, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

func maskedValues(stdout string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(stdout, "\n") {
		if v, ok := strings.CutPrefix(line, "::add-mask::"); ok {
			out[v] = true
		}
	}
	return out
}

// TestActionInvalidInputMasksSecrets: even when the inputs are invalid, the
// secrets among them should be registered with ::add-mask:: before the step
// ends, so that later steps (which may print them) are masked too.
func TestActionInvalidInputMasksSecrets(t *testing.T) {
	t.Parallel()
	a := newAction(t, "pull_request").set("INPUT_ACCESS-TOKEN", secretAccess,
		"INPUT_GITHUB-TOKEN", secretGitHub, "INPUT_ENVS", "dev 1")
	o := a.run()
	if o.code != 2 {
		t.Fatalf("exit %d, want 2\n%v", o.code, o)
	}
	masks := maskedValues(o.stdout)
	for _, s := range []string{secretAccess, secretGitHub} {
		if !masks[s] {
			t.Errorf("no ::add-mask:: for %q:\n%s", s, o.stdout)
		}
	}
}

// TestCLIStrayArgumentSecret: a token typed where a flag was expected is
// not echoed back in the "is not a flag" error when the same value is also
// given as a secret flag.
func TestCLIStrayArgumentSecret(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
	}{
		{name: "unknown flag's value", args: []string{"deploy", "--function-name", "hello", "--acess-token", secretAccess}},
		{name: "unknown flag with =", args: []string{"deploy", "--function-name", "hello", "--acess-token=" + secretAccess}},
		{name: "stray copy of a given token", args: []string{"deploy", "--access-token", secretAccess, "--function-name", "hello", secretAccess}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := runCLI(t, map[string]string{}, tt.args...)
			if o.code != 2 {
				t.Errorf("exit %d, want 2", o.code)
			}
			if strings.Contains(o.stdout+o.stderr, secretAccess) {
				t.Errorf("the error echoes the token:\n%v", o)
			}
		})
	}
}
