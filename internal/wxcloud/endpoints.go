package wxcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
)

// UploadRequest is the body of batchuploadscf / batchuploadscfcode.
type UploadRequest struct {
	FunctionName string   // -> "functionname"
	Envs         []string // -> "envs"
	// Zip is the packed function, read from Zip.R (a temp file when large):
	// the client base64-encodes it while streaming the body, and reads it
	// again from the start for each attempt.
	Zip backend.Zip // -> "zipfile"
	// VPCID and SubnetID are sent only by BatchCreate, and only when set.
	VPCID, SubnetID string // -> "vpcid", "subnetid"
}

func (r UploadRequest) validate(endpoint string) error {
	switch {
	case r.FunctionName == "":
		return fmt.Errorf("%s: the function name is empty (set function-name)", endpoint)
	case len(r.Envs) == 0:
		return fmt.Errorf("%s: no env to upload %q to (set envs)", endpoint, r.FunctionName)
	case r.Zip.R == nil || r.Zip.Size <= 0:
		return fmt.Errorf("%s: the package for %q is empty (check path and files)", endpoint, r.FunctionName)
	}
	return nil
}

// BatchResult is a batch upload's answer, read against the request.
type BatchResult struct {
	Errcode int
	Errmsg  string
	// Failed lists the envs of the call the vendor named as failed (errcode
	// 0 with a fail list); every other env of the call succeeded.
	Failed []EnvFailure
}

// BatchCreate creates the function in every env (POST
// /componenttcb/batchuploadscf, component token only). See batch for what
// the result and the error mean.
func (c *Client) BatchCreate(ctx context.Context, req UploadRequest) (*BatchResult, error) {
	return c.batch(ctx, "batchuploadscf", req, true)
}

// BatchUpdate replaces the function's code in every env (POST
// /componenttcb/batchuploadscfcode, component token only). Results as
// BatchCreate.
func (c *Client) BatchUpdate(ctx context.Context, req UploadRequest) (*BatchResult, error) {
	return c.batch(ctx, "batchuploadscfcode", req, false)
}

// batch sends one batch call. The error, when not nil, applies to every env
// of the call: a non-zero errcode (*APIError), a lost answer (KindUnreachable,
// "may or may not have been applied"), a fail list it could not read
// (*FailListError), a token it could not get (*TokenError: nothing sent), a
// request the run's max-rps limit kept in (httpx.NotSentError: nothing sent,
// so no "may or may not" unless an earlier attempt lost its answer).
// With a nil error, BatchResult.Failed names the envs that failed.
func (c *Client) batch(ctx context.Context, endpoint string, req UploadRequest, create bool) (*BatchResult, error) {
	if err := req.validate(endpoint); err != nil {
		return nil, err
	}
	body, err := newUploadBody(req, create)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the request: %w", endpoint, err)
	}
	out, err := c.do(ctx, call{endpoint: endpoint, path: "/componenttcb/" + endpoint, body: body, token: componentToken})
	// Only this call's own lost answer: a token endpoint's lost answer (in a
	// *TokenError) means the upload was never sent.
	var te *TransportError
	if errors.As(err, &te) && te.AnswerLost && te.Endpoint == endpoint {
		return nil, &lostAnswerError{err: err}
	}
	if err != nil {
		return nil, err
	}
	res := &BatchResult{Errcode: out.resp.Errcode, Errmsg: c.redactor.String(out.resp.Errmsg)}
	if res.Failed, err = c.readFailList(endpoint, req.Envs, out.resp); err != nil {
		return nil, err
	}
	return res, nil
}

// readFailList is the one reading of a batch call's fail lists. An entry
// naming an env of the call exactly fails that env. Anything else fails the
// whole call: a list that is not an array, an entry that is not an object,
// one without an env, or one whose env is not exactly an env of the call
// ("DEV-A" or " dev-a " for dev-a: a server that rewrites env IDs may have
// rewritten which env it means; an env never asked about means the answer
// is for another request).
func (c *Client) readFailList(endpoint string, envs []string, r *response) ([]EnvFailure, error) {
	if r.FailListProblem != "" {
		return nil, &FailListError{Endpoint: endpoint, Reason: r.FailListProblem}
	}
	requested := make(map[string]bool, len(envs))
	for _, e := range envs {
		requested[e] = true
	}
	var failed []EnvFailure
	for _, e := range r.FailEntries {
		if why := unreadableEntry(e, envs, requested); why != "" {
			return nil, &FailListError{Endpoint: endpoint, Errcode: e.errcode,
				Reason: fmt.Sprintf("the fail list has %s: %s", why, snippet(c.redactor, []byte(e.raw)))}
		}
		failed = append(failed, EnvFailure{Endpoint: endpoint, Env: e.env, Errcode: e.errcode, Msg: c.redactor.String(e.msg)})
	}
	return failed, nil
}

// unreadableEntry says why a fail-list entry cannot be pinned on an env of
// the call, or "" when it can.
func unreadableEntry(e failEntry, envs []string, requested map[string]bool) string {
	switch {
	case !e.object:
		return "an entry that is not an object"
	case e.envKind == "" || (e.envKind == "string" && e.env == ""):
		return "an entry without an env"
	case e.envKind != "string":
		return "an entry whose env is " + e.envKind
	case requested[e.env]:
		return ""
	}
	for _, want := range envs {
		if strings.EqualFold(strings.TrimSpace(e.env), want) {
			return fmt.Sprintf("an entry for env %q, which differs from the requested %q in case or spacing", e.env, want)
		}
	}
	return fmt.Sprintf("an entry for env %q, which this call did not ask for", e.env)
}

// CreateFunction creates an empty function in one env (POST
// /tcb/createfunction, access token).
func (c *Client) CreateFunction(ctx context.Context, env, name string) error {
	const endpoint = "createfunction"
	body, err := envFunctionBody(endpoint, env, name)
	if err != nil {
		return err
	}
	_, err = c.do(ctx, call{endpoint: endpoint, path: "/tcb/createfunction", body: body, token: accessToken})
	return err
}

func envFunctionBody(endpoint, env, name string) (jsonBody, error) {
	if env == "" || name == "" {
		return nil, fmt.Errorf("%s: env %q and function name %q must both be set (check envs and function-name)", endpoint, env, name)
	}
	b, err := json.Marshal(map[string]string{"env": env, "function_name": name})
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the request: %w", endpoint, err)
	}
	return b, nil
}

// InvokeRequest is one invokecloudfunction call.
type InvokeRequest struct {
	Env, Name string
	// Data is the JSON body, which the function receives as its event; nil
	// sends "{}" (an empty body is errcode 44002).
	Data []byte
	// Batch selects the component token (a platform deploying "on behalf,
	// in batch", per the invokecloudfunction page), with no fallback to the
	// access token.
	Batch bool
}

// InvokeResult is what the function returned.
type InvokeResult struct {
	// RespData is the function's return value as the API gives it (usually
	// JSON text). errcode 0 does not mean the function succeeded: it may hold
	// errorCode/errorMessage.
	RespData string
}

// Invoke triggers a function (POST /tcb/invokecloudfunction with env and name
// in the query and Data as the body). The API gives the function 5 s.
func (c *Client) Invoke(ctx context.Context, req InvokeRequest) (*InvokeResult, error) {
	const endpoint = "invokecloudfunction"
	if req.Env == "" || req.Name == "" {
		return nil, fmt.Errorf("%s: env %q and function name %q must both be set (check envs and function-name)", endpoint, req.Env, req.Name)
	}
	data := req.Data
	if len(data) == 0 {
		data = []byte("{}")
	}
	kind := accessToken
	if req.Batch {
		kind = componentToken
	}
	out, err := c.do(ctx, call{
		endpoint: endpoint,
		path:     "/tcb/invokecloudfunction",
		query:    url.Values{"env": {req.Env}, "name": {req.Name}},
		body:     jsonBody(data),
		token:    kind,
	})
	if out != nil && out.resp != nil {
		return &InvokeResult{RespData: out.resp.RespData}, err
	}
	return nil, err
}

// DownloadResult is where the function's current code can be fetched.
type DownloadResult struct {
	URL string
	// Checksum is documented as the code's SHA-256; whether it is taken over
	// the zip as uploaded is unconfirmed (API-NOTES.md).
	Checksum string
}

// Download asks for the function's code URL and checksum (POST
// /tcb/downloadfunction, access token).
func (c *Client) Download(ctx context.Context, env, name string) (*DownloadResult, error) {
	const endpoint = "downloadfunction"
	body, err := envFunctionBody(endpoint, env, name)
	if err != nil {
		return nil, err
	}
	out, err := c.do(ctx, call{endpoint: endpoint, path: "/tcb/downloadfunction", body: body, token: accessToken})
	if err != nil {
		return nil, err
	}
	res := &DownloadResult{URL: out.resp.URL, Checksum: out.resp.Checksum}
	if res.URL == "" || res.Checksum == "" {
		var missing []string
		if res.URL == "" {
			missing = append(missing, "url")
		}
		if res.Checksum == "" {
			missing = append(missing, "checksum")
		}
		return res, fmt.Errorf("%s: the response was incomplete: errcode 0 but no %s for %q in env %q (try again; the function may have no code this platform uploaded): %w",
			endpoint, strings.Join(missing, " or "), name, env, ErrIncomplete)
	}
	return res, nil
}

// FetchCode streams a function's code from the URL Download returned to w,
// refusing more than limit bytes, and returns the bytes written. A failure
// before the first byte is retried like an API call; after it, w holds part
// of the code and the error says so. Errors never show the URL's query:
// signed URLs carry their signature there.
func (c *Client) FetchCode(ctx context.Context, rawURL string, w io.Writer, limit int64) (int64, error) {
	const endpoint = "fetching the function code"
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, fmt.Errorf("%s: the download URL is not an http(s) URL (the API returned something unexpected)", endpoint)
	}
	c.redactor.Add(u.RawQuery)
	if limit <= 0 {
		return 0, fmt.Errorf("%s: the size limit %d must be positive", endpoint, limit)
	}
	out, err := c.do(ctx, call{endpoint: endpoint, method: http.MethodGet, url: rawURL, sink: w, limit: limit, hideQuery: true})
	if out != nil {
		return out.written, err
	}
	return 0, err
}
