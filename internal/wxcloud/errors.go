package wxcloud

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

// ErrCannotRefresh is returned (wrapped) by a TokenSource that has no way to
// get a new token, such as StaticToken.
var ErrCannotRefresh = errors.New("token cannot be refreshed")

// ErrNoToken is returned (wrapped) when a call needs a token and none was
// configured; nothing is sent.
var ErrNoToken = errors.New("no token")

// noTokenError is ErrNoToken with a message that says which input to set.
type noTokenError struct{ msg string }

func (e *noTokenError) Error() string        { return e.msg }
func (e *noTokenError) Is(target error) bool { return target == ErrNoToken }

// Kind is KindDenied: nothing will work until a token input is set.
func (e *noTokenError) Kind() backend.Kind { return backend.KindDenied }

func errNoToken(format string, args ...any) error {
	return &noTokenError{msg: fmt.Sprintf(format, args...)}
}

// ErrIncomplete is returned (wrapped) when the API answered errcode 0 but left
// out a field the call cannot do without.
var ErrIncomplete = errors.New("incomplete response")

// APIError is a non-zero errcode from the API. Msg is redacted; Hint says what
// it means and what to do.
type APIError struct {
	Endpoint string // "batchuploadscf", "downloadfunction", "stable_token", ...
	Code     int
	Msg      string // vendor errmsg as given (redacted)
	Hint     string // human explanation + what to do, from Explain
	// Attempts is how many requests were sent (more than 1 when a transient
	// code was retried, or after a token refresh).
	Attempts int
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("%s: errcode %d %q", e.Endpoint, e.Code, e.Msg)
	if e.Hint != "" {
		s += ": " + e.Hint
	}
	if e.Transient() && e.Attempts > 1 {
		s += fmt.Sprintf(" (gave up after %d attempts)", e.Attempts)
	}
	return s
}

// Transient reports whether the code means "busy, try again": -1 and -1000
// (system busy) and 45009 / 45011 (call quota and frequency limits).
func (e *APIError) Transient() bool { return isTransientCode(e.Code) }

func isTransientCode(code int) bool {
	switch code {
	case -1, -1000, 45009, 45011:
		return true
	}
	return false
}

// Kind classifies the error for deploy (see kinds.go).
func (e *APIError) Kind() backend.Kind { return vendorKind(e.Code, e.Msg) }

// VendorCode returns the errcode.
func (e *APIError) VendorCode() (int, string) { return e.Code, "" }

// gatewayCapHint is the size above which a gateway failure on an upload is
// blamed on the body size (Tencent's gateway caps bodies near 10 MiB).
const gatewayCapHint = 8 << 20

// TransportError is a failure below the API's JSON: a network error, an HTTP
// error status, a body that is not JSON or a refused redirect, after retries
// were exhausted (or at once when retrying cannot help), or a cancellation
// after a request was sent. Its message is redacted.
type TransportError struct {
	Endpoint string
	Attempts int
	Err      error
	// Status is the last HTTP status, 0 when no response arrived.
	Status int
	// BodySize is the request body size in bytes, for uploads.
	BodySize int64
	// AnswerLost is set when a request may have reached the API and no
	// readable answer came back for it (network error after connecting,
	// timeout, gateway error, unreadable body, cancelled in flight): for a
	// write, the call may or may not have been applied.
	AnswerLost bool

	r *redact.Redactor
}

func (e *TransportError) Error() string {
	var b strings.Builder
	b.WriteString(e.Endpoint)
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("transport error")
	}
	if e.Attempts > 1 {
		fmt.Fprintf(&b, " (gave up after %d attempts)", e.Attempts)
	}
	if e.BodySize > gatewayCapHint {
		fmt.Fprintf(&b, "; the request body was %d bytes: Tencent's gateway caps bodies near 10 MiB for some calls; the package size is the likely cause", e.BodySize)
	}
	return e.r.String(b.String())
}

func (e *TransportError) Unwrap() error { return e.Err }

// Kind classifies the error for deploy (see kinds.go).
func (e *TransportError) Kind() backend.Kind { return transportKind(e) }

// EnvFailure is one env's entry in a batch call's fail list, naming an env of
// the call exactly. Msg is redacted.
type EnvFailure struct {
	Endpoint string
	Env      string
	Errcode  int
	Msg      string
}

func (f EnvFailure) Error() string {
	s := fmt.Sprintf("%s: env %q failed: ", f.Endpoint, f.Env)
	switch {
	case f.Errcode != 0:
		s += fmt.Sprintf("errcode %d %q", f.Errcode, f.Msg)
	case f.Msg != "":
		s += fmt.Sprintf("%q", f.Msg)
	default:
		s += "listed in the fail list without a message"
	}
	if h, ok := hint(f.Errcode); ok {
		s += ": " + h
	}
	return s
}

// Kind classifies the failure for deploy (see kinds.go).
func (f EnvFailure) Kind() backend.Kind { return vendorKind(f.Errcode, f.Msg) }

// VendorCode returns the entry's errcode, 0 when it gave none.
func (f EnvFailure) VendorCode() (int, string) { return f.Errcode, "" }

// maybeApplied is what an upload's error says when its answer was lost.
const maybeApplied = "(the upload may or may not have been applied: check the env before redeploying)"

// FailListError is a batch answer whose fail list could not be read: not an
// array, or an entry that is not an object, names no env, or names an env
// that is not exactly one of the call's. Every env of the call counts as
// failed: claiming success for any of them would be a guess.
type FailListError struct {
	Endpoint string
	// Reason says what could not be read, quoting the entry (redacted).
	Reason string
	// Errcode is the unreadable entry's own errcode, when it had one.
	Errcode int
}

func (e *FailListError) Error() string {
	return fmt.Sprintf("%s: could not read the vendor's answer: %s; every env of this call counts as failed %s", e.Endpoint, e.Reason, maybeApplied)
}

// Kind is KindUnreachable: no usable answer arrived.
func (e *FailListError) Kind() backend.Kind { return backend.KindUnreachable }

// VendorCode returns the unreadable entry's errcode, 0 when it gave none.
func (e *FailListError) VendorCode() (int, string) { return e.Errcode, "" }

// lostAnswerError is a batch upload whose answer was lost (TransportError
// with AnswerLost): the upload may have been applied.
type lostAnswerError struct{ err error }

func (e *lostAnswerError) Error() string      { return e.err.Error() + " " + maybeApplied }
func (e *lostAnswerError) Unwrap() error      { return e.err }
func (e *lostAnswerError) Kind() backend.Kind { return backend.KindUnreachable }

// TokenError is a failure to get the token a call sends: the call's endpoint
// was never asked anything.
type TokenError struct {
	Endpoint string // the call that needed the token
	Token    string // "access_token", "component_access_token"
	// From names where the token was to come from: "POST
	// /cgi-bin/stable_token", or "the token source" when no token endpoint
	// answered (a token passed in, credentials missing).
	From string
	Err  error // redacted
}

func newTokenError(endpoint string, kind tokenKind, err error) *TokenError {
	te := &TokenError{Endpoint: endpoint, Token: "access_token", From: "the token source", Err: err}
	if kind == componentToken {
		te.Token = "component_access_token"
	}
	var apiErr *APIError
	var tErr *TransportError
	switch {
	case errors.As(err, &apiErr):
		te.From = tokenEndpoint(apiErr.Endpoint)
	case errors.As(err, &tErr):
		te.From = tokenEndpoint(tErr.Endpoint)
	}
	return te
}

func tokenEndpoint(name string) string {
	switch name {
	case "stable_token":
		return "POST /cgi-bin/stable_token"
	case "api_component_token":
		return "POST /cgi-bin/component/api_component_token"
	}
	return name
}

func (e *TokenError) Error() string {
	nothing := "nothing was sent to " + e.Endpoint
	if strings.HasPrefix(e.Endpoint, "batchupload") {
		nothing = "nothing was uploaded"
	}
	return fmt.Sprintf("%s: getting the %s from %s failed, so %s: %v", e.Endpoint, e.Token, e.From, nothing, e.Err)
}

func (e *TokenError) Unwrap() error { return e.Err }

// Kind is the cause's when credentials are refused (KindDenied) or the run
// was cancelled, else KindOther: never KindUnreachable, which for an upload
// would mean "may have been applied" when nothing was sent.
func (e *TokenError) Kind() backend.Kind {
	switch k := backend.KindOf(e.Err); k {
	case backend.KindDenied, backend.KindCancelled:
		return k
	}
	return backend.KindOther
}

// VendorCode returns the token endpoint's errcode, if it answered one.
func (e *TokenError) VendorCode() (int, string) { return backend.CodeOf(e.Err) }

// MsgIsNotFound reports whether a vendor message says "does not exist". The
// wording varies (Tencent Cloud codes, English, Chinese), so it matches
// loosely.
func MsgIsNotFound(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"resourcenotfound", "not found", "not exist", "notexist", "不存在"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// MsgIsExists reports whether a vendor message says "already exists". Not-found
// wins: "does not exist" contains "exist".
func MsgIsExists(msg string) bool {
	if MsgIsNotFound(msg) {
		return false
	}
	m := strings.ToLower(msg)
	for _, s := range []string{"resourceinuse", "already exist", "已存在"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

const (
	ipAllowListHint = "GitHub-hosted runners have changing IPs: add the IP to the API IP allow-list (Mini Program admin console: Development > Development Management > Development Settings), use a self-hosted runner, or send the calls through a fixed-egress proxy via api-base-url"
	genericHint     = "unknown error code: look it up in WeChat's global error code list and check the inputs this call used"
	functionHint    = "function-side error (timeout, not found, runtime error): check the function's logs in the cloud development console; invoked functions get 5 s"
)

// hints holds the explanations: the seeds' error tables (seeds/*.txt), the
// token errors in API-NOTES.md and the quota codes, rewritten to name the
// input to fix. A function rather than a package variable: nothing shared,
// and it is read only when a call has already failed.
func hints() map[int]string {
	return map[int]string{
		85088: "the app has not enabled cloud development; open Cloud Development for this Mini Program in WeChat DevTools (or check the env ID)",
		47001: "the API could not parse the request body; a proxy may have rewritten it (check api-base-url), otherwise report this as a wxcloud-deploy bug",
		44002: "the API received an empty request body; a proxy may have dropped it (check api-base-url)",
		43002: "the API requires POST; a proxy or redirect changed the method (check api-base-url)",
		42001: "the access token has expired; pass a fresh token, or appid/app-secret so the tool can refresh it",
		41001: "no access token reached the API; set access-token (component-access-token for batch calls) or appid/app-secret",
		40101: "a required parameter is missing; check function-name, envs and the package",
		40097: "a parameter is invalid; check the env IDs, the function name (2-60 letters, digits, - and _), vpc-id and subnet-id",
		40014: "the access token is invalid (expired, for another app, or the wrong kind): batch calls take a component_access_token, the others an access_token or authorizer_access_token; check access-token and component-access-token",
		-1:    "WeChat's system is busy; the call was retried with backoff: try again later",
		-1000: "WeChat reported a system error; the call was retried with backoff: try again later",
		40001: "the app secret or the access token is wrong, or the token was replaced (someone called GET /cgi-bin/token); check app-secret / access-token",
		40002: "the token request's grant_type was refused; report this as a wxcloud-deploy bug (check api-base-url if a proxy rewrites bodies)",
		40013: "the appid is invalid; check appid (or component-appid)",
		40125: "the app secret is invalid; check app-secret (or component-appsecret), reset it in the admin console if it was rotated",
		40164: "the caller's IP is not on the Mini Program's API IP allow-list; " + ipAllowListHint,
		48001: "the token is not authorised for this API: the batch calls need a third-party platform's component_access_token with the cloud development permission set (49 or 64), the others an authorizer_access_token; check which token is in access-token and component-access-token",
		61004: "the caller's IP is not on the third-party platform's IP allow-list; add it in the open platform console, use a self-hosted runner, or a fixed-egress proxy via api-base-url",
		61005: "the component_verify_ticket has expired (tickets last 12 hours); pass a fresh component-verify-ticket, or a component-access-token fetched by an earlier step",
		61006: "the component_verify_ticket is invalid; pass the latest ticket WeChat pushed to the platform as component-verify-ticket, or a component-access-token instead",
		45009: "the daily call quota of this API is used up; the call was retried with backoff within the timeout: wait for the quota to reset (or clear it in the admin console), and deploy fewer envs per run meanwhile",
		45011: "the API's per-minute call frequency limit was hit (\"retry next minute\"); the call was retried with backoff within the timeout: lower max-rps or concurrency, raise envs-per-call so fewer calls are made, or run again in a minute",
	}
}

func hint(code int) (string, bool) {
	h, ok := hints()[code]
	return h, ok
}

// Explain returns a human explanation of a vendor error code and what to do.
func Explain(code int) string {
	if h, ok := hint(code); ok {
		return h
	}
	if code <= -501000 && code >= -504999 {
		return functionHint
	}
	return genericHint
}

var (
	invalidIPRE = regexp.MustCompile(`(?i)invalid ip\s*:?\s*([0-9A-Fa-f:.]+)`)
	ipv4RE      = regexp.MustCompile(`\b\d{1,3}(?:\.\d{1,3}){3}\b`)
)

// explainMsg is Explain with what the message adds: 40164 names the caller's
// IP ("invalid ip 1.2.3.4 ipv6 ::ffff:1.2.3.4, not in whitelist").
func explainMsg(code int, msg string) string {
	if code == 40164 {
		if ip := callerIP(msg); ip != "" {
			return fmt.Sprintf("the caller's IP %s is not on the Mini Program's API IP allow-list; %s", ip, ipAllowListHint)
		}
	}
	return Explain(code)
}

func callerIP(msg string) string {
	if m := invalidIPRE.FindStringSubmatch(msg); m != nil {
		if ip := net.ParseIP(strings.TrimRight(m[1], ".")); ip != nil {
			return ip.String()
		}
	}
	if m := ipv4RE.FindString(msg); m != "" && net.ParseIP(m) != nil {
		return m
	}
	return ""
}
