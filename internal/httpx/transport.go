package httpx

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"golang.org/x/time/rate"
)

// RedirectError is a redirect the transport refused to follow. Its message
// names the target host (never the query, which may hold a signature).
type RedirectError struct {
	Status   int
	FromHost string
	ToHost   string
	ToScheme string
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("the server redirected (HTTP %d) from %s to %s://%s: refused, so that no token, signature or code is re-sent to another origin "+
		"(point the API URL input at the final address instead)", e.Status, e.FromHost, e.ToScheme, e.ToHost)
}

// NotSentError is a request that never left: the rate limit's wait could not
// finish (the call's deadline or the run's cancel came first). Callers use it
// to say that nothing was applied.
type NotSentError struct{ Err error }

func (e *NotSentError) Error() string { return "not sent: " + e.Err.Error() }
func (e *NotSentError) Unwrap() error { return e.Err }

// Transport guards a RoundTripper. The zero value wraps http.DefaultTransport
// with no rate limit.
type Transport struct {
	// Base does the requests; nil means http.DefaultTransport.
	Base http.RoundTripper
	// Limiter, when set, is waited on before every request: one limiter
	// shared by every client of a run is the max-rps ceiling.
	Limiter *rate.Limiter
}

// RoundTrip implements http.RoundTripper.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if t.Limiter != nil {
		if err := t.Limiter.Wait(req.Context()); err != nil {
			if req.Body != nil {
				req.Body.Close()
			}
			if ctxErr := req.Context().Err(); ctxErr != nil {
				return nil, &NotSentError{Err: ctxErr}
			}
			return nil, &NotSentError{Err: fmt.Errorf("rate limit (max-rps): %w", err)}
		}
	}
	base := t.Base
	if base == nil {
		base = http.DefaultTransport
	}
	resp, err := base.RoundTrip(req)
	if err != nil || resp.StatusCode < 300 || resp.StatusCode > 399 {
		return resp, err
	}
	loc := resp.Header.Get("Location")
	if loc == "" {
		return resp, nil
	}
	target, perr := req.URL.Parse(loc)
	if perr == nil && SameOrigin(req.URL, target) {
		return resp, nil
	}
	resp.Body.Close()
	re := &RedirectError{Status: resp.StatusCode, FromHost: req.URL.Host}
	if perr == nil {
		re.ToHost, re.ToScheme = target.Host, target.Scheme
	} else {
		re.ToHost, re.ToScheme = "(an unparsable Location)", "?"
	}
	return nil, re
}

// SameOrigin reports whether b has a's scheme, host and port.
func SameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(a.Host, b.Host)
}

// NewClient returns an http.Client over a guarded transport. Redirects within
// the origin are followed (at most 3); the rest never reach CheckRedirect,
// as the transport refuses them first.
func NewClient(t *Transport) *http.Client {
	if t == nil {
		t = &Transport{}
	}
	return &http.Client{
		Transport: t,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return fmt.Errorf("stopped after %d redirects", len(via))
			}
			if !SameOrigin(via[0].URL, req.URL) {
				return &RedirectError{Status: req.Response.StatusCode, FromHost: via[0].URL.Host, ToHost: req.URL.Host, ToScheme: req.URL.Scheme}
			}
			return nil
		},
	}
}

// NewLimiter returns the run's limiter for maxRPS calls per second, or nil
// (no limit) when maxRPS <= 0. The burst is 1: a ceiling, not an average.
// Calls are spaced 5% wider than 1/maxRPS: at exactly 1/maxRPS, call i and
// call i+maxRPS leave one second apart, and the least network jitter lands
// maxRPS+1 of them inside one second at the vendor.
func NewLimiter(maxRPS float64) *rate.Limiter {
	if maxRPS <= 0 {
		return nil
	}
	return rate.NewLimiter(rate.Limit(maxRPS/limiterMargin), 1)
}

const limiterMargin = 1.05

// RetryAfter reads a Retry-After header (seconds or an HTTP date) relative to
// now. ok is false when there is none or it cannot be read; a date in the
// past is 0.
func RetryAfter(h http.Header, now time.Time) (d time.Duration, ok bool) {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0, false
	}
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 {
			return 0, false
		}
		return time.Duration(min(n, 24*3600)) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	return max(t.Sub(now), 0), true
}

// Sleep waits d or until ctx ends.
func Sleep(ctx context.Context, d time.Duration) error {
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
