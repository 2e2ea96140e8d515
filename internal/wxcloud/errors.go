package wxcloud

import (
	"errors"
	"fmt"
	"net"
	"regexp"
	"strings"

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

// Transient reports whether the code means "busy, try again" (-1, -1000).
func (e *APIError) Transient() bool { return isTransientCode(e.Code) }

func isTransientCode(code int) bool { return code == -1 || code == -1000 }

// gatewayCapHint is the size above which a gateway failure on an upload is
// blamed on the body size (Tencent's gateway caps bodies near 10 MiB).
const gatewayCapHint = 8 << 20

// TransportError is a failure below the API's JSON: a network error, an HTTP
// error status or a body that is not JSON, after retries were exhausted (or at
// once for an HTTP 4xx). Its message is redacted.
type TransportError struct {
	Endpoint string
	Attempts int
	Err      error
	// Status is the last HTTP status, 0 when no response arrived.
	Status int
	// BodySize is the request body size in bytes, for uploads.
	BodySize int64

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

// EnvFailure is one env's entry in a batch call's fail list. It is an error so
// that IsNotFound and IsExists work on it too.
type EnvFailure struct {
	Env     string
	Errcode int
	Msg     string
}

func (f EnvFailure) Error() string {
	if f.Errcode != 0 {
		return fmt.Sprintf("env %q: errcode %d %q", f.Env, f.Errcode, f.Msg)
	}
	return fmt.Sprintf("env %q: %q", f.Env, f.Msg)
}

// BatchResult is what a batch upload answered. Failed lists the envs that
// failed while others may have succeeded (errcode 0 with a fail list).
type BatchResult struct {
	Errcode int
	Errmsg  string
	Failed  []EnvFailure
}

// IsNotFound reports whether err says the function does not exist.
func IsNotFound(err error) bool {
	msg, ok := vendorMsg(err)
	return ok && MsgIsNotFound(msg)
}

// IsExists reports whether err says the function already exists.
func IsExists(err error) bool {
	msg, ok := vendorMsg(err)
	return ok && MsgIsExists(msg)
}

func vendorMsg(err error) (string, bool) {
	var apiErr *APIError
	if errors.As(err, &apiErr) {
		return apiErr.Msg, true
	}
	var f EnvFailure
	if errors.As(err, &f) {
		return f.Msg, true
	}
	var fp *EnvFailure
	if errors.As(err, &fp) && fp != nil {
		return fp.Msg, true
	}
	return "", false
}

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

// hint holds the explanations: the seeds' error tables (seeds/*.txt) and the
// token errors in API-NOTES.md, rewritten to name the input to fix.
func hint(code int) (string, bool) {
	switch code {
	case 85088:
		return "the app has not enabled cloud development; open Cloud Development for this Mini Program in WeChat DevTools (or check the env ID)", true
	case 47001:
		return "the API could not parse the request body; a proxy may have rewritten it (check api-base-url), otherwise report this as a wxcloud-deploy bug", true
	case 44002:
		return "the API received an empty request body; a proxy may have dropped it (check api-base-url)", true
	case 43002:
		return "the API requires POST; a proxy or redirect changed the method (check api-base-url)", true
	case 42001:
		return "the access token has expired; pass a fresh token, or appid/app-secret so the tool can refresh it", true
	case 41001:
		return "no access token reached the API; set access-token (component-access-token for batch calls) or appid/app-secret", true
	case 40101:
		return "a required parameter is missing; check function-name, envs and the package", true
	case 40097:
		return "a parameter is invalid; check the env IDs, the function name (2-60 letters, digits, - and _), vpc-id and subnet-id", true
	case 40014:
		return "the access token is invalid (expired, for another app, or the wrong kind): batch calls take a component_access_token, the others an access_token or authorizer_access_token; check access-token and component-access-token", true
	case -1:
		return "WeChat's system is busy; the call was retried with backoff: try again later", true
	case -1000:
		return "WeChat reported a system error; the call was retried with backoff: try again later", true
	case 40001:
		return "the app secret or the access token is wrong, or the token was replaced (someone called GET /cgi-bin/token); check app-secret / access-token", true
	case 40013:
		return "the appid is invalid; check appid (or component-appid)", true
	case 40125:
		return "the app secret is invalid; check app-secret (or component-appsecret), reset it in the admin console if it was rotated", true
	case 40164:
		return "the caller's IP is not on the Mini Program's API IP allow-list; " + ipAllowListHint, true
	case 61004:
		return "the caller's IP is not on the third-party platform's IP allow-list; add it in the open platform console, use a self-hosted runner, or a fixed-egress proxy via api-base-url", true
	case 61005:
		return "the component_verify_ticket has expired (tickets last 12 hours); pass a fresh component-verify-ticket, or a component-access-token fetched by an earlier step", true
	case 61006:
		return "the component_verify_ticket is invalid; pass the latest ticket WeChat pushed to the platform as component-verify-ticket, or a component-access-token instead", true
	case 45009:
		return "the daily call quota of this API is used up; wait for the quota to reset (or clear it in the admin console)", true
	}
	return "", false
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
