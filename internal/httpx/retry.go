package httpx

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff is the retry policy of a vendor client: full jitter over an
// exponentially growing cap, a vendor's Retry-After honoured, and the whole
// wait bounded.
type Backoff struct {
	// Retries is how many times a transient failure is retried after the
	// first attempt.
	Retries int
	// Initial and Max bound the n-th wait: a random duration in
	// [0, min(Max, Initial*2^(n-1))).
	Initial, Max time.Duration
	// Budget bounds the sum of the waits of one call (the timeout input): a
	// Retry-After that would pass it ends the retries instead. 0: no bound.
	Budget time.Duration
	// Rand returns values in [0, 1); nil means math/rand/v2.
	Rand func() float64
	// Sleep waits; nil means Sleep.
	Sleep func(ctx context.Context, d time.Duration) error
}

// Attempt is what one try reported.
type Attempt struct {
	// Err is nil on success.
	Err error
	// Retry marks Err as transient.
	Retry bool
	// After is the vendor's own wait (Retry-After, "retry next minute"); 0
	// means the backoff decides.
	After time.Duration
	// Reason names the failure in the retry log line ("HTTP 503").
	Reason string
}

// Delay is the wait before retry n (n >= 1) when the vendor named none.
func (b Backoff) Delay(n int) time.Duration {
	d := b.Initial
	for i := 1; i < n && d < b.Max; i++ {
		d *= 2
	}
	d = min(d, max(b.Max, b.Initial))
	r := b.Rand
	if r == nil {
		r = rand.Float64
	}
	f := r()
	if f < 0 || f >= 1 {
		f = 0.5
	}
	return time.Duration(f * float64(d))
}

// Do calls try until it succeeds, fails for good, or the retries or the
// budget run out, and returns the last attempt with the number of tries. A
// context that ends during a wait returns the context's error as Err.
// onRetry, when set, hears of each retry before its wait.
func (b Backoff) Do(ctx context.Context, try func(n int) Attempt, onRetry func(a Attempt, n int, wait time.Duration)) (Attempt, int) {
	sleep := b.Sleep
	if sleep == nil {
		sleep = Sleep
	}
	var waited time.Duration
	for n := 1; ; n++ {
		a := try(n)
		if a.Err == nil || !a.Retry || n > b.Retries || ctx.Err() != nil {
			return a, n
		}
		wait := a.After
		if wait <= 0 {
			wait = b.Delay(n)
		}
		if b.Budget > 0 && waited+wait > b.Budget {
			return a, n
		}
		if onRetry != nil {
			onRetry(a, n, wait)
		}
		if err := sleep(ctx, wait); err != nil {
			return Attempt{Err: err}, n
		}
		waited += wait
	}
}
