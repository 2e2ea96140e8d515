package wxcloud

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

// UploadRequest is the body of batchuploadscf / batchuploadscfcode.
type UploadRequest struct {
	FunctionName string   // -> "functionname"
	Envs         []string // -> "envs"
	// Zip is the raw zip; the client base64-encodes it while streaming the body.
	Zip []byte // -> "zipfile"
	// VPCID and SubnetID are sent only by BatchCreate, and only when set.
	VPCID, SubnetID string // -> "vpcid", "subnetid"
}

func (r UploadRequest) validate(endpoint string) error {
	switch {
	case r.FunctionName == "":
		return fmt.Errorf("%s: the function name is empty (set function-name)", endpoint)
	case len(r.Envs) == 0:
		return fmt.Errorf("%s: no env to upload %q to (set envs)", endpoint, r.FunctionName)
	case len(r.Zip) == 0:
		return fmt.Errorf("%s: the package for %q is empty (check path and files)", endpoint, r.FunctionName)
	}
	return nil
}

// BatchCreate creates the function in every env (POST
// /componenttcb/batchuploadscf, component token). A non-zero errcode returns
// an *APIError and, when the body was decodable, the BatchResult too. errcode 0
// with a fail list is not an error: BatchResult.Failed lists those envs.
func (c *Client) BatchCreate(ctx context.Context, req UploadRequest) (*BatchResult, error) {
	return c.batch(ctx, "batchuploadscf", req, true)
}

// BatchUpdate replaces the function's code in every env (POST
// /componenttcb/batchuploadscfcode, component token). Results as BatchCreate.
func (c *Client) BatchUpdate(ctx context.Context, req UploadRequest) (*BatchResult, error) {
	return c.batch(ctx, "batchuploadscfcode", req, false)
}

func (c *Client) batch(ctx context.Context, endpoint string, req UploadRequest, create bool) (*BatchResult, error) {
	if err := req.validate(endpoint); err != nil {
		return nil, err
	}
	body, err := newUploadBody(req, create)
	if err != nil {
		return nil, fmt.Errorf("%s: encoding the request: %w", endpoint, err)
	}
	out, err := c.do(ctx, call{endpoint: endpoint, path: "/componenttcb/" + endpoint, body: body, token: batchToken})
	var res *BatchResult
	if out != nil && out.resp != nil {
		res = &BatchResult{Errcode: out.resp.Errcode, Errmsg: c.redactor.String(out.resp.Errmsg)}
		for _, f := range out.resp.Failed {
			f.Msg = c.redactor.String(f.Msg)
			res.Failed = append(res.Failed, f)
		}
	}
	return res, err
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
	// Batch selects the component token (third-party "batch" mode).
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
		kind = batchToken
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

// FetchCode downloads a function's code from the URL Download returned,
// retried like API calls, refusing more than limit bytes. Errors never show
// the URL's query: signed URLs carry their signature there.
func (c *Client) FetchCode(ctx context.Context, rawURL string, limit int64) ([]byte, error) {
	const endpoint = "fetching the function code"
	u, err := url.Parse(rawURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s: the download URL is not an http(s) URL (the API returned something unexpected)", endpoint)
	}
	c.redactor.Add(u.RawQuery)
	if limit <= 0 {
		return nil, fmt.Errorf("%s: the size limit %d must be positive", endpoint, limit)
	}
	out, err := c.do(ctx, call{endpoint: endpoint, method: "GET", url: rawURL, raw: true, limit: limit, hideQuery: true})
	if err != nil {
		return nil, err
	}
	return out.raw, nil
}
