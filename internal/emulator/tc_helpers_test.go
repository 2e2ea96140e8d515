package emulator_test

import (
	"crypto/sha256"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
)

// clock is a fake Options.Now. It starts at the real time: the SDK signs
// with the real clock, and the emulator refuses a signature 5 minutes off.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func newClock() *clock { return &clock{now: time.Now()} }

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// tc is an emulator behind httptest with a fake clock, driven through the
// Tencent Cloud SDK's own common client: signing compatibility is proven by
// someone else's code.
type tc struct {
	*emu
	clock    *clock
	endpoint string // host:port, as cpf.HttpProfile.Endpoint
}

func newTC(t *testing.T, opts emulator.Options) *tc {
	t.Helper()
	c := newClock()
	if opts.Now == nil {
		opts.Now = c.Now
	}
	e := newEmu(t, opts)
	return &tc{emu: e, clock: c, endpoint: strings.TrimPrefix(e.url, "http://")}
}

func (e *tc) profile() *profile.ClientProfile {
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = e.endpoint
	cpf.HttpProfile.Scheme = "HTTP"
	cpf.HttpProfile.ReqTimeout = 30
	return cpf
}

// client signs with the emulator's permanent key pair in its region.
func (e *tc) client() *common.Client {
	return e.clientWith(common.NewCredential(e.SecretID(), e.SecretKey()), e.Region())
}

func (e *tc) clientWith(cred common.CredentialIface, region string) *common.Client {
	return common.NewCommonClient(cred, region, e.profile())
}

// scf calls an SCF action with the permanent keys and decodes the Response
// object into out (when not nil).
func (e *tc) scf(action string, params map[string]any, out any) error {
	return send(e.client(), "scf", "2018-04-16", action, params, out, false)
}

// mustSCF is scf that fails the test on an error.
func (e *tc) mustSCF(action string, params map[string]any, out any) {
	e.t.Helper()
	if err := e.scf(action, params, out); err != nil {
		e.t.Fatalf("%s: %v", action, err)
	}
}

// sts calls AssumeRoleWithWebIdentity unsigned, as the SDK's OIDC provider
// does.
func (e *tc) sts(params map[string]any, out any) error {
	return send(e.clientWith(nil, e.Region()), "sts", "2018-08-13", "AssumeRoleWithWebIdentity", params, out, true)
}

func send(c *common.Client, service, version, action string, params map[string]any, out any, skipSign bool) error {
	req := tchttp.NewCommonRequest(service, version, action)
	req.SetSkipSign(skipSign)
	if err := req.SetActionParameters(params); err != nil {
		return err
	}
	resp := tchttp.NewCommonResponse()
	if err := c.Send(req, resp); err != nil {
		return err
	}
	if out == nil {
		return nil
	}
	var env struct{ Response json.RawMessage }
	if err := json.Unmarshal(resp.GetBody(), &env); err != nil {
		return err
	}
	return json.Unmarshal(env.Response, out)
}

// codeOf is the Tencent Cloud error code of err ("" for nil).
func codeOf(err error) string {
	if err == nil {
		return ""
	}
	var e *tcerr.TencentCloudSDKError
	if errors.As(err, &e) {
		return e.GetCode()
	}
	return "not a vendor error: " + err.Error()
}

// getFunction is the GetFunction answer fields the tests read.
type getFunction struct {
	Status, Runtime, Handler, InstallDependency, Namespace, FunctionName string
	Timeout, MemorySize, CodeSize                                        int
	StatusReasons                                                        []struct{ ErrorCode, ErrorMessage string }
	Environment                                                          struct{ Variables []struct{ Key, Value string } }
	Triggers                                                             []struct {
		TriggerName, Type, TriggerDesc string
		Enable                         int
	}
	RequestId string
}

func (e *tc) get(ns, name string) getFunction {
	e.t.Helper()
	var g getFunction
	e.mustSCF("GetFunction", map[string]any{"FunctionName": name, "Namespace": ns}, &g)
	return g
}

// waitActive polls GetFunction like a deploy does, advancing the fake clock
// instead of sleeping; it returns the statuses seen.
func (e *tc) waitActive(ns, name string) []string {
	e.t.Helper()
	var seen []string
	for range 20 {
		st := e.get(ns, name).Status
		seen = append(seen, st)
		if st != "Creating" && st != "Updating" {
			return seen
		}
		e.clock.Advance(100 * time.Millisecond)
	}
	e.t.Fatalf("%s/%s never settled: %v", ns, name, seen)
	return nil
}

// hostRewriter changes the Host header after the SDK signed it.
type hostRewriter struct{ host string }

func (h hostRewriter) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Host = h.host
	return http.DefaultTransport.RoundTrip(r)
}

func nodeFn(t testing.TB, src string, extra ...string) []byte {
	t.Helper()
	files := map[string]string{"index.js": src}
	for i := 0; i+1 < len(extra); i += 2 {
		files[extra[i]] = extra[i+1]
	}
	return makeZip(t, files)
}

func createParams(ns, name string, zip []byte, kv ...any) map[string]any {
	p := map[string]any{
		"FunctionName": name, "Namespace": ns, "Runtime": "Nodejs18.15", "Handler": "index.main",
		"Code": map[string]any{"ZipFile": b64(zip)},
	}
	for i := 0; i+1 < len(kv); i += 2 {
		p[kv[i].(string)] = kv[i+1]
	}
	return p
}

func sha256Raw(b []byte) []byte {
	s := sha256.Sum256(b)
	return s[:]
}
