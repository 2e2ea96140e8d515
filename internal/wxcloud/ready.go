package wxcloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/pack"
)

// DefaultReadyTimeout bounds WaitReady when BackendOptions.ReadyTimeout is
// not set.
const DefaultReadyTimeout = 60 * time.Second

const (
	// The polls of downloadfunction start short and double to a cap: an
	// upload WeChat applies at once is confirmed within a quarter second,
	// one it applies later costs a request every 2 s, not a busy loop.
	readyFirstWait = 250 * time.Millisecond
	readyMaxWait   = 2 * time.Second
	// maxCompared bounds the deployed code fetched to compare it with the
	// upload, as deploy bounds its backups (Deps.MaxBackup's default).
	maxCompared = 64 << 20
)

// WaitReady confirms that env now runs want: errcode 0 from a batch call is
// not proof (a call answered errcode 0 that applied nothing would otherwise
// read as deployed), and the seed pages give WeChat no readiness state, so
// it polls downloadfunction until the reported checksum is want's. The
// batch upload may apply asynchronously, so "not found", an older checksum
// and a busy answer mean "not yet" until ReadyTimeout. A checksum that
// differs is not a failure by itself (API-NOTES.md: the vendor may compute
// it over something other than the zip as uploaded): the deployed code is
// fetched, once per distinct checksum, and compared file by file.
//
// Without an access token downloadfunction cannot be called: WaitReady
// returns nil, and deploy has already warned that there is no probe. A
// downloadfunction that cannot answer from the first poll on (a transient
// failure the client already retried, errcode 0 without url or checksum) is
// the same: nothing to confirm with, so the batch call's answer stands, with
// a log line. Any other probe error (denied, no env) ends the wait with it.
func (b *Backend) WaitReady(ctx context.Context, fn, env string, want backend.Zip) error {
	if b.c.access == nil {
		return nil
	}
	w := &readyWait{b: b, fn: fn, env: env, want: want, wantSHA: strings.ToLower(want.SHA256), compared: map[string]string{}}
	return w.run(ctx)
}

// readyWait is one WaitReady: what the vendor last showed, and the
// checksums already compared (never fetched twice).
type readyWait struct {
	b       *Backend
	fn, env string
	want    backend.Zip
	wantSHA string

	last     backend.Deployed // the last answer; ExistsUnknown before any
	busy     error            // the last answer was a busy error
	answered bool             // downloadfunction has answered readably
	compared map[string]string
}

func (w *readyWait) run(ctx context.Context) error {
	c := w.b.c
	deadline := c.now().Add(w.b.opts.ReadyTimeout)
	wait := readyFirstWait
	for {
		if err := ctx.Err(); err != nil {
			return w.cancelled(err)
		}
		if done, err := w.check(ctx); done || err != nil {
			return err
		}
		now := c.now()
		if !now.Before(deadline) {
			return w.timedOut()
		}
		if err := c.sleep(ctx, min(wait, deadline.Sub(now))); err != nil {
			return w.cancelled(err)
		}
		wait = min(wait*2, readyMaxWait)
	}
}

// check probes once. It returns done with a nil error when env runs want,
// and an error that ends the wait; neither means "not yet".
func (w *readyWait) check(ctx context.Context) (bool, error) {
	d, err := w.b.Probe(ctx, w.fn, w.env)
	switch {
	case ctx.Err() != nil:
		return true, w.cancelled(ctx.Err())
	case err != nil && probeUnavailable(err) && !w.answered:
		// downloadfunction cannot tell, and the client has already retried:
		// like a missing access token, there is nothing to confirm with,
		// and the batch call's own answer stands.
		w.b.c.log("%s@%s: downloadfunction could not confirm the upload, reporting the batch call's answer: %v", w.fn, w.env, err)
		return true, nil
	case err != nil && (probeUnavailable(err) || backend.KindOf(err) == backend.KindBusy):
		// "function is updating" is the upload being applied (an answer
		// about the function); a probe that answered before and fails now
		// is a blip.
		w.busy = err
		w.answered = w.answered || !probeUnavailable(err)
		return false, nil
	case err != nil:
		// Denied, no env, an answer that is not the function's: polling
		// again will not change it.
		return true, &backend.Error{K: backend.KindOf(err),
			Msg: fmt.Sprintf("confirming the upload of %q to env %q", w.fn, w.env), Err: err}
	}
	w.last, w.busy, w.answered = d, nil, true
	switch {
	case d.Exists != backend.Exists:
		return false, nil
	case d.SHA256 != "" && d.SHA256 == w.wantSHA:
		return true, nil
	}
	return w.compare(ctx, d)
}

// compare decides a checksum that is not want's by the code itself, once per
// checksum: the same files are want deployed, checksummed another way.
func (w *readyWait) compare(ctx context.Context, d backend.Deployed) (bool, error) {
	if _, seen := w.compared[d.SHA256]; seen {
		return false, nil
	}
	same, err := w.b.sameCode(ctx, d, w.want)
	switch {
	case ctx.Err() != nil:
		return true, w.cancelled(ctx.Err())
	case err != nil:
		w.compared[d.SHA256] = fmt.Sprintf("its code could not be compared with the upload: %v", err)
	case same:
		return true, nil
	default:
		w.compared[d.SHA256] = "its files differ from the upload's"
	}
	return false, nil
}

// probeUnavailable reports whether err says downloadfunction cannot answer
// (after the client's retries: a transient errcode, no usable answer, an
// errcode 0 without url or checksum), rather than anything about the
// function.
func probeUnavailable(err error) bool {
	if errors.Is(err, ErrIncomplete) {
		return true
	}
	var ae *APIError
	if errors.As(err, &ae) {
		return ae.Transient()
	}
	k := backend.KindOf(err)
	return k == backend.KindUnreachable || k == backend.KindBusy
}

func (w *readyWait) cancelled(err error) error {
	return &backend.Error{K: backend.KindCancelled,
		Msg: fmt.Sprintf("confirming the upload of %q to env %q: interrupted", w.fn, w.env), Err: err}
}

// timedOut says what the vendor answered and what it still shows.
func (w *readyWait) timedOut() error {
	call := "the batch upload"
	if v, ok := w.b.uploads.Load(uploadKey(w.fn, w.env)); ok {
		call = v.(string)
	}
	var still string
	switch {
	case w.busy != nil:
		still = fmt.Sprintf("downloadfunction still answers %v", w.busy)
	case w.last.Exists != backend.Exists:
		still = "downloadfunction reports no function"
	default:
		still = fmt.Sprintf("downloadfunction reports still the checksum %s, not the uploaded code's %s", orNone(w.last.SHA256), orNone(w.wantSHA))
		if why := w.compared[w.last.SHA256]; why != "" {
			still += " (" + why + ")"
		}
	}
	return &backend.Error{K: backend.KindDeployFailed, Msg: fmt.Sprintf(
		"WeChat answered errcode 0 for %s of %q to env %q, but after %s %s (the upload may still apply later: check the function in the cloud console, then run again)",
		call, w.fn, w.env, seconds(w.b.opts.ReadyTimeout), still)}
}

func orNone(sha string) string {
	if sha == "" {
		return "(none)"
	}
	return sha
}

// seconds writes d the way the messages do: "60 s", "0.5 s".
func seconds(d time.Duration) string {
	return fmt.Sprintf("%g s", d.Seconds())
}

// sameCode fetches the code d points at and compares its files with want's.
// A platform's envs mostly report the same checksum for the same upload, so
// a verdict is kept per (checksum, upload) and concurrent waits for the same
// pair share one fetch; a failed fetch is not kept, another env may succeed.
func (b *Backend) sameCode(ctx context.Context, d backend.Deployed, want backend.Zip) (bool, error) {
	key := ""
	if d.SHA256 != "" && want.SHA256 != "" {
		key = strings.ToLower(want.SHA256) + " " + d.SHA256
		if v, ok := b.verdicts.Load(key); ok {
			return v.(bool), nil
		}
	}
	if key == "" {
		return b.compareCode(ctx, d, want)
	}
	ch := b.fetches.DoChan(key, func() (any, error) {
		same, err := b.compareCode(ctx, d, want)
		if err == nil {
			b.verdicts.Store(key, same)
		}
		return same, err
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			return false, r.Err
		}
		return r.Val.(bool), nil
	case <-ctx.Done():
		return false, ctx.Err()
	}
}

func (b *Backend) compareCode(ctx context.Context, d backend.Deployed, want backend.Zip) (bool, error) {
	var buf bytes.Buffer
	n, err := b.FetchCode(ctx, d, &buf, maxCompared)
	if err != nil {
		return false, err
	}
	if want.R == nil {
		return false, fmt.Errorf("the uploaded code is not at hand to compare")
	}
	return pack.SameContent(bytes.NewReader(buf.Bytes()), n, want.R, want.Size)
}

// uploadKey names a function in an env in Backend.uploads.
func uploadKey(fn, env string) string { return fn + "\x00" + env }

// readyState is what WaitReady shares across calls: which batch call last
// succeeded per function and env (for its message), and code comparisons.
type readyState struct {
	uploads  sync.Map // uploadKey -> call name
	verdicts sync.Map // want sha + " " + deployed checksum -> bool
	fetches  singleflight.Group
}
