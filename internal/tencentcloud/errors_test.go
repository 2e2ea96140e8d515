package tencentcloud

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/httpx"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

// TestExplain: every code of API-NOTES-TENCENTCLOUD.md §3 (and STS's) has
// a Kind and a hint naming what to fix.
func TestExplain(t *testing.T) {
	t.Parallel()
	h := hintCtx{action: "UpdateFunctionCode", fn: "login", env: "dev-1", region: "ap-guangzhou"}
	oidc := h
	oidc.auth = authOIDC
	temp := h
	temp.auth = authTempKeys
	tests := []struct {
		code string
		h    hintCtx
		kind backend.Kind
		hint []string
	}{
		{"AuthFailure.SignatureFailure", h, backend.KindDenied, []string{"secret-key", "secret-id"}},
		{"AuthFailure.SignatureFailure", oidc, backend.KindDenied, []string{"STS"}},
		{"AuthFailure.SecretIdNotFound", h, backend.KindDenied, []string{"secret-id", "enabled"}},
		{"AuthFailure.SignatureExpire", h, backend.KindDenied, []string{"clock", "5 minutes"}},
		{"AuthFailure.InvalidAuthorization", h, backend.KindDenied, []string{"tencentcloud-api-url"}},
		{"AuthFailure.TokenFailure", h, backend.KindDenied, []string{"session-token"}},
		{"AuthFailure.TokenFailure", temp, backend.KindDenied, []string{"session-token", "expired"}},
		{"AuthFailure.TokenFailure", oidc, backend.KindDenied, []string{"STS session token"}},
		{"AuthFailure.MFAFailure", h, backend.KindDenied, []string{"secret-id"}},
		{"AuthFailure.UnauthorizedOperation", h, backend.KindDenied, []string{"CAM policy", "scf:UpdateFunctionCode", "secret-id", `"dev-1"`}},
		{"UnauthorizedOperation", oidc, backend.KindDenied, []string{"CAM policy", "role-arn"}},
		{"UnauthorizedOperation.CAM", h, backend.KindDenied, []string{"CAM policy", "QcloudTCBFullAccess"}},
		{"UnauthorizedOperation.UpdateFunctionCode", h, backend.KindDenied, []string{"CAM policy"}},
		{"InvalidParameter.WebIdentityTokenError", oidc, backend.KindDenied, []string{"audience", "oidc-provider-id", "role-arn"}},
		{"RequestLimitExceeded", h, backend.KindBusy, []string{"throttled", "retried"}},
		{"RequestLimitExceeded.UinLimitExceeded", h, backend.KindBusy, []string{"throttled"}},
		{"InternalError", h, backend.KindUnreachable, []string{"internal error"}},
		{"InternalError.SystemError", h, backend.KindUnreachable, []string{"internal error"}},
		{"FailedOperation.UpdateFunctionCode", h, backend.KindBusy, []string{"busy", "waited"}},
		{"FailedOperation.FunctionStatusError", h, backend.KindBusy, []string{"busy"}},
		{"FailedOperation.FunctionNameStatusError", h, backend.KindBusy, []string{"busy"}},
		{"FailedOperation.OperationConflict", h, backend.KindBusy, []string{"busy"}},
		{"FailedOperation.UpdateFunctionConfiguration", h, backend.KindOther, []string{"function-timeout", "memory"}},
		{"ResourceNotFound.Function", h, backend.KindNotFound, []string{`"login"`, `"dev-1"`}},
		{"ResourceNotFound.FunctionName", h, backend.KindNotFound, []string{`"login"`}},
		{"ResourceNotFound.Namespace", h, backend.KindNoEnv, []string{`"dev-1"`, `"ap-guangzhou"`, "region input", "envs"}},
		{"ResourceInUse.Function", h, backend.KindExists, []string{"already exists"}},
		{"ResourceInUse.FunctionName", h, backend.KindExists, []string{"already exists"}},
		{"InvalidParameterValue.ZipFile", h, backend.KindOther, []string{"zip"}},
		{"InvalidParameterValue.ZipFileBase64BinasciiError", h, backend.KindOther, []string{"base64"}},
		{"InvalidParameterValue.FunctionName", h, backend.KindOther, []string{"function-name"}},
		{"InvalidParameterValue.Runtime", h, backend.KindOther, []string{"runtime", "creation"}},
		{"InvalidParameterValue.Handler", h, backend.KindOther, []string{"handler"}},
		{"InvalidParameterValue.MemorySize", h, backend.KindOther, []string{"memory"}},
		{"InvalidParameterValue.Environment", h, backend.KindOther, []string{"env-vars"}},
		{"InvalidParameterValue.EnvironmentExceededLimit", h, backend.KindOther, []string{"env-vars", "4 KB"}},
		{"InvalidParameterValue.Code", h, backend.KindOther, []string{"package"}},
		{"InvalidParameterValue.CodeSecret", h, backend.KindOther, []string{"CodeSecret"}},
		{"InvalidParameterValue.Namespace", h, backend.KindNoEnv, []string{"envs"}},
		{"InvalidParameterValue.Stamp", h, backend.KindOther, []string{"Stamp"}},
		{"InvalidParameterValue.Param", h, backend.KindOther, []string{"invoke-data"}},
		{"InvalidParameterValue.Somethingnew", h, backend.KindOther, []string{"parameter was refused"}},
		{"MissingParameter.Code", h, backend.KindOther, []string{"package"}},
		{"MissingParameter.Runtime", h, backend.KindOther, []string{"runtime"}},
		{"LimitExceeded.Timeout", h, backend.KindOther, []string{"function-timeout", "900"}},
		{"LimitExceeded.Memory", h, backend.KindOther, []string{"memory"}},
		{"LimitExceeded.Function", h, backend.KindOther, []string{"number of functions"}},
		{"UnauthorizedOperation.CodeSecret", h, backend.KindDenied, []string{"CodeSecret"}},
		{"InvalidAction", h, backend.KindOther, []string{"tencentcloud-api-url"}},
		{"UnknownParameter", h, backend.KindOther, []string{"tencentcloud-api-url"}},
		{"UnsupportedRegion", h, backend.KindNoEnv, []string{`"ap-guangzhou"`}},
		{"OperationDenied.AccountIsolate", h, backend.KindDenied, []string{"arrears"}},
		{"Brand.NewCode", h, backend.KindOther, []string{"error codes"}},
	}
	for _, tt := range tests {
		kind, hint := explain(tt.code, tt.h)
		if kind != tt.kind {
			t.Errorf("%s (auth %d): kind %v, want %v", tt.code, tt.h.auth, kind, tt.kind)
		}
		for _, s := range tt.hint {
			if !strings.Contains(hint, s) {
				t.Errorf("%s (auth %d): hint %q lacks %q", tt.code, tt.h.auth, hint, s)
			}
		}
	}
}

func TestErrorMessage(t *testing.T) {
	t.Parallel()
	k := newKit(t, func(o *Options) { o.Retries = 0 })
	k.api.always("GetFunction", map[string]any{"Error": map[string]any{"Code": "AuthFailure.SignatureFailure", "Message": "The provided credentials could not be validated."}, "RequestId": "rid-42"})
	_, err := k.b.Probe(context.Background(), "login", "dev-1")
	want := `GetFunction "login" in env "dev-1": AuthFailure.SignatureFailure "The provided credentials could not be validated.": the signature does not match`
	if err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "(RequestId rid-42)") {
		t.Errorf("err = %v\nwant prefix %s", err, want)
	}
	if backend.KindOf(err) != backend.KindDenied {
		t.Errorf("kind %v", backend.KindOf(err))
	}
	if n, code := backend.CodeOf(err); n != 0 || code != "AuthFailure.SignatureFailure" {
		t.Errorf("CodeOf = %d %q", n, code)
	}
	var e *Error
	if !errors.As(err, &e) || e.RequestID != "rid-42" {
		t.Errorf("errors.As: %+v", e)
	}
}

// TestRetries: what is retried for reads and for writes, and how often.
func TestRetries(t *testing.T) {
	t.Parallel()
	busyTwice := func(a answer) func(apiRequest, int) answer {
		return func(r apiRequest, n int) answer {
			if n <= 2 {
				return a
			}
			return fn("Active", nil)
		}
	}
	tests := []struct {
		name     string
		action   string // answered by h
		h        func(apiRequest, int) answer
		run      func(b *Backend) error
		attempts int
		kind     backend.Kind // KindOther: success
		msg      []string
	}{
		{"read: throttled twice, then ok", "GetFunction", busyTwice(apiErr("RequestLimitExceeded", "slow down")),
			probe, 3, backend.KindOther, nil},
		{"read: internal error twice, then ok", "GetFunction", busyTwice(apiErr("InternalError.System", "oops")),
			probe, 3, backend.KindOther, nil},
		{"read: 502 twice, then ok", "GetFunction", busyTwice(rawAnswer{status: 502, body: "<html>bad gateway</html>"}),
			probe, 3, backend.KindOther, nil},
		{"read: throttled for good", "GetFunction", func(apiRequest, int) answer { return apiErr("RequestLimitExceeded", "slow down") },
			probe, 4, backend.KindBusy, []string{"RequestLimitExceeded", "4 attempts"}},
		{"read: HTTP 404 from a proxy is not retried", "GetFunction", func(apiRequest, int) answer { return rawAnswer{status: 404, body: "not here"} },
			probe, 1, backend.KindUnreachable, []string{"404", "tencentcloud-api-url"}},
		{"read: an answer that is not JSON", "GetFunction", func(apiRequest, int) answer { return rawAnswer{status: 200, body: "<html>captive portal</html>"} },
			probe, 1, backend.KindUnreachable, []string{"captive portal"}},
		{"read: an answer without RequestId", "GetFunction", func(apiRequest, int) answer { return rawAnswer{status: 200, body: `{"Response":{}}`} },
			probe, 1, backend.KindUnreachable, []string{"RequestId", "tencentcloud-api-url"}},
		{"write: throttled is retried", "CreateFunction", busyTwice(apiErr("RequestLimitExceeded", "slow down")),
			create, 3, backend.KindOther, nil},
		{"write: internal error is not retried", "CreateFunction", func(apiRequest, int) answer { return apiErr("InternalError", "oops") },
			create, 1, backend.KindUnreachable, []string{"InternalError", "may or may not have been applied"}},
		{"write: 502 is not retried", "CreateFunction", func(apiRequest, int) answer { return rawAnswer{status: 502, body: "bad gateway"} },
			create, 1, backend.KindUnreachable, []string{"502", "may or may not have been applied"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := newKit(t, nil)
			k.api.always("GetFunction", fn("Active", nil))
			k.api.on(tt.action, tt.h)
			err := tt.run(k.b)
			if got := k.api.count(tt.action); got != tt.attempts {
				t.Errorf("%d %s requests, want %d", got, tt.action, tt.attempts)
			}
			if tt.kind == backend.KindOther && err != nil || tt.kind != backend.KindOther && backend.KindOf(err) != tt.kind {
				t.Fatalf("err = %v (kind %v), want kind %v", err, backend.KindOf(err), tt.kind)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q lacks %q", err, m)
				}
			}
			if got, want := len(k.clock.slept()), tt.attempts-1; got != want {
				t.Errorf("%d waits, want %d", got, want)
			}
			if tt.attempts > 1 && !strings.Contains(k.log(), "retry 1 of 3") {
				t.Errorf("no retry notice in the log: %q", k.log())
			}
		})
	}
}

func probe(b *Backend) error {
	_, err := b.Probe(context.Background(), "login", "dev-1")
	return err
}

func create(b *Backend) error {
	return b.CreateEmpty(context.Background(), "login", "dev-1")
}

func TestRetryWaitsStayWithinTheTimeout(t *testing.T) {
	t.Parallel()
	k := newKit(t, func(o *Options) { o.Retries = 50; o.Timeout = 3 * time.Second })
	k.api.always("GetFunction", apiErr("RequestLimitExceeded", "slow down"))
	if err := probe(k.b); backend.KindOf(err) != backend.KindBusy {
		t.Fatalf("err = %v, want busy", err)
	}
	var total time.Duration
	for _, d := range k.clock.slept() {
		total += d
	}
	if total > 3*time.Second || k.api.count("GetFunction") > 50 {
		t.Errorf("waited %s over %d attempts; the timeout (3s) bounds the waits", total, k.api.count("GetFunction"))
	}
}

// countingTransport counts round trips below the guarded transport.
type countingTransport struct {
	n    atomic.Int32
	base http.RoundTripper
}

func (c *countingTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	c.n.Add(1)
	return c.base.RoundTrip(r)
}

func TestNetworkFailures(t *testing.T) {
	t.Parallel()
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	t.Run("a write that never connected is retried", func(t *testing.T) {
		t.Parallel()
		ct := &countingTransport{base: http.DefaultTransport}
		k := newKit(t, func(o *Options) { o.APIURL = closedURL; o.Transport = &httpx.Transport{Base: ct} })
		err := create(k.b)
		if backend.KindOf(err) != backend.KindUnreachable || ct.n.Load() != 4 {
			t.Errorf("err = %v after %d requests, want unreachable after 4", err, ct.n.Load())
		}
	})
	t.Run("a redirect to another origin is refused, not retried", func(t *testing.T) {
		t.Parallel()
		k := newKit(t, nil)
		k.api.always("GetFunction", rawAnswer{status: 307, header: map[string]string{"Location": "https://elsewhere.example/"}})
		err := probe(k.b)
		if backend.KindOf(err) != backend.KindUnreachable || !strings.Contains(err.Error(), "elsewhere.example") || k.api.count("GetFunction") != 1 {
			t.Errorf("err = %v after %d requests", err, k.api.count("GetFunction"))
		}
	})
	t.Run("every request goes through the given transport", func(t *testing.T) {
		t.Parallel()
		ct := &countingTransport{base: http.DefaultTransport}
		k := newKit(t, func(o *Options) { o.Transport = ct })
		k.api.always("GetFunction", fn("Active", nil))
		if err := probe(k.b); err != nil || ct.n.Load() != 2 {
			t.Errorf("err = %v, %d round trips through the transport, want 2", err, ct.n.Load())
		}
	})
	t.Run("a cancelled run is cancelled", func(t *testing.T) {
		t.Parallel()
		k := newKit(t, nil)
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := k.b.Probe(ctx, "login", "dev-1")
		if backend.KindOf(err) != backend.KindCancelled || !errors.Is(err, context.Canceled) {
			t.Errorf("err = %v (kind %v)", err, backend.KindOf(err))
		}
	})
}

// TestNoSecretInErrors: a vendor (or proxy) that echoes the request's
// secrets into its messages does not get them into our errors.
func TestNoSecretInErrors(t *testing.T) {
	t.Parallel()
	echo := "key " + testSecretKey + " token " + testToken + ` {"SecretKey":"` + testSecretKey + `"}`
	for _, a := range []answer{
		apiErr("AuthFailure.SignatureFailure", echo),
		rawAnswer{status: 500, body: echo},
		rawAnswer{status: 200, body: echo},
	} {
		k := newKit(t, func(o *Options) { o.SessionToken = testToken; o.Retries = 0 })
		k.api.always("GetFunction", a)
		err := probe(k.b)
		if err == nil {
			t.Fatal("no error")
		}
		noSecrets(t, err.Error())
		noSecrets(t, k.log())
	}
}

// TestErrorRedactsWhenRendered: a secret the Redactor learns after the
// error was built (a token fetched by another goroutine) is still masked.
func TestErrorRedactsWhenRendered(t *testing.T) {
	t.Parallel()
	r := redact.New()
	e := &Error{Action: "GetFunction", Message: "echo late-secret-123456", Hint: "see late-secret-123456", r: r}
	r.Add("late-secret-123456")
	if strings.Contains(e.Error(), "late-secret") {
		t.Errorf("unmasked: %q", e.Error())
	}
}
