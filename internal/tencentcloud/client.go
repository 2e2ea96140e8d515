package tencentcloud

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tcerr "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/errors"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/httpx"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

// Backoff between retries: the n-th waits a random time below
// min(backoffMax, backoffInitial*2^(n-1)); their sum stays within Timeout.
const (
	backoffInitial = time.Second
	backoffMax     = 10 * time.Second
	// snippetLen bounds how much of an unreadable answer an error quotes.
	snippetLen = 200
)

// call is one API call: which action, about which function, and whether it
// changes something (which decides what may be retried).
type call struct {
	service, version, action string
	fn, env                  string
	write                    bool
	// unsigned calls carry no credentials (STS AssumeRoleWithWebIdentity).
	unsigned bool
	params   map[string]any
}

func scfCall(action, fn, env string, write bool, params map[string]any) call {
	return call{service: "scf", version: scfVersion, action: action, fn: fn, env: env, write: write, params: params}
}

// response is a decoded answer; every answer carries a RequestId.
type response interface{ requestID() string }

// envelope is the SDK's tchttp.Response for our typed answers: the SDK's
// BaseResponse reads {"Response":{"Error":...}}, and a success is decoded
// straight into Response (no second pass through CommonResponse's map).
type envelope struct {
	*tchttp.BaseResponse
	Response response `json:"Response"`
}

// toParams turns a request struct into the SDK's parameter map.
func toParams(v any) (map[string]any, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	m := map[string]any{}
	return m, json.Unmarshal(raw, &m)
}

// mustParams is toParams for the request structs of this package, which
// always encode (strings, ints, slices and maps of them).
func mustParams(v any) map[string]any {
	m, err := toParams(v)
	if err != nil {
		panic(fmt.Sprintf("tencentcloud: encoding %T: %v", v, err))
	}
	return m
}

// client returns an SDK client for one service. A client is cheap (the
// transport below it, with its connections, is shared) and holds the
// credentials of the moment, so temporary keys refreshed by another
// goroutine never change under a request being signed.
func (b *Backend) client(service string, cred common.CredentialIface) *common.Client {
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = b.endpoints[service]
	cpf.HttpProfile.Scheme = strings.ToUpper(b.scheme)
	cpf.HttpProfile.ReqMethod = "POST"
	cpf.HttpProfile.ReqTimeout = int((b.opts.Timeout + time.Second - 1) / time.Second)
	// English messages in errors and logs.
	cpf.Language = "en-US"
	// Retries are ours (httpx.Backoff, bounded by the timeout input, with
	// the write rules); the region breaker would switch to another host.
	cpf.NetworkFailureMaxRetries = 0
	cpf.RateLimitExceededMaxRetries = 0
	cpf.UnsafeRetryOnConnectionFailure = false
	cpf.DisableRegionBreaker = true
	c := common.NewCommonClient(cred, b.opts.Region, cpf)
	// The SDK's http.Client follows redirects; the guarded transport
	// refuses cross-origin ones below it and applies max-rps.
	c.WithHttpTransport(statusTransport{base: b.transport, now: b.opts.Now, r: b.r})
	return c
}

// statusTransport turns an answer that is neither HTTP 200 nor the API's
// JSON error into an error carrying the status. The SDK parses every body
// as JSON before it looks at the status, so a gateway's 502 page would
// otherwise surface as a JSON parse error, with the status (and whether to
// retry) lost.
type statusTransport struct {
	base http.RoundTripper
	now  func() time.Time
	r    *redact.Redactor
}

// maxErrorBody bounds what is read of an answer that is not 200.
const maxErrorBody = 64 << 10

func (t statusTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(req)
	if err != nil || resp.StatusCode == http.StatusOK || (resp.StatusCode >= 300 && resp.StatusCode < 400) {
		return resp, err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	resp.Body.Close()
	var env struct {
		Response struct {
			Error struct{ Code string }
		}
	}
	if json.Unmarshal(body, &env) == nil && env.Response.Error.Code != "" {
		// The API's own error, whatever the status: the SDK reads it.
		resp.Body = io.NopCloser(bytes.NewReader(body))
		return resp, nil
	}
	after, _ := httpx.RetryAfter(resp.Header, t.now())
	return nil, &httpStatusError{status: resp.StatusCode, text: http.StatusText(resp.StatusCode), body: snippet(t.r, string(body)), after: after}
}

// httpStatusError is an answer with an HTTP error status, not from the API.
type httpStatusError struct {
	status     int
	text, body string
	after      time.Duration
}

func (e *httpStatusError) Error() string {
	s := fmt.Sprintf("HTTP %d %s", e.status, e.text)
	if e.body != "" {
		s += ": " + e.body
	}
	return s
}

func (b *Backend) backoff() httpx.Backoff {
	return httpx.Backoff{
		Retries: b.opts.Retries,
		Initial: backoffInitial,
		Max:     backoffMax,
		Budget:  b.opts.Timeout,
		Sleep:   b.opts.Sleep,
	}
}

// do sends c, retrying what may be retried, and decodes the answer into out.
// The error is an *Error.
func (b *Backend) do(ctx context.Context, c call, out response) error {
	var cred common.CredentialIface
	if !c.unsigned {
		cr, err := b.creds.get(ctx)
		if err != nil {
			return err
		}
		cred = cr
	}
	bo := b.backoff()
	a, n := bo.Do(ctx, func(int) httpx.Attempt {
		f := b.attempt(ctx, c, cred, out)
		if f == nil {
			return httpx.Attempt{}
		}
		return httpx.Attempt{Err: f, Retry: f.retry == retryAll || (f.retry == retryReads && !c.write), After: f.after, Reason: f.reason()}
	}, func(a httpx.Attempt, n int, wait time.Duration) {
		b.log("%s%s: %s; retry %d of %d in %s", c.action, about(c.fn, c.env), a.Reason, n, bo.Retries, wait.Round(time.Millisecond))
	})
	if a.Err == nil {
		return nil
	}
	return b.newError(ctx, c, a.Err, n)
}

func about(fn, env string) string {
	switch {
	case fn != "" && env != "":
		return fmt.Sprintf(" %q in env %q", fn, env)
	case env != "":
		return fmt.Sprintf(" in env %q", env)
	}
	return ""
}

// attempt sends c once.
func (b *Backend) attempt(ctx context.Context, c call, cred common.CredentialIface, out response) *failure {
	req := tchttp.NewCommonRequest(c.service, c.version, c.action)
	req.SetContext(ctx)
	if c.unsigned {
		req.SetSkipSign(true)
	}
	if err := req.SetActionParameters(c.params); err != nil {
		return &failure{message: "encoding the request: " + err.Error()}
	}
	env := &envelope{BaseResponse: &tchttp.BaseResponse{}, Response: out}
	if err := b.client(c.service, cred).Send(req, env); err != nil {
		return classify(b.r, err)
	}
	if out.requestID() == "" {
		return &failure{transport: true, message: "the answer has no Response.RequestId, so it did not come from the Tencent Cloud API (check tencentcloud-api-url)"}
	}
	return nil
}

// failure is one attempt's failure, before it becomes an *Error.
type failure struct {
	code, message, requestID string
	status                   int
	// transport: no usable answer arrived.
	transport bool
	retry     retryClass
	// after is the server's Retry-After.
	after time.Duration
	cause error
}

func (f *failure) Error() string {
	if f.code != "" {
		return f.code + ": " + f.message
	}
	return f.message
}

func (f *failure) reason() string {
	switch {
	case f.code != "":
		return f.code
	case f.status != 0:
		return "HTTP " + strconv.Itoa(f.status)
	}
	return "no answer (" + f.message + ")"
}

var statusRE = regexp.MustCompile(`http status code: (\d{3})`)

// classify reads what the SDK returned: a vendor code, or one of its
// ClientError.* codes for what went wrong below the API.
func classify(r *redact.Redactor, err error) *failure {
	var se *tcerr.TencentCloudSDKError
	if !errors.As(err, &se) {
		// decompression errors and the like come back untyped.
		return &failure{transport: true, message: err.Error(), cause: err, retry: retryReads}
	}
	switch se.Code {
	case "ClientError.NetworkError":
		cause := se.Unwrap()
		if cause == nil {
			cause = se
		}
		var he *httpStatusError
		if errors.As(cause, &he) {
			return statusFailure(he)
		}
		return &failure{transport: true, message: cause.Error(), cause: cause, retry: networkRetry(cause)}
	case "ClientError.HttpStatusCodeError":
		// "Request fail with http status code: 502 Bad Gateway, with body: ..."
		f := &failure{transport: true, message: snippet(r, se.Message)}
		if m := statusRE.FindStringSubmatch(se.Message); m != nil {
			f.status, _ = strconv.Atoi(m[1])
		}
		if f.status >= 500 {
			f.retry = retryReads
		}
		return f
	case "ClientError.IOError":
		return &failure{transport: true, message: snippet(r, se.Message), retry: retryReads}
	}
	if strings.HasPrefix(se.Code, "ClientError.") {
		// ParseJsonError and kin: an answer that is not the API's JSON.
		return &failure{transport: true, message: snippet(r, se.Code+": "+se.Message)}
	}
	return &failure{code: se.Code, message: se.Message, requestID: se.RequestId, retry: codeRetry(se.Code)}
}

// networkRetry: a request that failed before a connection existed was
// certainly not applied, so even a write may be sent again; a redirect the
// transport refused is an answer that will not change.
func networkRetry(cause error) retryClass {
	var re *httpx.RedirectError
	if errors.As(cause, &re) {
		return noRetry
	}
	var op *net.OpError
	var dns *net.DNSError
	if (errors.As(cause, &op) && op.Op == "dial") || errors.As(cause, &dns) {
		return retryAll
	}
	return retryReads
}

func statusFailure(he *httpStatusError) *failure {
	f := &failure{transport: true, status: he.status, message: he.Error(), after: he.after, cause: he}
	switch {
	case he.status == http.StatusTooManyRequests:
		// throttled before it reached the API: not applied
		f.retry = retryAll
	case he.status >= 500:
		f.retry = retryReads
	}
	return f
}

// snippet quotes the start of an answer for a message. It redacts first:
// a secret the answer echoes, cut in two, would no longer be recognised.
func snippet(r *redact.Redactor, s string) string {
	s = strings.Join(strings.Fields(r.String(s)), " ")
	if len(s) > snippetLen {
		s = s[:snippetLen] + "..."
	}
	return s
}

// newError turns the last attempt's failure into an *Error with its hint.
func (b *Backend) newError(ctx context.Context, c call, err error, attempts int) error {
	e := &Error{Action: c.action, Function: c.fn, Env: c.env, Attempts: attempts, Write: c.write, r: b.r}
	if ctxErr := ctx.Err(); ctxErr != nil {
		e.K, e.cause = backend.KindCancelled, ctxErr
		return e
	}
	f, ok := err.(*failure)
	if !ok {
		e.K, e.Message, e.cause = backend.KindOther, err.Error(), err
		return e
	}
	e.Code, e.Message, e.RequestID, e.Status, e.cause = f.code, b.r.String(f.message), f.requestID, f.status, f.cause
	switch {
	case f.code != "":
		e.K, e.Hint = explain(f.code, b.hintCtx(c))
	case f.transport:
		e.K, e.Hint = backend.KindUnreachable, b.unreachableHint(f)
	default:
		e.K = backend.KindOther
	}
	return e
}

func (b *Backend) hintCtx(c call) hintCtx {
	return hintCtx{action: c.action, fn: c.fn, env: c.env, region: b.opts.Region, auth: b.creds.mode(), customURL: b.opts.APIURL != ""}
}

func (b *Backend) unreachableHint(f *failure) string {
	var re *httpx.RedirectError
	switch {
	case errors.As(f.cause, &re):
		return ""
	case f.status != 0 && b.opts.APIURL != "":
		return "the answer was not the API's: check tencentcloud-api-url and the proxy"
	case f.status >= 500:
		return "Tencent Cloud's gateway failed (reads were retried): try again later"
	case f.status != 0:
		return "a gateway or proxy refused the request: check the network path to the API"
	case b.opts.APIURL != "":
		return "check the network and tencentcloud-api-url"
	}
	return "check the network path to " + b.endpoints["scf"]
}
