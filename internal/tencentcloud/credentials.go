package tencentcloud

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/httpx"
)

const (
	oidcTokenHint     = "STS refused GitHub's OIDC token: the token's audience must be a client ID of the CAM OIDC provider (oidc-audience, default sts.tencentcloudapi.com), oidc-provider-id must name the provider whose issuer is https://token.actions.githubusercontent.com, and the trust policy of role-arn must accept this repository's subject (repo:OWNER/REPO:...)"
	idTokenPermHint   = "keyless auth needs GitHub's OIDC token, and GitHub sets ACTIONS_ID_TOKEN_REQUEST_URL and ACTIONS_ID_TOKEN_REQUEST_TOKEN only for jobs with `permissions: id-token: write`: add it to the job (pull requests from forks never get it), or give secret-id and secret-key instead"
	githubTokenAction = "GitHub OIDC token request"
	// maxTokenAnswer bounds GitHub's {"value": JWT} answer.
	maxTokenAnswer = 64 << 10
)

// credentialSource gives the credentials of the moment.
type credentialSource interface {
	get(ctx context.Context) (common.CredentialIface, error)
	mode() authMode
}

func (b *Backend) newCredentialSource() (credentialSource, error) {
	o := b.opts
	if o.OIDC != nil {
		b.r.Add(o.OIDC.RequestToken)
		return &oidcCreds{b: b, cfg: *o.OIDC, lock: make(chan struct{}, 1)}, nil
	}
	if o.SessionToken != "" {
		return staticCreds{common.NewTokenCredential(o.SecretID, o.SecretKey, o.SessionToken), authTempKeys}, nil
	}
	return staticCreds{common.NewCredential(o.SecretID, o.SecretKey), authKeys}, nil
}

// staticCreds are the key pair the user gave.
type staticCreds struct {
	cred *common.Credential
	m    authMode
}

func (s staticCreds) get(context.Context) (common.CredentialIface, error) { return s.cred, nil }
func (s staticCreds) mode() authMode                                      { return s.m }

// oidcCreds are temporary keys from STS for GitHub's OIDC token, fetched on
// first use, shared by every call and fetched again before they expire.
type oidcCreds struct {
	b   *Backend
	cfg OIDC
	// lock is a mutex a waiting caller can leave when its context ends: the
	// first caller fetches, the others wait for its keys.
	lock      chan struct{}
	cred      *common.Credential
	refreshAt time.Time
	expires   time.Time
	// denied is kept: a refused token or role stays refused for this run,
	// and asking again for every call would only repeat the error.
	denied error
}

func (s *oidcCreds) mode() authMode { return authOIDC }

func (s *oidcCreds) get(ctx context.Context) (common.CredentialIface, error) {
	select {
	case s.lock <- struct{}{}:
	case <-ctx.Done():
		return nil, &Error{Action: "AssumeRoleWithWebIdentity", K: backend.KindCancelled, cause: ctx.Err(), r: s.b.r}
	}
	defer func() { <-s.lock }()
	if s.denied != nil {
		return nil, s.denied
	}
	now := s.b.opts.Now()
	if s.cred != nil && now.Before(s.refreshAt) {
		return s.cred, nil
	}
	cred, expires, err := s.fetch(ctx)
	if err != nil {
		if s.cred != nil && now.Before(s.expires) {
			// The refresh failed but the keys we have still work for a
			// while: use them and try again on the next call.
			s.b.log("keyless auth: refreshing the temporary keys failed, using the current ones until %s: %v", s.expires.Format(time.RFC3339), err)
			return s.cred, nil
		}
		if backend.KindOf(err) == backend.KindDenied {
			s.denied = err
		}
		return nil, err
	}
	// Refresh a tenth of the lifetime before the end, as the SDK's
	// RoleArnCredential does, so a long call never starts with keys about
	// to expire.
	s.cred, s.expires = cred, expires
	s.refreshAt = expires.Add(-s.cfg.Duration / 10)
	return cred, nil
}

// fetch gets GitHub's OIDC token and exchanges it for temporary keys.
func (s *oidcCreds) fetch(ctx context.Context) (*common.Credential, time.Time, error) {
	jwt, err := s.githubToken(ctx)
	if err != nil {
		return nil, time.Time{}, err
	}
	params := mustParams(assumeRoleWithWebIdentityRequest{
		ProviderId:       s.cfg.ProviderID,
		WebIdentityToken: jwt,
		RoleArn:          s.cfg.RoleARN,
		RoleSessionName:  s.cfg.SessionName,
		DurationSeconds:  int64(s.cfg.Duration / time.Second),
	})
	// Unsigned, as the SDK's OIDCRoleArnProvider sends it, but through our
	// endpoint, scheme and transport (the SDK's provider always uses
	// https://sts.tencentcloudapi.com and its own client).
	c := call{service: "sts", version: stsVersion, action: "AssumeRoleWithWebIdentity", unsigned: true, params: params}
	var out assumeRoleWithWebIdentityResponse
	if err := s.b.do(ctx, c, &out); err != nil {
		return nil, time.Time{}, stsDenied(err)
	}
	cr := out.Credentials
	if cr == nil || cr.TmpSecretId == "" || cr.TmpSecretKey == "" || cr.Token == "" {
		return nil, time.Time{}, &Error{Action: c.action, K: backend.KindUnreachable, RequestID: out.RequestId,
			Message: "the answer has no Credentials (TmpSecretId, TmpSecretKey, Token)", Hint: "check tencentcloud-api-url", r: s.b.r}
	}
	s.b.r.Add(cr.TmpSecretId, cr.TmpSecretKey, cr.Token)
	return common.NewTokenCredential(cr.TmpSecretId, cr.TmpSecretKey, cr.Token), s.expiry(out), nil
}

// expiry is when the keys end: ExpiredTime (unix seconds), else Expiration
// (RFC 3339), else the duration asked for.
func (s *oidcCreds) expiry(out assumeRoleWithWebIdentityResponse) time.Time {
	if out.ExpiredTime > 0 {
		return time.Unix(out.ExpiredTime, 0)
	}
	if t, err := time.Parse(time.RFC3339, out.Expiration); err == nil {
		return t
	}
	return s.b.opts.Now().Add(s.cfg.Duration)
}

// stsHints replace the SCF-worded hints for what STS answers.
var stsHints = map[string]string{
	"InvalidParameter.WebIdentityTokenError": oidcTokenHint,
	"InvalidParameter.ParamError":            "STS refused a parameter: check role-arn (qcs::cam::uin/<uin>:roleName/<name>) and oidc-provider-id (the CAM OIDC provider's name)",
	"UnauthorizedOperation":                  "the role's trust policy does not let the OIDC provider assume it: allow sts:AssumeRoleWithWebIdentity for oidc-provider-id in the trust policy of role-arn",
	"ResourceNotFound.RoleNotExist":          "role-arn: no such role",
}

// stsDenied makes every lasting STS refusal KindDenied: without keys no
// call can work until an input changes.
func stsDenied(err error) error {
	var e *Error
	if !errors.As(err, &e) || e.Code == "" {
		return err
	}
	if h, ok := stsHints[e.Code]; ok {
		e.Hint = h
	} else if strings.HasPrefix(e.Code, "InvalidParameter") {
		e.Hint = stsHints["InvalidParameter.ParamError"]
	}
	switch e.K {
	case backend.KindBusy, backend.KindUnreachable, backend.KindCancelled:
	default:
		e.K = backend.KindDenied
	}
	return e
}

// githubToken asks GitHub for an OIDC token with the configured audience.
func (s *oidcCreds) githubToken(ctx context.Context) (string, error) {
	newErr := func(k backend.Kind, msg, hint string, attempts int, cause error) error {
		return &Error{Action: githubTokenAction, K: k, Message: msg, Hint: hint, Attempts: attempts, cause: cause, r: s.b.r}
	}
	if s.cfg.RequestURL == "" || s.cfg.RequestToken == "" {
		return "", newErr(backend.KindDenied, "ACTIONS_ID_TOKEN_REQUEST_URL or ACTIONS_ID_TOKEN_REQUEST_TOKEN is empty", idTokenPermHint, 0, nil)
	}
	// Append to the runner's URL as given (it already has a query, e.g.
	// api-version=2.0): GitHub's toolkit does the same.
	sep := "&"
	if !strings.Contains(s.cfg.RequestURL, "?") {
		sep = "?"
	}
	u := s.cfg.RequestURL + sep + "audience=" + url.QueryEscape(s.cfg.Audience)
	var body []byte
	bo := s.b.backoff()
	a, n := bo.Do(ctx, func(int) httpx.Attempt {
		var a httpx.Attempt
		body, a = s.b.getSmall(ctx, u, map[string]string{"Authorization": "bearer " + s.cfg.RequestToken, "Accept": "application/json"})
		return a
	}, func(a httpx.Attempt, n int, wait time.Duration) {
		s.b.log("%s: %s; retry %d of %d in %s", githubTokenAction, a.Reason, n, bo.Retries, wait.Round(time.Millisecond))
	})
	switch {
	case ctx.Err() != nil:
		return "", newErr(backend.KindCancelled, "cancelled", "", n, ctx.Err())
	case a.Err != nil:
		var se *statusError
		if errors.As(a.Err, &se) && (se.status == http.StatusUnauthorized || se.status == http.StatusForbidden) {
			return "", newErr(backend.KindDenied, a.Err.Error(), "GitHub refused ACTIONS_ID_TOKEN_REQUEST_TOKEN (it lasts only as long as the job); "+idTokenPermHint, n, nil)
		}
		return "", newErr(backend.KindUnreachable, a.Err.Error(), "GitHub's token service did not answer usefully: try again", n, a.Err)
	}
	var tok struct {
		Value string `json:"value"`
	}
	if err := json.Unmarshal(body, &tok); err != nil || tok.Value == "" {
		return "", newErr(backend.KindUnreachable, "the answer is not {\"value\": token}: "+snippet(s.b.r, string(body)), "check ACTIONS_ID_TOKEN_REQUEST_URL", n, nil)
	}
	s.b.r.Add(tok.Value)
	return tok.Value, nil
}

// statusError is an HTTP answer that was not 200.
type statusError struct {
	status int
	url    string
}

func (e *statusError) Error() string { return fmt.Sprintf("GET %s: HTTP %d", e.url, e.status) }

// httpClient is for plain GETs (GitHub's token, the code's COS link): the
// guarded transport, redirects only within the origin.
func (b *Backend) httpClient() *http.Client {
	return &http.Client{
		Transport: b.transport,
		Timeout:   b.opts.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return fmt.Errorf("stopped after %d redirects", len(via))
			}
			if !httpx.SameOrigin(via[0].URL, req.URL) {
				return &httpx.RedirectError{Status: req.Response.StatusCode, FromHost: via[0].URL.Host, ToHost: req.URL.Host, ToScheme: req.URL.Scheme}
			}
			return nil
		},
	}
}

// getSmall GETs a small answer once; the Attempt says whether to retry.
func (b *Backend) getSmall(ctx context.Context, u string, header map[string]string) ([]byte, httpx.Attempt) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, httpx.Attempt{Err: fmt.Errorf("GET %s: %v", safeURL(u), err)}
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := b.httpClient().Do(req)
	if err != nil {
		return nil, httpx.Attempt{Err: transportError(u, err), Retry: retryableGet(err), Reason: "network error"}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		after, _ := httpx.RetryAfter(resp.Header, b.opts.Now())
		retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
		return nil, httpx.Attempt{Err: &statusError{status: resp.StatusCode, url: safeURL(u)}, Retry: retry, After: after, Reason: fmt.Sprintf("HTTP %d", resp.StatusCode)}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenAnswer))
	if err != nil {
		return nil, httpx.Attempt{Err: transportError(u, err), Retry: true, Reason: "network error"}
	}
	return body, httpx.Attempt{}
}

func retryableGet(err error) bool {
	var re *httpx.RedirectError
	return !errors.As(err, &re)
}

// transportError names the URL without its query (a COS link's signature,
// anything else a query may hold) and keeps the cause's text.
func transportError(u string, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err
	}
	return fmt.Errorf("GET %s: %w", safeURL(u), err)
}

// safeURL is u without user info, query or fragment.
func safeURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(an unparsable URL)"
	}
	return (&url.URL{Scheme: p.Scheme, Host: p.Host, Path: p.Path}).String()
}
