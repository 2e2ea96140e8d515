package wxcloud

import (
	"context"
	"encoding/json"
	"fmt"
	"sync/atomic"
	"time"
)

// TokenSource hands the client the token a call sends in ?access_token=.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
	// Refresh is called at most once per API call after errcode 42001. A
	// static token cannot refresh: return an error wrapping ErrCannotRefresh.
	Refresh(ctx context.Context) (string, error)
}

// Token is a fetched token and its lifetime in seconds.
type Token struct {
	Value     string
	ExpiresIn int
}

// StaticToken is a token passed in by the user (an input, or one an earlier
// workflow step fetched). It cannot be refreshed.
func StaticToken(tok string) TokenSource { return staticToken(tok) }

type staticToken string

func (s staticToken) Token(context.Context) (string, error) {
	if s == "" {
		return "", errNoToken("the token is empty (set access-token or component-access-token)")
	}
	return string(s), nil
}

func (staticToken) Refresh(context.Context) (string, error) {
	return "", fmt.Errorf("a token passed as an input: %w", ErrCannotRefresh)
}

// StableToken fetches the Mini Program's access_token lazily via POST
// /cgi-bin/stable_token, caches it until shortly before it expires, and
// fetches again on Refresh. Never GET /cgi-bin/token: it mints a new token
// and the production servers' copy stops working minutes later (API-NOTES.md).
// Many goroutines may call Token at once; one fetch serves them all.
func StableToken(c *Client, appid, secret string) TokenSource {
	c.redactor.Add(secret)
	return newCachedToken(c, func(ctx context.Context) (Token, error) {
		// force_refresh stays false on Refresh too: the server hands out a new
		// token once the old one expired, and forcing would invalidate the
		// token the app's own servers hold.
		return c.FetchStableToken(ctx, appid, secret, false)
	})
}

// ComponentToken fetches a third-party platform's component_access_token via
// POST /cgi-bin/component/api_component_token, cached like StableToken.
func ComponentToken(c *Client, appid, secret, ticket string) TokenSource {
	c.redactor.Add(secret, ticket)
	return newCachedToken(c, func(ctx context.Context) (Token, error) {
		return c.FetchComponentToken(ctx, appid, secret, ticket)
	})
}

// expiryMargin renews a cached token this long before the server's expiry, so
// that a call started just before does not race it.
const expiryMargin = 5 * time.Minute

type cachedToken struct {
	now   func() time.Time
	fetch func(ctx context.Context) (Token, error)
	// lock is a one-slot semaphore rather than a sync.Mutex so that a waiter
	// can give up when its context ends.
	lock    chan struct{}
	gen     atomic.Uint64 // completed fetches
	tok     string
	expires time.Time // zero: no known expiry
	// beforeWait, when set (tests), runs in Refresh after it noted the
	// generation and before it waits for the lock.
	beforeWait func()
}

func newCachedToken(c *Client, fetch func(ctx context.Context) (Token, error)) *cachedToken {
	return &cachedToken{now: c.now, fetch: fetch, lock: make(chan struct{}, 1)}
}

func (s *cachedToken) acquire(ctx context.Context) error {
	select {
	case s.lock <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s *cachedToken) release() { <-s.lock }

func (s *cachedToken) Token(ctx context.Context) (string, error) {
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer s.release()
	if s.tok != "" && (s.expires.IsZero() || s.now().Before(s.expires)) {
		return s.tok, nil
	}
	return s.fetchLocked(ctx)
}

func (s *cachedToken) Refresh(ctx context.Context) (string, error) {
	gen := s.gen.Load()
	if s.beforeWait != nil {
		s.beforeWait()
	}
	if err := s.acquire(ctx); err != nil {
		return "", err
	}
	defer s.release()
	// Several calls that failed with 42001 at once all ask to refresh; the
	// first fetch serves those that were waiting for it.
	if s.gen.Load() != gen && s.tok != "" {
		return s.tok, nil
	}
	return s.fetchLocked(ctx)
}

func (s *cachedToken) fetchLocked(ctx context.Context) (string, error) {
	t, err := s.fetch(ctx)
	if err != nil {
		return "", err
	}
	s.tok = t.Value
	s.expires = time.Time{}
	if t.ExpiresIn > 0 {
		life := time.Duration(t.ExpiresIn) * time.Second
		if life > 2*expiryMargin {
			life -= expiryMargin
		}
		s.expires = s.now().Add(life)
	}
	s.gen.Add(1)
	return s.tok, nil
}

// FetchStableToken calls POST /cgi-bin/stable_token.
func (c *Client) FetchStableToken(ctx context.Context, appid, secret string, force bool) (Token, error) {
	const endpoint = "stable_token"
	c.redactor.Add(secret)
	if appid == "" || secret == "" {
		return Token{}, errNoToken("%s: fetching an access token needs both appid and app-secret (or pass access-token instead)", endpoint)
	}
	body, err := json.Marshal(map[string]any{
		"grant_type":    "client_credential",
		"appid":         appid,
		"secret":        secret,
		"force_refresh": force,
	})
	if err != nil {
		return Token{}, fmt.Errorf("%s: encoding the request: %w", endpoint, err)
	}
	out, err := c.do(ctx, call{endpoint: endpoint, path: "/cgi-bin/stable_token", body: jsonBody(body)})
	if err != nil {
		return Token{}, err
	}
	if out.resp.AccessToken == "" {
		return Token{}, fmt.Errorf("%s: the response had errcode 0 but no access_token (check api-base-url): %w", endpoint, ErrIncomplete)
	}
	c.redactor.Add(out.resp.AccessToken)
	return Token{Value: out.resp.AccessToken, ExpiresIn: out.resp.ExpiresIn}, nil
}

// FetchComponentToken calls POST /cgi-bin/component/api_component_token.
func (c *Client) FetchComponentToken(ctx context.Context, appid, secret, ticket string) (Token, error) {
	const endpoint = "api_component_token"
	c.redactor.Add(secret, ticket)
	if appid == "" || secret == "" || ticket == "" {
		return Token{}, errNoToken("%s: fetching a component_access_token needs component-appid, component-appsecret and component-verify-ticket (or pass component-access-token instead)", endpoint)
	}
	body, err := json.Marshal(map[string]string{
		"component_appid":         appid,
		"component_appsecret":     secret,
		"component_verify_ticket": ticket,
	})
	if err != nil {
		return Token{}, fmt.Errorf("%s: encoding the request: %w", endpoint, err)
	}
	out, err := c.do(ctx, call{endpoint: endpoint, path: "/cgi-bin/component/api_component_token", body: jsonBody(body)})
	if err != nil {
		return Token{}, err
	}
	if out.resp.ComponentAccessToken == "" {
		return Token{}, fmt.Errorf("%s: the response had errcode 0 but no component_access_token (check api-base-url): %w", endpoint, ErrIncomplete)
	}
	c.redactor.Add(out.resp.ComponentAccessToken)
	return Token{Value: out.resp.ComponentAccessToken, ExpiresIn: out.resp.ExpiresIn}, nil
}
