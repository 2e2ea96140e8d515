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

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/httpx"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

const (
	defaultBaseURL = "https://api.weixin.qq.com"
	userAgent      = "wxcloud-deploy"
	// maxAPIResponse bounds what is read from an API call's answer: they are
	// a few hundred bytes; anything near this is a misrouted request.
	maxAPIResponse = 4 << 20
	// maxErrorBody bounds what is read of an HTTP error page (a download URL
	// that expired answers with a small XML document).
	maxErrorBody = 64 << 10
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
// default transport). Whatever hc is, the client sends through a copy whose
// transport is an httpx.Transport (hc's own when it already is one, carrying
// the run's max-rps limiter; else a guard around hc's transport) and whose
// redirect policy is httpx's: a redirect to another origin or from https to
// http is refused, so neither a token nor a zip is re-sent to a host the user
// did not name.
func NewClient(hc *http.Client, opts ...Option) *Client {
	c := &Client{
		hc:       guarded(hc),
		base:     defaultBaseURL,
		retries:  3,
		initial:  500 * time.Millisecond,
		max:      8 * time.Second,
		sleep:    httpx.Sleep,
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

func guarded(hc *http.Client) *http.Client {
	var base http.RoundTripper
	if hc != nil {
		base = hc.Transport
	}
	t, ok := base.(*httpx.Transport)
	if !ok {
		t = &httpx.Transport{Base: base}
	}
	g := httpx.NewClient(t)
	if hc != nil {
		g.Jar, g.Timeout = hc.Jar, hc.Timeout
	}
	return g
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

// WithTimeout bounds each HTTP attempt, and also the sum of the waits between
// the retries of one call (httpx.Backoff.Budget): a vendor asking for a
// longer wait (Retry-After) ends the retries instead of holding the deploy.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) {
		if d > 0 {
			c.timeout = d
		}
	}
}

// WithClock sets the clock used to expire cached tokens and to read an
// HTTP-date Retry-After.
func WithClock(now func() time.Time) Option {
	return func(c *Client) {
		if now != nil {
			c.now = now
		}
	}
}

// WithTokens sets the token sources: access for createfunction,
// downloadfunction and invoke; component for the batch calls (and invoke in
// batch mode). Either may be nil. There is no fallback between them: the
// batch calls refuse a Mini Program's token (API-NOTES.md), so without a
// component source they fail before sending anything.
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

func (c *Client) log(format string, args ...any) {
	c.logf("%s", c.redactor.String(fmt.Sprintf(format, args...)))
}

// tokenKind says which token a call sends in ?access_token= (API-NOTES.md,
// "Which token each call takes").
type tokenKind int

const (
	noToken        tokenKind = iota // the token endpoints and download URLs
	accessToken                     // access_token or authorizer_access_token
	componentToken                  // component_access_token, never anything else
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
	// sink, when set, receives the answer's body as it arrives (the code
	// download) instead of it being decoded as JSON.
	sink  io.Writer
	limit int64 // response size limit
	// hideQuery drops the whole query from URLs shown in errors: signed
	// download URLs carry their signature there.
	hideQuery bool
}

// outcome is the result of one attempt.
type outcome struct {
	resp      *response
	written   int64 // bytes copied to the sink
	err       error // *APIError, or a cause for a TransportError
	status    int
	transient bool
	// lost: the request may have reached the server and no readable answer
	// came back (network error after dialling, timeout, gateway error,
	// unreadable body, cancelled in flight).
	lost bool
	// notSent: the request never left the process (httpx.NotSentError: the
	// run's max-rps limit held it until the deadline or the cancel), so
	// nothing of it can have been applied.
	notSent bool
	after   time.Duration // the server's Retry-After
	reason  string        // for the retry log line
}

// do runs a call: token, retries, and one refresh after errcode 42001.
func (c *Client) do(ctx context.Context, cl call) (*outcome, error) {
	src, err := c.source(cl)
	if err != nil {
		return nil, err
	}
	tok, err := c.token(ctx, cl, src)
	if err != nil {
		return nil, err
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

// token gets the call's token before anything is sent, so a failure here
// means the call's endpoint never saw a request.
func (c *Client) token(ctx context.Context, cl call, src TokenSource) (string, error) {
	if src == nil {
		return "", nil
	}
	tok, err := src.Token(ctx)
	if err == nil && tok == "" {
		err = errNoToken("the token source returned an empty token")
	}
	if err != nil {
		return "", newTokenError(cl.endpoint, cl.token, c.redactor.Error(err))
	}
	c.redactor.Add(tok)
	return tok, nil
}

func (c *Client) source(cl call) (TokenSource, error) {
	switch cl.token {
	case accessToken:
		if c.access == nil {
			return nil, errNoToken("%s needs access-token (an authorizer_access_token, or the Mini Program's own access_token), or appid/app-secret to fetch one", cl.endpoint)
		}
		return c.access, nil
	case componentToken:
		if c.component == nil {
			return nil, errNoToken("%s needs a component_access_token: set component-access-token, or component-appid, component-appsecret and component-verify-ticket "+
				"(a Mini Program's access token is refused by this call, so none is sent)", cl.endpoint)
		}
		return c.component, nil
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

func (c *Client) backoff() httpx.Backoff {
	return httpx.Backoff{
		Retries: c.retries,
		Initial: c.initial,
		Max:     c.max,
		Budget:  c.timeout,
		Rand:    c.rand,
		Sleep:   c.sleep,
	}
}

// send makes up to 1+retries attempts through httpx.Backoff. It returns the
// last outcome, the number of requests sent (an attempt the rate limit kept
// in is not one) and a redacted error.
func (c *Client) send(ctx context.Context, cl call, tok string) (*outcome, int, error) {
	u := c.urlFor(cl, tok)
	var last outcome
	tries, sent := 0, 0
	lost := false
	a, _ := c.backoff().Do(ctx, func(int) httpx.Attempt {
		if err := ctx.Err(); err != nil {
			return httpx.Attempt{Err: err}
		}
		tries++
		last = c.attempt(ctx, cl, u)
		if !last.notSent {
			sent++
		}
		lost = lost || last.lost
		return httpx.Attempt{Err: last.err, Retry: last.transient, After: last.after, Reason: last.reason}
	}, func(a httpx.Attempt, n int, wait time.Duration) {
		c.log("retrying %s after %s (attempt %d/%d) in %s", cl.endpoint, a.Reason, n+1, c.retries+1, roundDelay(wait))
	})
	switch {
	case a.Err == nil:
		return &last, sent, nil
	case ctx.Err() != nil && (sent == 0 || last.lost || last.transient || last.notSent):
		// Cancelled before sending (the rate limit's wait included), in
		// flight, or while waiting to retry; a definitive answer that arrived
		// just before is reported as itself.
		if sent == 0 {
			return nil, 0, c.interrupted(cl, ctx.Err(), 0, lost)
		}
		return &last, sent, c.interrupted(cl, ctx.Err(), tries, lost)
	}
	return &last, sent, c.final(cl, last, tries, lost)
}

// interrupted is the error of a call the caller cancelled. With no attempt
// made (0) it is only the cancellation; after one it is a TransportError that
// says whether an answer was lost on the way.
func (c *Client) interrupted(cl call, err error, attempts int, lost bool) error {
	err = c.redactor.Error(fmt.Errorf("interrupted: %w", err))
	if attempts == 0 {
		return c.redactor.Error(fmt.Errorf("%s: %w", cl.endpoint, err))
	}
	return &TransportError{Endpoint: cl.endpoint, Attempts: attempts, Err: err, AnswerLost: lost, r: c.redactor}
}

// final turns the last failed attempt into the error the caller sees.
func (c *Client) final(cl call, out outcome, attempts int, lost bool) error {
	var apiErr *APIError
	if errors.As(out.err, &apiErr) {
		apiErr.Attempts = attempts
		return apiErr
	}
	te := &TransportError{
		Endpoint:   cl.endpoint,
		Attempts:   attempts,
		Err:        c.redactor.Error(out.err),
		Status:     out.status,
		AnswerLost: lost,
		r:          c.redactor,
	}
	// Only a gateway's answer (or a cut connection) suggests the body size;
	// a body that never left cannot have been refused for it.
	if cl.body != nil && !out.notSent && (out.status >= 500 || out.status == http.StatusRequestEntityTooLarge || out.status == 0) {
		te.BodySize = cl.body.size()
	}
	return te
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

	req, err := c.newRequest(actx, cl, u)
	if err != nil {
		return outcome{err: err}
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return c.netFailure(ctx, actx, cl, err)
	}
	defer resp.Body.Close()

	if resp.StatusCode < 200 || resp.StatusCode >= 300 {
		return c.statusFailure(ctx, actx, cl, resp)
	}
	if cl.sink != nil {
		return c.copyTo(ctx, actx, cl, resp)
	}
	return c.decodeAnswer(ctx, actx, cl, resp)
}

func (c *Client) newRequest(ctx context.Context, cl call, u string) (*http.Request, error) {
	method := cl.method
	if method == "" {
		method = http.MethodPost
	}
	var rd io.Reader
	if cl.body != nil {
		rd = cl.body.open()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return nil, fmt.Errorf("building the request for %s: %w (check api-base-url)", c.shownURL(cl, u), c.sanitize(cl, err))
	}
	if cl.body != nil {
		b := cl.body
		// The upload body is a streaming reader, which NewRequest cannot size
		// or rewind on its own; GetBody reopens it for a same-origin redirect.
		req.ContentLength = b.size()
		req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(b.open()), nil }
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", userAgent)
	return req, nil
}

// statusFailure classifies an HTTP error status. 429 and 5xx are transient
// (honouring Retry-After); other statuses are a proxy or URL problem that a
// retry will not fix.
func (c *Client) statusFailure(ctx, actx context.Context, cl call, resp *http.Response) outcome {
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	if err != nil {
		o := c.netFailure(ctx, actx, cl, err)
		o.status = resp.StatusCode
		return o
	}
	status := resp.StatusCode
	out := outcome{status: status, err: statusErr(c.redactor, status, data)}
	after, _ := httpx.RetryAfter(resp.Header, c.now())
	switch {
	case status == http.StatusTooManyRequests:
		out.transient, out.after, out.reason = true, after, "HTTP 429"
		out.err = fmt.Errorf("%w (the API is throttling this client: lower max-rps or concurrency)", out.err)
	case status >= 500:
		out.transient, out.lost, out.after, out.reason = true, true, after, fmt.Sprintf("HTTP %d", status)
	case cl.sink != nil:
		out.err = fmt.Errorf("%w (the download URL may have expired: fetch a new one)", out.err)
	default:
		out.err = fmt.Errorf("%w (check api-base-url)", out.err)
	}
	return out
}

// decodeAnswer reads and decodes an API call's JSON answer.
func (c *Client) decodeAnswer(ctx, actx context.Context, cl call, resp *http.Response) outcome {
	limit := cl.limit
	if limit <= 0 {
		limit = maxAPIResponse
	}
	if resp.ContentLength > limit {
		return outcome{status: resp.StatusCode, lost: true, err: tooLarge(cl, resp.ContentLength, limit)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		o := c.netFailure(ctx, actx, cl, err)
		o.status = resp.StatusCode
		return o
	}
	if int64(len(data)) > limit {
		return outcome{status: resp.StatusCode, lost: true, err: tooLarge(cl, -1, limit)}
	}
	r, err := decodeResponse(c.redactor, data)
	if err != nil {
		var be *bodyError
		reason := "an unreadable body"
		if errors.As(err, &be) {
			reason = be.kind
		}
		// A gateway's HTML page or a cut body: the call may have been done.
		return outcome{status: resp.StatusCode, transient: true, lost: true, reason: reason, err: err}
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

// copyTo streams a download to the call's sink, refusing more than the limit.
// A failure before the first byte is retried; after it, the sink holds part
// of the code and the caller must start over.
func (c *Client) copyTo(ctx, actx context.Context, cl call, resp *http.Response) outcome {
	status := resp.StatusCode
	if resp.ContentLength > cl.limit {
		return outcome{status: status, err: tooLarge(cl, resp.ContentLength, cl.limit)}
	}
	w := &countingWriter{w: cl.sink}
	_, err := io.Copy(w, io.LimitReader(resp.Body, cl.limit))
	switch {
	case w.err != nil:
		return outcome{status: status, written: w.n, err: fmt.Errorf("writing the code after %d bytes: %w", w.n, w.err)}
	case err != nil:
		o := c.netFailure(ctx, actx, cl, err)
		o.status, o.written = status, w.n
		if w.n > 0 {
			o.transient = false
			o.err = fmt.Errorf("the download was cut short after %d bytes (try again): %w", w.n, o.err)
		}
		return o
	}
	var one [1]byte
	if n, _ := io.ReadFull(resp.Body, one[:]); n > 0 {
		return outcome{status: status, written: w.n, err: tooLarge(cl, -1, cl.limit)}
	}
	return outcome{status: status, written: w.n}
}

type countingWriter struct {
	w   io.Writer
	n   int64
	err error
}

func (w *countingWriter) Write(p []byte) (int, error) {
	n, err := w.w.Write(p)
	w.n += int64(n)
	if err != nil {
		w.err = err
	}
	return n, err
}

// netFailure classifies a failure to get or read a response. A request the
// run's rate limit kept in was not sent: no answer can be lost, and it is
// retried only while the caller has not given up. A cancelled caller is not a
// network failure; the attempt's own timeout is. A refused redirect is final.
// A refused connection is retried, and proves the request never left.
func (c *Client) netFailure(ctx, actx context.Context, cl call, err error) outcome {
	err = c.sanitize(cl, err)
	var re *httpx.RedirectError
	var ns *httpx.NotSentError
	switch {
	case errors.As(err, &ns) && ctx.Err() != nil:
		return outcome{err: err, notSent: true}
	case errors.As(err, &ns):
		return outcome{transient: true, notSent: true, reason: "the max-rps rate limit",
			err: fmt.Errorf("the max-rps rate limit held the request past the %s timeout, so nothing was sent (raise max-rps or timeout, or lower concurrency): %w", c.timeout, err)}
	case ctx.Err() != nil:
		return outcome{err: err, lost: true}
	case errors.As(err, &re):
		return outcome{err: err}
	case actx.Err() != nil || errors.Is(err, context.DeadlineExceeded):
		return outcome{transient: true, lost: true, reason: "a timeout", err: fmt.Errorf("no response within %s (raise the timeout input if the API is slow): %w", c.timeout, err)}
	case isDialError(err):
		return outcome{transient: true, reason: "a network error", err: fmt.Errorf("network error (could not connect): %w", err)}
	}
	return outcome{transient: true, lost: true, reason: "a network error", err: fmt.Errorf("network error: %w", err)}
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

func statusErr(r *redact.Redactor, status int, data []byte) error {
	text := http.StatusText(status)
	if text == "" {
		text = "status"
	}
	if _, err := decodeResponse(r, data); err != nil {
		if status >= 500 {
			return fmt.Errorf("HTTP %d %s with a non-JSON body (gateway error)", status, text)
		}
		return fmt.Errorf("HTTP %d %s", status, text)
	}
	return fmt.Errorf("HTTP %d %s: %s", status, text, snippet(r, data))
}

func tooLarge(cl call, size, limit int64) error {
	what := "the response"
	if cl.sink != nil {
		what = "the download"
	}
	if size >= 0 {
		return fmt.Errorf("%s is %d bytes, over the limit of %d bytes", what, size, limit)
	}
	return fmt.Errorf("%s is over the limit of %d bytes", what, limit)
}
