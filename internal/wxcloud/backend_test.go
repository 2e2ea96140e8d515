package wxcloud

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"testing/synctest"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
)

const notFoundMsg = "[ResourceNotFound.Function] function not found"

func TestBackendProbe(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		replies    []reply
		noAccess   bool
		want       backend.Deployed
		wantKind   backend.Kind // checked when wantErr
		wantErr    string       // "" means a nil error
		wantSends  int
		retryCount int
	}{
		{name: "found: checksum lowercased, url kept",
			replies:   []reply{ok(`{"errcode":0,"errmsg":"ok","url":"https://cos.example/c?sign=s","checksum":"BF65AB"}`)},
			want:      backend.Deployed{Exists: backend.Exists, SHA256: "bf65ab", CodeURL: "https://cos.example/c?sign=s"},
			wantSends: 1},
		{name: "created empty: a url without a checksum still exists",
			replies:   []reply{ok(`{"errcode":0,"errmsg":"ok","url":"https://cos.example/c","checksum":""}`)},
			want:      backend.Deployed{Exists: backend.Exists, CodeURL: "https://cos.example/c"},
			wantSends: 1},
		{name: "not found",
			replies:   []reply{ok(`{"errcode":-501000,"errmsg":"` + notFoundMsg + `"}`)},
			want:      backend.Deployed{Exists: backend.Missing},
			wantSends: 1},
		{name: "40001 is denied, existence unknown",
			replies:  []reply{ok(`{"errcode":40001,"errmsg":"invalid credential"}`)},
			wantKind: backend.KindDenied, wantErr: "errcode 40001", wantSends: 1},
		{name: "502 after retries is unreachable",
			replies:  []reply{{status: 502, body: "<html>bad gateway</html>"}},
			wantKind: backend.KindUnreachable, wantErr: "HTTP 502", wantSends: 3, retryCount: 2},
		{name: "another platform's code: unknown, not missing",
			replies:  []reply{ok(`{"errcode":-501000,"errmsg":"code protected by another third-party platform"}`)},
			wantKind: backend.KindOther, wantErr: "another third-party platform", wantSends: 1},
		{name: "errcode 0 with neither url nor checksum",
			replies:  []reply{ok(`{"errcode":0,"errmsg":"ok"}`)},
			wantKind: backend.KindOther, wantErr: "incomplete", wantSends: 1},
		{name: "85088 is no env",
			replies:  []reply{ok(`{"errcode":85088,"errmsg":"no qbase privilege"}`)},
			wantKind: backend.KindNoEnv, wantErr: "85088", wantSends: 1},
		{name: "no access token: unknown, and says what is lost",
			noAccess: true, wantKind: backend.KindOther,
			wantErr: "downloadfunction needs access-token (an authorizer_access_token", wantSends: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeAPI(t, map[string]http.HandlerFunc{"/tcb/downloadfunction": script(tt.replies...)})
			c := testClient(srv, WithRetries(tt.retryCount))
			if tt.noAccess {
				WithTokens(nil, StaticToken(testComponent))(c)
			}
			got, err := NewBackend(c, BackendOptions{}).Probe(context.Background(), "login", "dev-1")
			if n := len(srv.requests("")); n != tt.wantSends {
				t.Errorf("sent %d requests, want %d", n, tt.wantSends)
			}
			if tt.wantErr == "" {
				if err != nil || got != tt.want {
					t.Fatalf("Probe = %+v, %v; want %+v", got, err, tt.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
			}
			if k := backend.KindOf(err); k != tt.wantKind {
				t.Errorf("kind = %v, want %v", k, tt.wantKind)
			}
			if got.Exists != backend.ExistsUnknown {
				t.Errorf("Exists = %v with an error, want unknown", got.Exists)
			}
			if tt.noAccess && !strings.Contains(err.Error(), "no skip-unchanged and no rollback backup") {
				t.Errorf("err = %v, want it to say what the missing probe costs", err)
			}
		})
	}
}

func TestBackendFetchCode(t *testing.T) {
	t.Parallel()
	code := bytes.Repeat([]byte("PK\x03\x04zip"), 1000)
	srv := newFakeAPI(t, map[string]http.HandlerFunc{"/code": func(w http.ResponseWriter, r *http.Request) { w.Write(code) }})
	b := NewBackend(testClient(srv), BackendOptions{})
	var buf bytes.Buffer
	n, err := b.FetchCode(context.Background(), backend.Deployed{CodeURL: srv.URL + "/code?sign=SECRET-SIGNATURE"}, &buf, int64(len(code)))
	if err != nil || n != int64(len(code)) || !bytes.Equal(buf.Bytes(), code) {
		t.Fatalf("FetchCode = %d, %v; %d bytes written", n, err, buf.Len())
	}
	if r := srv.requests("/code"); len(r) != 1 || r[0].Query.Has("access_token") {
		t.Errorf("the download URL was sent a token or not fetched: %+v", r)
	}
	_, err = b.FetchCode(context.Background(), backend.Deployed{CodeURL: srv.URL + "/code?sign=SECRET-SIGNATURE"}, io.Discard, 10)
	if err == nil || !strings.Contains(err.Error(), "over the limit of 10 bytes") || strings.Contains(err.Error(), "SECRET-SIGNATURE") {
		t.Errorf("over the limit: err = %v", err)
	}
	if _, err := b.FetchCode(context.Background(), backend.Deployed{Exists: backend.Exists}, io.Discard, 10); err == nil {
		t.Error("FetchCode without a URL should fail")
	}
}

// batchBody is a batch call's request body, decoded.
type batchBody struct {
	FunctionName string   `json:"functionname"`
	Envs         []string `json:"envs"`
	ZipFile      string   `json:"zipfile"`
	VPCID        string   `json:"vpcid"`
	SubnetID     string   `json:"subnetid"`
}

func decodeBatch(t *testing.T, r recorded) batchBody {
	t.Helper()
	var b batchBody
	if err := json.Unmarshal(r.Body, &b); err != nil {
		t.Fatalf("batch body is not JSON: %v", err)
	}
	return b
}

func envIDs(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("env-%03d", i)
	}
	return out
}

func TestBackendUploadChunks(t *testing.T) {
	t.Parallel()
	// The second call fails env-077 in its fail list; the others succeed.
	srv := newFakeAPI(t, map[string]http.HandlerFunc{"/componenttcb/batchuploadscf": func(w http.ResponseWriter, r *http.Request) {
		var b batchBody
		json.NewDecoder(r.Body).Decode(&b)
		if slices.Contains(b.Envs, "env-077") {
			io.WriteString(w, `{"errcode":0,"errmsg":"ok","fail_env_list":[{"env":"env-077","errmsg":"`+notFoundMsg+`"}]}`)
			return
		}
		io.WriteString(w, `{"errcode":0,"errmsg":"ok"}`)
	}})
	zip := []byte("PK\x03\x04 the package")
	envs := envIDs(120)
	b := NewBackend(testClient(srv), BackendOptions{EnvsPerCall: 50, VPCID: "vpc-1", SubnetID: "subnet-1"})
	out := b.Upload(context.Background(), backend.UploadRequest{Op: backend.Create, Function: "login", Envs: envs, Zip: zipOf(zip)})

	if len(out) != len(envs) {
		t.Fatalf("%d outcomes for %d envs", len(out), len(envs))
	}
	for i, o := range out {
		if o.Env != envs[i] {
			t.Fatalf("outcome %d is for %q, want %q (request order)", i, o.Env, envs[i])
		}
		if envs[i] == "env-077" {
			if o.Err == nil || !o.PerEnv || backend.KindOf(o.Err) != backend.KindNotFound {
				t.Errorf("env-077: %+v, want a per-env not-found failure", o)
			}
			continue
		}
		if o.Err != nil || o.PerEnv {
			t.Errorf("%s: %+v, want success", o.Env, o)
		}
	}
	reqs := srv.requests("/componenttcb/batchuploadscf")
	if len(reqs) != 3 {
		t.Fatalf("sent %d batch calls, want 3 (50+50+20)", len(reqs))
	}
	var sent [][]string
	for _, r := range reqs {
		body := decodeBatch(t, r)
		if z, err := base64.StdEncoding.DecodeString(body.ZipFile); err != nil || !bytes.Equal(z, zip) {
			t.Errorf("zipfile decodes to %q, %v", z, err)
		}
		if body.FunctionName != "login" || body.VPCID != "vpc-1" || body.SubnetID != "subnet-1" {
			t.Errorf("body = %+v", body)
		}
		if tok := r.Query.Get("access_token"); tok != testComponent {
			t.Errorf("batch call sent token %q, want the component token", tok)
		}
		sent = append(sent, body.Envs)
	}
	slices.SortFunc(sent, func(a, b []string) int { return strings.Compare(a[0], b[0]) })
	want := [][]string{envs[:50], envs[50:100], envs[100:]}
	for i := range want {
		if !slices.Equal(sent[i], want[i]) {
			t.Errorf("call %d carried %d envs %v…, want %v…", i, len(sent[i]), sent[i][:1], want[i][:1])
		}
	}
}

func TestBackendUploadDefaultsAndUpdate(t *testing.T) {
	t.Parallel()
	srv := newFakeAPI(t, map[string]http.HandlerFunc{"/componenttcb/batchuploadscfcode": script(ok(`{"errcode":0,"errmsg":"ok"}`))})
	b := NewBackend(testClient(srv), BackendOptions{VPCID: "vpc-1"})
	out := b.Upload(context.Background(), backend.UploadRequest{Op: backend.Update, Function: "f", Envs: envIDs(DefaultEnvsPerCall + 1), Zip: zipOf([]byte("z"))})
	for _, o := range out {
		if o.Err != nil {
			t.Fatalf("%s: %v", o.Env, o.Err)
		}
	}
	reqs := srv.requests("")
	if len(reqs) != 2 {
		t.Fatalf("%d calls, want 2 at the default of %d envs per call", len(reqs), DefaultEnvsPerCall)
	}
	for _, r := range reqs {
		if body := decodeBatch(t, r); body.VPCID != "" {
			t.Errorf("an update sent vpcid %q", body.VPCID)
		}
	}
}

// TestBackendUploadBoundsCalls runs in a synctest bubble over an in-process
// transport, so "every call that can start has started" is observable.
func TestBackendUploadBoundsCalls(t *testing.T) {
	t.Parallel()
	synctest.Test(t, func(t *testing.T) {
		var arrived atomic.Int32
		release := make(chan struct{})
		rt := roundTripFunc(func(r *http.Request) (*http.Response, error) {
			arrived.Add(1)
			<-release
			return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(`{"errcode":0}`)), Header: http.Header{}, Request: r}, nil
		})
		c := NewClient(&http.Client{Transport: rt}, WithTokens(nil, StaticToken(testComponent)), WithSleep(noSleep))
		b := NewBackend(c, BackendOptions{EnvsPerCall: 1})
		done := make(chan []backend.Outcome)
		go func() {
			done <- b.Upload(context.Background(), backend.UploadRequest{Op: backend.Update, Function: "f", Envs: envIDs(10), Zip: zipOf([]byte("z"))})
		}()
		synctest.Wait()
		if n := arrived.Load(); n != callsAtOnce {
			t.Errorf("%d calls in flight at once, want %d", n, callsAtOnce)
		}
		close(release)
		for _, o := range <-done {
			if o.Err != nil {
				t.Errorf("%s: %v", o.Env, o.Err)
			}
		}
		if n := arrived.Load(); n != 10 {
			t.Errorf("%d calls, want 10", n)
		}
	})
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestBackendUploadFailLists: one reading of fail lists for every upload.
// Whatever cannot be pinned on exactly one requested env fails every env of
// the call, never reads as success.
func TestBackendUploadFailLists(t *testing.T) {
	t.Parallel()
	const unreadable = "could not read the vendor's answer"
	tests := []struct {
		name   string
		envs   []string
		answer string
		// perEnv lists the envs failed on their own; "*" means every env
		// failed as a whole call with wantMsg.
		perEnv  []string
		wantMsg string
		kind    backend.Kind
		code    int
	}{
		{name: "entry naming an env exactly", envs: []string{"dev-a", "dev-b"},
			answer: `{"errcode":0,"fail_list":[{"env":"dev-b","errcode":-501000,"errormsg":"[FailedOperation.FunctionStatusError] function is updating"}]}`,
			perEnv: []string{"dev-b"}, wantMsg: `batchuploadscfcode: env "dev-b" failed: errcode -501000`, kind: backend.KindBusy, code: -501000},
		{name: "empty list", envs: []string{"dev-a"}, answer: `{"errcode":0,"fail_list":[]}`},
		{name: "null list", envs: []string{"dev-a"}, answer: `{"errcode":0,"fail_list":null}`},
		{name: "entry without env", envs: []string{"dev-a", "dev-b"},
			answer: `{"errcode":0,"fail_list":[{"errmsg":"boom"}]}`, perEnv: []string{"*"}, wantMsg: "an entry without an env", kind: backend.KindUnreachable},
		{name: "entry with an empty env", envs: []string{"dev-a"},
			answer: `{"errcode":0,"fail_list":[{"env":"","errmsg":"boom"}]}`, perEnv: []string{"*"}, wantMsg: "an entry without an env", kind: backend.KindUnreachable},
		{name: "env in another case", envs: []string{"dev-a", "dev-b"},
			answer: `{"errcode":0,"fail_list":[{"env":"DEV-A","errmsg":"boom"}]}`, perEnv: []string{"*"}, wantMsg: `env "DEV-A", which differs from the requested "dev-a" in case or spacing`, kind: backend.KindUnreachable},
		{name: "env with padding", envs: []string{"dev-a", "dev-b"},
			answer: `{"errcode":0,"fail_env_list":[{"env":" dev-a ","errmsg":"boom"}]}`, perEnv: []string{"*"}, wantMsg: "in case or spacing", kind: backend.KindUnreachable},
		{name: "env not requested", envs: []string{"dev-a", "dev-b"},
			answer: `{"errcode":0,"fail_list":[{"env":"dev-z","errmsg":"boom"}]}`, perEnv: []string{"*"}, wantMsg: `env "dev-z", which this call did not ask for`, kind: backend.KindUnreachable},
		{name: "env that is a number", envs: []string{"dev-a"},
			answer: `{"errcode":0,"fail_list":[{"env":7}]}`, perEnv: []string{"*"}, wantMsg: "an entry whose env is a number", kind: backend.KindUnreachable},
		{name: "entry that is a string", envs: []string{"dev-a"},
			answer: `{"errcode":0,"fail_list":["dev-a"]}`, perEnv: []string{"*"}, wantMsg: "an entry that is not an object", kind: backend.KindUnreachable},
		{name: "entry that is null", envs: []string{"dev-a"},
			answer: `{"errcode":0,"fail_list":[null]}`, perEnv: []string{"*"}, wantMsg: "an entry that is not an object", kind: backend.KindUnreachable},
		{name: "list that is a string", envs: []string{"dev-a"},
			answer: `{"errcode":0,"fail_list":"dev-a"}`, perEnv: []string{"*"}, wantMsg: "fail_list is a string, not an array", kind: backend.KindUnreachable},
		{name: "list that is a number", envs: []string{"dev-a"},
			answer: `{"errcode":0,"fail_env_list":1}`, perEnv: []string{"*"}, wantMsg: "fail_env_list is a number, not an array", kind: backend.KindUnreachable},
		{name: "list that is an object", envs: []string{"dev-a"},
			answer: `{"errcode":0,"fail_list":{"env":"dev-a","errmsg":"boom"}}`, perEnv: []string{"*"}, wantMsg: "fail_list is an object, not an array", kind: backend.KindUnreachable},
		{name: "one readable entry does not save an unreadable one", envs: []string{"dev-a", "dev-b"},
			answer: `{"errcode":0,"fail_list":[{"env":"dev-a","errmsg":"x"},{"errmsg":"y"}]}`, perEnv: []string{"*"}, wantMsg: unreadable, kind: backend.KindUnreachable},
		{name: "rollback-shaped answer", envs: []string{"dev-a"},
			answer: `{"errcode":0,"fail_list":[{"errcode":-501000,"errormsg":"rollback failed"}]}`, perEnv: []string{"*"}, wantMsg: "rollback failed", kind: backend.KindUnreachable, code: -501000},
		{name: "errcode fails the call", envs: []string{"dev-a", "dev-b"},
			answer: `{"errcode":40014,"errmsg":"invalid access_token","fail_list":[{"env":"dev-a"}]}`, perEnv: []string{"*"}, wantMsg: "errcode 40014", kind: backend.KindDenied, code: 40014},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeAPI(t, map[string]http.HandlerFunc{"/componenttcb/batchuploadscfcode": script(ok(tt.answer))})
			out := NewBackend(testClient(srv), BackendOptions{}).Upload(context.Background(),
				backend.UploadRequest{Op: backend.Update, Function: "f", Envs: tt.envs, Zip: zipOf([]byte("z"))})
			if n := len(srv.requests("")); n != 1 {
				t.Errorf("sent %d requests, want 1 (a readable answer is not retried)", n)
			}
			whole := slices.Contains(tt.perEnv, "*")
			for _, o := range out {
				failed := whole || slices.Contains(tt.perEnv, o.Env)
				if !failed {
					if o.Err != nil {
						t.Errorf("%s: %v, want success", o.Env, o.Err)
					}
					continue
				}
				if o.Err == nil {
					t.Fatalf("%s: success, want a failure", o.Env)
				}
				if o.PerEnv == whole {
					t.Errorf("%s: PerEnv = %v, want %v", o.Env, o.PerEnv, !whole)
				}
				if !strings.Contains(o.Err.Error(), tt.wantMsg) {
					t.Errorf("%s: %q lacks %q", o.Env, o.Err, tt.wantMsg)
				}
				if tt.kind == backend.KindUnreachable && !strings.Contains(o.Err.Error(), unreadable) {
					t.Errorf("%s: %q does not say the answer could not be read", o.Env, o.Err)
				}
				if k := backend.KindOf(o.Err); k != tt.kind {
					t.Errorf("%s: kind %v, want %v", o.Env, k, tt.kind)
				}
				if code, _ := backend.CodeOf(o.Err); code != tt.code {
					t.Errorf("%s: code %d, want %d", o.Env, code, tt.code)
				}
			}
		})
	}
}

// TestBackendUploadLostAnswers: an answer lost after the request went out
// may hide an applied upload; a failure before anything was sent must not
// say so.
func TestBackendUploadLostAnswers(t *testing.T) {
	t.Parallel()
	const maybe = "may or may not have been applied"
	tests := []struct {
		name      string
		handler   func(cancel context.CancelFunc) http.HandlerFunc
		component func(c *Client) TokenSource
		cancelled bool // cancel before calling
		kind      backend.Kind
		wantMsg   []string
		notMsg    []string
		wantSends int
	}{
		{name: "gateway 502 after retries",
			handler: func(context.CancelFunc) http.HandlerFunc { return script(reply{status: 502, body: "<html>502</html>"}) },
			kind:    backend.KindUnreachable, wantMsg: []string{"HTTP 502", "gave up after 3 attempts", maybe}, wantSends: 3},
		{name: "connection cut",
			handler: func(context.CancelFunc) http.HandlerFunc { return script(reply{hijack: true}) },
			kind:    backend.KindUnreachable, wantMsg: []string{"network error", maybe}, wantSends: 3},
		{name: "HTML page with HTTP 200",
			handler: func(context.CancelFunc) http.HandlerFunc { return script(ok("<html>maintenance</html>")) },
			kind:    backend.KindUnreachable, wantMsg: []string{"non-JSON body", maybe}, wantSends: 3},
		{name: "cancelled after sending",
			handler: func(cancel context.CancelFunc) http.HandlerFunc {
				return func(w http.ResponseWriter, r *http.Request) { cancel(); <-r.Context().Done() }
			},
			kind: backend.KindUnreachable, wantMsg: []string{"interrupted", maybe}, wantSends: 1},
		{name: "cancelled before sending",
			handler:   func(context.CancelFunc) http.HandlerFunc { return script(ok(`{"errcode":0}`)) },
			cancelled: true, kind: backend.KindCancelled, wantMsg: []string{"interrupted"}, notMsg: []string{maybe}, wantSends: 0},
		{name: "component token endpoint refuses",
			handler: func(context.CancelFunc) http.HandlerFunc { return script(ok(`{"errcode":0}`)) },
			component: func(c *Client) TokenSource {
				return ComponentToken(c, "wxcomp", testAppSecret, testTicket)
			},
			kind: backend.KindDenied, notMsg: []string{maybe},
			wantMsg: []string{"POST /cgi-bin/component/api_component_token", "nothing was uploaded", "errcode 61005"}, wantSends: 0},
		{name: "component token endpoint unreachable",
			handler: func(context.CancelFunc) http.HandlerFunc { return script(ok(`{"errcode":0}`)) },
			component: func(c *Client) TokenSource {
				return ComponentToken(c, "wxcomp-502", testAppSecret, testTicket)
			},
			kind: backend.KindOther, notMsg: []string{maybe},
			wantMsg: []string{"POST /cgi-bin/component/api_component_token", "nothing was uploaded", "HTTP 502"}, wantSends: 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			srv := newFakeAPI(t, map[string]http.HandlerFunc{
				"/componenttcb/batchuploadscf": tt.handler(cancel),
				"/cgi-bin/component/api_component_token": func(w http.ResponseWriter, r *http.Request) {
					if bytes.Contains(mustRead(r), []byte("wxcomp-502")) {
						w.WriteHeader(502)
						return
					}
					io.WriteString(w, `{"errcode":61005,"errmsg":"component ticket is expired"}`)
				},
			})
			c := testClient(srv, WithRetries(2))
			if tt.component != nil {
				WithTokens(StaticToken(testToken), tt.component(c))(c)
			}
			if tt.cancelled {
				cancel()
			}
			out := NewBackend(c, BackendOptions{}).Upload(ctx, backend.UploadRequest{Op: backend.Create, Function: "f", Envs: []string{"dev-a", "dev-b"}, Zip: zipOf([]byte("z"))})
			if n := len(srv.requests("/componenttcb/batchuploadscf")); n != tt.wantSends {
				t.Errorf("sent %d uploads, want %d", n, tt.wantSends)
			}
			for _, o := range out {
				if o.Err == nil || o.PerEnv {
					t.Fatalf("%s: %+v, want a whole-call failure", o.Env, o)
				}
				if k := backend.KindOf(o.Err); k != tt.kind {
					t.Errorf("%s: kind %v, want %v (%v)", o.Env, k, tt.kind, o.Err)
				}
				for _, w := range tt.wantMsg {
					if !strings.Contains(o.Err.Error(), w) {
						t.Errorf("%s: %q lacks %q", o.Env, o.Err, w)
					}
				}
				for _, n := range tt.notMsg {
					if strings.Contains(o.Err.Error(), n) {
						t.Errorf("%s: %q says %q", o.Env, o.Err, n)
					}
				}
			}
		})
	}
}

func mustRead(r *http.Request) []byte {
	b, _ := io.ReadAll(r.Body)
	return b
}

// TestBackendComponentTokenOnly: the batch calls take the component token
// and nothing else; without one, nothing is sent.
func TestBackendComponentTokenOnly(t *testing.T) {
	t.Parallel()
	routes := map[string]http.HandlerFunc{
		"/componenttcb/batchuploadscf":     script(ok(`{"errcode":0}`)),
		"/componenttcb/batchuploadscfcode": script(ok(`{"errcode":0}`)),
		"/tcb/invokecloudfunction":         script(ok(`{"errcode":0,"resp_data":"{}"}`)),
	}
	t.Run("access token only", func(t *testing.T) {
		t.Parallel()
		srv := newFakeAPI(t, routes)
		c := testClient(srv, WithTokens(StaticToken(testToken), nil))
		b := NewBackend(c, BackendOptions{BatchInvoke: true})
		for _, op := range []backend.Op{backend.Create, backend.Update} {
			for _, o := range b.Upload(context.Background(), backend.UploadRequest{Op: op, Function: "f", Envs: []string{"dev-a"}, Zip: zipOf([]byte("z"))}) {
				if !errors.Is(o.Err, ErrNoToken) || backend.KindOf(o.Err) != backend.KindDenied ||
					!strings.Contains(o.Err.Error(), "needs a component_access_token") {
					t.Errorf("%s: %v, want a denied no-token error naming the component token", op, o.Err)
				}
			}
		}
		if _, err := b.Invoke(context.Background(), backend.InvokeRequest{Function: "f", Env: "dev-a"}); !errors.Is(err, ErrNoToken) {
			t.Errorf("batch invoke without a component token: %v", err)
		}
		if n := len(srv.requests("")); n != 0 {
			t.Errorf("sent %d requests, want none", n)
		}
	})
	t.Run("both tokens", func(t *testing.T) {
		t.Parallel()
		srv := newFakeAPI(t, routes)
		b := NewBackend(testClient(srv), BackendOptions{})
		for _, op := range []backend.Op{backend.Create, backend.Update} {
			b.Upload(context.Background(), backend.UploadRequest{Op: op, Function: "f", Envs: []string{"dev-a"}, Zip: zipOf([]byte("z"))})
		}
		if _, err := b.Invoke(context.Background(), backend.InvokeRequest{Function: "f", Env: "dev-a"}); err != nil {
			t.Fatal(err)
		}
		for _, r := range srv.requests("") {
			tok := r.Query.Get("access_token")
			batch := strings.HasPrefix(r.Path, "/componenttcb/")
			if batch && tok != testComponent || !batch && tok != testToken {
				t.Errorf("%s sent token %q", r.Path, tok)
			}
			if batch && strings.Contains(r.Query.Encode()+string(r.Body), testToken) {
				t.Errorf("%s carried the access token", r.Path)
			}
		}
	})
}

func TestBackendInvokeAndCreate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		batch     bool
		answer    string
		wantResp  string
		wantToken string
		kind      backend.Kind
		code      int
	}{
		{name: "access token", answer: `{"errcode":0,"errmsg":"ok","resp_data":"{\"ok\":true}"}`, wantResp: `{"ok":true}`, wantToken: testToken},
		{name: "batch mode", batch: true, answer: `{"errcode":0,"resp_data":"{\"errorCode\":1}"}`, wantResp: `{"errorCode":1}`, wantToken: testComponent},
		{name: "function-side error keeps its code", answer: `{"errcode":-504002,"errmsg":"functions execute fail"}`, wantToken: testToken, kind: backend.KindOther, code: -504002},
		{name: "not ready is busy", answer: `{"errcode":-501000,"errmsg":"[FailedOperation.FunctionStatusError] function is updating, retry later"}`, wantToken: testToken, kind: backend.KindBusy, code: -501000},
		{name: "missing function", answer: `{"errcode":-501000,"errmsg":"` + notFoundMsg + `"}`, wantToken: testToken, kind: backend.KindNotFound, code: -501000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeAPI(t, map[string]http.HandlerFunc{"/tcb/invokecloudfunction": script(ok(tt.answer))})
			b := NewBackend(testClient(srv), BackendOptions{BatchInvoke: tt.batch})
			res, err := b.Invoke(context.Background(), backend.InvokeRequest{Function: "login", Env: "dev-a", Event: []byte(`{"ping":1}`)})
			r := srv.requests("")[0]
			if r.Query.Get("access_token") != tt.wantToken || r.Query.Get("env") != "dev-a" || r.Query.Get("name") != "login" || string(r.Body) != `{"ping":1}` {
				t.Errorf("request = %+v", r)
			}
			if tt.code == 0 {
				if err != nil || res.RespData != tt.wantResp || res.FunctionError != "" {
					t.Fatalf("Invoke = %+v, %v", res, err)
				}
				return
			}
			if k := backend.KindOf(err); k != tt.kind {
				t.Errorf("kind %v, want %v (%v)", k, tt.kind, err)
			}
			if code, _ := backend.CodeOf(err); code != tt.code {
				t.Errorf("code %d, want %d", code, tt.code)
			}
		})
	}
	t.Run("create empty", func(t *testing.T) {
		t.Parallel()
		srv := newFakeAPI(t, map[string]http.HandlerFunc{"/tcb/createfunction": script(ok(`{"errcode":0}`))})
		b := NewBackend(testClient(srv), BackendOptions{})
		if err := b.CreateEmpty(context.Background(), "login", "dev-a"); err != nil {
			t.Fatal(err)
		}
		r := srv.requests("")[0]
		if r.Query.Get("access_token") != testToken || !bytes.Contains(r.Body, []byte(`"function_name":"login"`)) {
			t.Errorf("request = %+v", r)
		}
		if b.Name() != "wechat" || b.CallName(backend.Create) != "batchuploadscf" || b.CallName(backend.Update) != "batchuploadscfcode" {
			t.Errorf("names: %s %s %s", b.Name(), b.CallName(backend.Create), b.CallName(backend.Update))
		}
	})
}
