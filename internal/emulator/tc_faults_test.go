package emulator_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
)

// TestTencentFaults: faults aimed at Tencent Cloud actions, and the hostile
// answers client tests need (redirects, Retry-After, arbitrary bodies).
func TestTencentFaults(t *testing.T) {
	t.Parallel()
	get := map[string]any{"FunctionName": "fn", "Namespace": "a"}
	cases := []struct {
		name   string
		faults []emulator.Fault
		check  func(t *testing.T, e *tc)
	}{
		{
			name:   "a vendor error once, then normal",
			faults: []emulator.Fault{{Action: "GetFunction", ErrorCode: "RequestLimitExceeded", Times: 1}},
			check: func(t *testing.T, e *tc) {
				if err := e.scf("GetFunction", get, nil); codeOf(err) != "RequestLimitExceeded" {
					t.Errorf("first: %v", err)
				}
				if err := e.scf("GetFunction", get, nil); err != nil {
					t.Errorf("second: %v", err)
				}
				if c := e.Calls(); !c[0].Faulted || c[0].ErrorCode != "RequestLimitExceeded" || c[1].Faulted {
					t.Errorf("calls = %+v", c)
				}
			},
		},
		{
			name:   "only the action named",
			faults: []emulator.Fault{{Action: "UpdateFunctionCode", ErrorCode: "InternalError", Message: "upstream timeout"}},
			check: func(t *testing.T, e *tc) {
				if err := e.scf("GetFunction", get, nil); err != nil {
					t.Errorf("GetFunction: %v", err)
				}
				err := e.scf("UpdateFunctionCode", map[string]any{"FunctionName": "fn", "Namespace": "a", "ZipFile": "x"}, nil)
				if codeOf(err) != "InternalError" || !strings.Contains(err.Error(), "upstream timeout") {
					t.Errorf("UpdateFunctionCode: %v", err)
				}
				if e.Writes() != 0 {
					t.Error("a faulted write counted")
				}
			},
		},
		{
			name:   "Env is the namespace",
			faults: []emulator.Fault{{Action: "*", Env: "b", ErrorCode: "InternalError"}},
			check: func(t *testing.T, e *tc) {
				if err := e.scf("GetFunction", get, nil); err != nil {
					t.Errorf("namespace a: %v", err)
				}
				if err := e.scf("GetFunction", map[string]any{"FunctionName": "fn", "Namespace": "b"}, nil); codeOf(err) != "InternalError" {
					t.Errorf("namespace b: %v", err)
				}
			},
		},
		{
			name:   `Path "/" is every Tencent call and no WeChat one`,
			faults: []emulator.Fault{{Path: "/", ErrorCode: "InternalError"}},
			check: func(t *testing.T, e *tc) {
				if err := e.scf("ListFunctions", map[string]any{"Namespace": "a"}, nil); codeOf(err) != "InternalError" {
					t.Errorf("ListFunctions: %v", err)
				}
				if r := e.call(pDownload, single("a", "fn")); r.Errcode != 0 {
					t.Errorf("downloadfunction: %+v", r)
				}
			},
		},
		{
			name:   "WeChat faults leave Tencent calls alone",
			faults: []emulator.Fault{{Errcode: -1}},
			check: func(t *testing.T, e *tc) {
				if err := e.scf("GetFunction", get, nil); err != nil {
					t.Errorf("GetFunction: %v", err)
				}
			},
		},
		{
			name:   "delay on an action",
			faults: []emulator.Fault{{Action: "GetFunction", Delay: 50 * time.Millisecond, Times: 1}},
			check: func(t *testing.T, e *tc) {
				start := time.Now()
				if err := e.scf("GetFunction", get, nil); err != nil || time.Since(start) < 50*time.Millisecond {
					t.Errorf("%v after %v, want the answer after ≥ 50ms", err, time.Since(start))
				}
				if !e.Calls()[0].Faulted {
					t.Error("not marked Faulted")
				}
			},
		},
		{
			name:   "HTTP 429 with Retry-After",
			faults: []emulator.Fault{{Action: "GetFunction", HTTPStatus: 429, Headers: map[string]string{"Retry-After": "7"}, Times: 1}},
			check: func(t *testing.T, e *tc) {
				res := rawTencent(t, e, "GetFunction")
				if res.StatusCode != 429 || res.Header.Get("Retry-After") != "7" {
					t.Errorf("HTTP %d Retry-After %q", res.StatusCode, res.Header.Get("Retry-After"))
				}
				if err := e.scf("GetFunction", get, nil); err != nil {
					t.Errorf("after: %v", err)
				}
			},
		},
		{
			name:   "redirect to another origin",
			faults: []emulator.Fault{{Action: "*", Redirect: "http://evil.example/steal"}},
			check: func(t *testing.T, e *tc) {
				res := rawTencent(t, e, "GetFunction")
				if res.StatusCode != http.StatusTemporaryRedirect || res.Header.Get("Location") != "http://evil.example/steal" {
					t.Errorf("HTTP %d Location %q", res.StatusCode, res.Header.Get("Location"))
				}
			},
		},
		{
			name:   "redirect https to http, 301, on a WeChat path",
			faults: []emulator.Fault{{Path: pDownload, Redirect: "http://api.weixin.qq.com/tcb/downloadfunction", HTTPStatus: 301}},
			check: func(t *testing.T, e *tc) {
				hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
				res, err := hc.Post(e.url+pDownload+"?access_token="+e.Token(), "application/json", strings.NewReader(`{}`))
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != 301 || !strings.HasPrefix(res.Header.Get("Location"), "http://") {
					t.Errorf("HTTP %d Location %q", res.StatusCode, res.Header.Get("Location"))
				}
			},
		},
		{
			name:   "a hostile body",
			faults: []emulator.Fault{{Action: "GetFunction", Body: `{"Response":{"Error":{"Code":"::error::x"}`}},
			check: func(t *testing.T, e *tc) {
				res := rawTencent(t, e, "GetFunction")
				body, _ := io.ReadAll(res.Body)
				if res.StatusCode != 200 || string(body) != `{"Response":{"Error":{"Code":"::error::x"}` {
					t.Errorf("HTTP %d %q", res.StatusCode, body)
				}
			},
		},
		{
			name:   "headers on the normal answer",
			faults: []emulator.Fault{{Action: "GetFunction", Headers: map[string]string{"Content-Type": "text/event-stream"}}},
			check: func(t *testing.T, e *tc) {
				res := rawTencent(t, e, "GetFunction")
				body, _ := io.ReadAll(res.Body)
				if res.Header.Get("Content-Type") != "text/event-stream" || !strings.Contains(string(body), `"Response"`) {
					t.Errorf("Content-Type %q, body %s", res.Header.Get("Content-Type"), body)
				}
			},
		},
		{
			name:   "the STS call and the OIDC endpoint",
			faults: []emulator.Fault{{Action: "AssumeRoleWithWebIdentity", ErrorCode: "InternalError.GetRoleError", Times: 1}, {Path: "/_github/oidc/token", HTTPStatus: 503, Times: 1}},
			check: func(t *testing.T, e *tc) {
				err := e.sts(map[string]any{"ProviderId": "github", "WebIdentityToken": "x", "RoleArn": "qcs::cam::uin/1:roleName/r", "RoleSessionName": "ci"}, nil)
				if codeOf(err) != "InternalError.GetRoleError" {
					t.Errorf("STS: %v", err)
				}
				res, err := e.hc.Get(e.OIDCRequestURL(e.url))
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != 503 {
					t.Errorf("OIDC endpoint: HTTP %d", res.StatusCode)
				}
			},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newTC(t, emulator.Options{Node: "-"})
			for _, env := range []string{"a", "b"} {
				e.Seed(env, "fn", makeZip(t, map[string]string{"index.js": ""}))
			}
			for _, f := range c.faults {
				e.Inject(f)
			}
			c.check(t, e)
		})
	}
}

// rawTencent sends an unsigned call for action and returns the raw answer
// without following redirects (the body is closed by the test's cleanup).
func rawTencent(t *testing.T, e *tc, action string) *http.Response {
	t.Helper()
	req, _ := http.NewRequest("POST", e.url+"/", strings.NewReader(`{"FunctionName":"fn","Namespace":"a"}`))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-TC-Action", action)
	hc := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { res.Body.Close() })
	return res
}
