package wxcloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

const (
	defaultBaseURL = "https://api.weixin.qq.com"
	userAgent      = "wxcloud-deploy"
	// maxAPIResponse bounds what is read from an API call's answer: they are
	// a few hundred bytes; anything near this is a misrouted request.
	maxAPIResponse = 4 << 20
)

// Client talks to the cloud development server API. It is safe for concurrent
// use once configured.
type Client struct {
	hc        *http.Client
	base      string
	retries   int
	initial   time.Duration
	max       time.Duration
	sleep     func(ctx context.Context, d time.Duration) error
	rand      func() float64
	timeout   time.Duration
	now       func() time.Time
	access    TokenSource
	component TokenSource
	redactor  *redact.Redactor
	logf      func(format string, args ...any)
}

// Option configures a Client.
type Option func(*Client)

// NewClient returns a client using hc (nil: a client of its own with the
// default transport).
func NewClient(hc *http.Client, opts ...Option) *Client {
	if hc == nil {
		hc = &http.Client{}
	}
	c := &Client{
		hc:       hc,
		base:     defaultBaseURL,
		retries:  3,
		initial:  500 * time.Millisecond,
		max:      8 * time.Second,
		sleep:    SleepContext,
		rand:     rand.Float64,
		timeout:  60 * time.Second,
		now:      time.Now,
		redactor: redact.New(),
		logf:     func(string, ...any) {},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// WithBaseURL sets the API origin (a proxy, the emulator, a test server).
func WithBaseURL(u string) Option {
	return func(c *Client) {
		if u = strings.TrimRight(strings.TrimSpace(u), "/"); u != "" {
			c.base = u
		}
	}
}

// WithRetries sets how many times a transient failure is retried after the
// first attempt.
func WithRetries(n int) Option {
	return func(c *Client) { c.retries = max(n, 0) }
}

// WithBackoff sets the exponential backoff: the n-th retry waits a random
// duration in [0, min(max, initial*2^(n-1))) ("full jitter").
func WithBackoff(initial, maxDelay time.Duration) Option {
	return func(c *Client) {
		c.initial = max(initial, 0)
		c.max = max(maxDelay, c.initial)
	}
}

// WithSleep replaces the wait between retries (tests pass a no-op).
func WithSleep(f func(ctx context.Context, d time.Duration) error) Option {
	return func(c *Client) {
		if f != nil {
			c.sleep = f
		}
	}
}

// WithRand sets the jitter source, returning values in [0, 1).
func WithRand(f func() float64) Option {
	return func(c *Client) {
		if f != nil {
			c.rand = f
		}
	}
}

// WithTimeout bounds each HTTP attempt (not the whole call with its retries).
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithClock sets the clock used to expire cached tokens.
func WithClock(now func() time.Time) Option {
	return func(c *Client) {
		if now != nil {
			c.now = now
		}
	}
}

// WithTokens sets the token sources: access for createfunction,
// downloadfunction and invoke; component for the batch calls (and invoke in
// batch mode). Either may be nil; a nil component means the batch calls use
// access.
func WithTokens(access, component TokenSource) Option {
	return func(c *Client) {
		c.access = access
		c.component = component
	}
}

// WithRedactor shares the program's Redactor; the client adds every token it
// obtains to it.
func WithRedactor(r *redact.Redactor) Option {
	return func(c *Client) {
		if r != nil {
			c.redactor = r
		}
	}
}

// WithLogf receives retry and refresh notices, already redacted.
func WithLogf(f func(format string, args ...any)) Option {
	return func(c *Client) {
		if f != nil {
			c.logf = f
		}
	}
}

// SleepContext waits d or until ctx ends; the default sleep of retries, and
// of anything else that backs off.
func SleepContext(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

func (c *Client) log(format string, args ...any) {
	c.logf("%s", c.redactor.String(fmt.Sprintf(format, args...)))
}

// tokenKind says which token a call sends in ?access_token= (API-NOTES.md,
// "Which token each call takes").
type tokenKind int

const (
	noToken     tokenKind = iota // the token endpoints themselves
	accessToken                  // access_token or authorizer_access_token
	batchToken                   // component_access_token, else access_token
)

// body is a request body that can be opened again for each attempt.
type body interface {
	open() io.Reader
	size() int64
}

type jsonBody []byte

func (b jsonBody) open() io.Reader { return bytes.NewReader(b) }
func (b jsonBody) size() int64     { return int64(len(b)) }

// call describes one API call.
type call struct {
	endpoint string // the name used in errors and logs
	method   string
	url      string     // full URL for raw GETs; otherwise base+path is used
	path     string     // "/tcb/downloadfunction"
	query    url.Values // besides access_token
	body     body
	token    tokenKind
	raw      bool  // return the body as is (code download) instead of decoding JSON
	limit    int64 // response size limit
	// hideQuery drops the whole query from URLs shown in errors: signed
	// download URLs carry their signature there.
	hideQuery bool
}

// outcome is the result of one attempt.
type outcome struct {
	resp      *response
	raw       []byte
	err       error // *APIError, or a cause for a TransportError
	status    int
	transient bool
	reason    string // for the retry log line
}

// do runs a call: token, retries, and one refresh after errcode 42001.
func (c *Client) do(ctx context.Context, cl call) (*outcome, error) {
	src, err := c.source(cl)
	if err != nil {
		return nil, err
	}
	var tok string
	if src != nil {
		if tok, err = src.Token(ctx); err != nil {
			return nil, c.redactor.Error(fmt.Errorf("%s: getting a token: %w", cl.endpoint, err))
		}
		if tok == "" {
			return nil, errNoToken("%s: the token source returned an empty token", cl.endpoint)
		}
		c.redactor.Add(tok)
	}
	attempts := 0
	refreshed := false
	for {
		out, n, err := c.send(ctx, cl, tok)
		attempts += n
		var apiErr *APIError
		if !errors.As(err, &apiErr) {
			return out, err
		}
		apiErr.Attempts = attempts
		if apiErr.Code != 42001 || src == nil || refreshed {
			return out, apiErr
		}
		// Refresh once and retry once: a second 42001 means the new token is
		// no better, and looping would hammer the token endpoint.
		refreshed = true
		fresh, rerr := src.Refresh(ctx)
		if rerr != nil || fresh == "" {
			if rerr != nil && !errors.Is(rerr, ErrCannotRefresh) {
				apiErr.Hint += fmt.Sprintf(" (refreshing failed: %s)", c.redactor.String(rerr.Error()))
			}
			return out, apiErr
		}
		c.redactor.Add(fresh)
		c.log("%s: token expired (errcode 42001); retrying once with a fresh token", cl.endpoint)
		tok = fresh
	}
}

func (c *Client) source(cl call) (TokenSource, error) {
	switch cl.token {
	case accessToken:
		if c.access == nil {
			return nil, errNoToken("%s needs an access token: set access-token, or appid/app-secret", cl.endpoint)
		}
		return c.access, nil
	case batchToken:
		if c.component != nil {
			return c.component, nil
		}
		if c.access == nil {
			return nil, errNoToken("%s needs a component_access_token or access token: set access-token, component-access-token, or appid/app-secret", cl.endpoint)
		}
		return c.access, nil
	}
	return nil, nil
}

func (c *Client) urlFor(cl call, tok string) string {
	if cl.url != "" {
		return cl.url
	}
	q := url.Values{}
	if cl.token != noToken {
		q.Set("access_token", tok)
	}
	for k, v := range cl.query {
		q[k] = v
	}
	u := c.base + cl.path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	return u
}

// send makes up to 1+retries attempts. It returns the outcome, the number of
// requests sent and a redacted error.
func (c *Client) send(ctx context.Context, cl call, tok string) (*outcome, int, error) {
	u := c.urlFor(cl, tok)
	total := c.retries + 1
	for attempt := 1; ; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, attempt - 1, c.interrupted(cl, err)
		}
		out := c.attempt(ctx, cl, u)
		if out.err == nil {
			return &out, attempt, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, attempt, c.interrupted(cl, err)
		}
		if !out.transient || attempt >= total {
			return &out, attempt, c.final(cl, out, attempt)
		}
		d := c.backoff(attempt)
		c.log("retrying %s after %s (attempt %d/%d) in %s", cl.endpoint, out.reason, attempt+1, total, roundDelay(d))
		if err := c.sleep(ctx, d); err != nil {
			return nil, attempt, c.interrupted(cl, err)
		}
	}
}

func (c *Client) interrupted(cl call, err error) error {
	return c.redactor.Error(fmt.Errorf("%s: interrupted: %w", cl.endpoint, err))
}

// final turns the last failed attempt into the error the caller sees.
func (c *Client) final(cl call, out outcome, attempts int) error {
	var apiErr *APIError
	if errors.As(out.err, &apiErr) {
		apiErr.Attempts = attempts
		return apiErr
	}
	te := &TransportError{
		Endpoint: cl.endpoint,
		Attempts: attempts,
		Err:      c.redactor.Error(out.err),
		Status:   out.status,
		r:        c.redactor,
	}
	// Only a gateway's answer (or a cut connection) suggests the body size.
	if cl.body != nil && (out.status >= 500 || out.status == http.StatusRequestEntityTooLarge || out.status == 0) {
		te.BodySize = cl.body.size()
	}
	return te
}

// backoff is the wait before retry n (n >= 1): full jitter over an
// exponentially growing cap.
func (c *Client) backoff(n int) time.Duration {
	d := c.initial
	for i := 1; i < n && d < c.max; i++ {
		d *= 2
	}
	d = min(d, c.max)
	f := c.rand()
	if f < 0 || f >= 1 {
		f = 0.5
	}
	return time.Duration(f * float64(d))
}

func roundDelay(d time.Duration) time.Duration {
	if d >= time.Second {
		return d.Round(100 * time.Millisecond)
	}
	return d.Round(time.Millisecond)
}

// attempt sends one request under its own timeout and classifies the answer.
func (c *Client) attempt(ctx context.Context, cl call, u string) outcome {
	actx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()

	method := cl.method
	if method == "" {
		method = http.MethodPost
	}
	var rd io.Reader
	if cl.body != nil {
		rd = cl.body.open()
	}
	req, err := http.NewRequestWithContext(actx, method, u, rd)
	if err != nil {
		return outcome{err: fmt.Errorf("building the request for %s: %w (check api-base-url)", c.shownURL(cl, u), c.sanitize(cl, err))}
	}
	if cl.body != nil {
		b := cl.body
		// The upload body is a streaming reader, which NewRequest cannot size
		// or rewind on its own.
		req.ContentLength = b.size()
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(b.open()), nil }
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", userAgent)

	resp, err := c.hc.Do(req)
	if err != nil {
		return c.netFailure(ctx, actx, cl, err)
	}
	defer resp.Body.Close()

	limit := cl.limit
	if limit <= 0 {
		limit = maxAPIResponse
	}
	if resp.ContentLength > limit && resp.StatusCode < 300 {
		return outcome{status: resp.StatusCode, err: tooLarge(cl, resp.ContentLength, limit)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		o := c.netFailure(ctx, actx, cl, err)
		o.status = resp.StatusCode
		return o
	}
	if int64(len(data)) > limit {
		return outcome{status: resp.StatusCode, err: tooLarge(cl, -1, limit)}
	}

	switch {
	case resp.StatusCode >= 500:
		return outcome{status: resp.StatusCode, transient: true, reason: fmt.Sprintf("HTTP %d", resp.StatusCode), err: statusErr(resp.StatusCode, data)}
	case resp.StatusCode < 200 || resp.StatusCode >= 300:
		err := statusErr(resp.StatusCode, data)
		if cl.raw {
			err = fmt.Errorf("%w (the download URL may have expired: fetch a new one)", err)
		} else {
			err = fmt.Errorf("%w (check api-base-url)", err)
		}
		return outcome{status: resp.StatusCode, err: err}
	}
	if cl.raw {
		return outcome{status: resp.StatusCode, raw: data}
	}
	r, err := decodeResponse(data)
	if err != nil {
		var be *bodyError
		reason := "an unreadable body"
		if errors.As(err, &be) {
			reason = be.kind
		}
		return outcome{status: resp.StatusCode, transient: true, reason: reason, err: err}
	}
	out := outcome{status: resp.StatusCode, resp: r}
	if r.Errcode != 0 {
		out.err = &APIError{
			Endpoint: cl.endpoint,
			Code:     r.Errcode,
			Msg:      c.redactor.String(r.Errmsg),
			Hint:     explainMsg(r.Errcode, r.Errmsg),
		}
		out.transient = isTransientCode(r.Errcode)
		out.reason = fmt.Sprintf("errcode %d", r.Errcode)
	}
	return out
}

// netFailure classifies a failure to get or read a response. A cancelled
// caller is not a network failure; the attempt's own timeout is.
func (c *Client) netFailure(ctx, actx context.Context, cl call, err error) outcome {
	err = c.sanitize(cl, err)
	if ctx.Err() != nil {
		return outcome{err: err}
	}
	if actx.Err() != nil || errors.Is(err, context.DeadlineExceeded) {
		return outcome{transient: true, reason: "a timeout", err: fmt.Errorf("no response within %s (raise the timeout input if the API is slow): %w", c.timeout, err)}
	}
	return outcome{transient: true, reason: "a network error", err: fmt.Errorf("network error: %w", err)}
}

// sanitize replaces a *url.Error, whose URL holds the token (or a download
// signature), by a copy with the URL made safe to show.
func (c *Client) sanitize(cl call, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) && ue == err {
		return &url.Error{Op: ue.Op, URL: c.shownURL(cl, ue.URL), Err: ue.Err}
	}
	return err
}

func (c *Client) shownURL(cl call, u string) string {
	if cl.hideQuery {
		if i := strings.IndexAny(u, "?#"); i >= 0 {
			u = u[:i] + "?…"
		}
	}
	return c.redactor.String(u)
}

func statusErr(status int, data []byte) error {
	text := http.StatusText(status)
	if text == "" {
		text = "status"
	}
	if _, err := decodeResponse(data); err != nil {
		if status >= 500 {
			return fmt.Errorf("HTTP %d %s with a non-JSON body (gateway error)", status, text)
		}
		return fmt.Errorf("HTTP %d %s", status, text)
	}
	return fmt.Errorf("HTTP %d %s: %s", status, text, snippet(data))
}

func tooLarge(cl call, size, limit int64) error {
	what := "the response"
	if cl.raw {
		what = "the download"
	}
	if size >= 0 {
		return fmt.Errorf("%s is %d bytes, over the limit of %d bytes", what, size, limit)
	}
	return fmt.Errorf("%s is over the limit of %d bytes", what, limit)
}
