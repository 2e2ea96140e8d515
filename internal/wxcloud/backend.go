package wxcloud

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
)

// DefaultEnvsPerCall is how many envs one batch call carries when
// envs-per-call is not set. The seed pages document no maximum. Two things
// pull against each other: the body is the whole zip once per call whatever
// the number of envs, so bigger batches send fewer copies of it (120 envs of
// a 20 MiB package are 3 bodies of 27 MiB rather than 120); but one answer
// that cannot be read, or one errcode, fails every env of its call. 50 keeps
// a large fleet to a handful of uploads while a bad answer costs at most 50
// envs a retry.
const DefaultEnvsPerCall = 50

// callsAtOnce bounds the batch calls of one upload in flight together: each
// carries the whole zip, so more at once mostly competes for the runner's
// uplink; deploy's own concurrency and max-rps bound the rest.
const callsAtOnce = 4

// BackendOptions configures a Backend.
type BackendOptions struct {
	// VPCID and SubnetID are sent by batch create when set.
	VPCID, SubnetID string
	// EnvsPerCall is the batch size of batchuploadscf / batchuploadscfcode;
	// 0 or less means DefaultEnvsPerCall.
	EnvsPerCall int
	// BatchInvoke invokes with the component token: a platform deploying
	// "on behalf, in batch", per the invokecloudfunction page. Otherwise
	// invoke uses the access token.
	BatchInvoke bool
	// ReadyTimeout bounds WaitReady's polling of downloadfunction; 0 or
	// less means DefaultReadyTimeout. The clock and the wait between polls
	// are the client's (WithClock, WithSleep).
	ReadyTimeout time.Duration
}

// Backend is WeChat's third-party-platform cloud API as deploy uses it
// (backend.Backend). It is not a backend.Configurer: the batch calls set
// code only, and the seed pages have no call for settings or triggers.
type Backend struct {
	c    *Client
	opts BackendOptions
	readyState
}

var _ backend.Backend = (*Backend)(nil)

// NewBackend returns the backend over c, whose token sources decide which
// calls can be made.
func NewBackend(c *Client, opts BackendOptions) *Backend {
	if opts.EnvsPerCall <= 0 {
		opts.EnvsPerCall = DefaultEnvsPerCall
	}
	if opts.ReadyTimeout <= 0 {
		opts.ReadyTimeout = DefaultReadyTimeout
	}
	return &Backend{c: c, opts: opts}
}

// Name implements backend.Backend.
func (b *Backend) Name() string { return "wechat" }

// CallName implements backend.Backend.
func (b *Backend) CallName(op backend.Op) string {
	if op == backend.Create {
		return "batchuploadscf"
	}
	return "batchuploadscfcode"
}

// Probe asks downloadfunction for the function's checksum and code URL.
// Only the not-found wording means Missing: the downloadfunction page says
// it also refuses code another platform uploaded, so any other failure
// leaves existence unknown.
func (b *Backend) Probe(ctx context.Context, fn, env string) (backend.Deployed, error) {
	res, err := b.c.Download(ctx, env, fn)
	switch {
	case err == nil:
		return deployed(res), nil
	case errors.Is(err, ErrIncomplete) && res != nil && (res.URL != "" || res.Checksum != ""):
		// A function made by createfunction has no code, hence no
		// checksum; errcode 0 with either field still says it exists.
		return deployed(res), nil
	case errors.Is(err, ErrNoToken):
		return backend.Deployed{}, &backend.Error{
			K:   backend.KindOther,
			Msg: fmt.Sprintf("downloadfunction: cannot probe %q in env %q, so there is no skip-unchanged and no rollback backup", fn, env),
			Err: err,
		}
	case backend.KindOf(err) == backend.KindNotFound:
		return backend.Deployed{Exists: backend.Missing}, nil
	}
	return backend.Deployed{}, err
}

func deployed(res *DownloadResult) backend.Deployed {
	return backend.Deployed{Exists: backend.Exists, SHA256: strings.ToLower(res.Checksum), CodeURL: res.URL}
}

// FetchCode streams the code at d.CodeURL to w.
func (b *Backend) FetchCode(ctx context.Context, d backend.Deployed, w io.Writer, limit int64) (int64, error) {
	if d.CodeURL == "" {
		return 0, &backend.Error{K: backend.KindOther, Msg: "fetching the function code: downloadfunction gave no download URL"}
	}
	return b.c.FetchCode(ctx, d.CodeURL, w, limit)
}

// Upload sends req.Envs in batches of EnvsPerCall, a few calls at once, and
// returns one Outcome per env in request order. How each answer is read is
// Client.batch's: one reading for every upload, rollbacks included.
func (b *Backend) Upload(ctx context.Context, req backend.UploadRequest) []backend.Outcome {
	out := make([]backend.Outcome, len(req.Envs))
	for i, env := range req.Envs {
		out[i].Env = env
	}
	if req.Op != backend.Create && req.Op != backend.Update {
		err := fmt.Errorf("upload of %q: unknown operation %q (want create or update)", req.Function, req.Op)
		for i := range out {
			out[i].Err = err
		}
		return out
	}
	var g errgroup.Group
	g.SetLimit(callsAtOnce)
	for lo := 0; lo < len(out); lo += b.opts.EnvsPerCall {
		part := out[lo:min(lo+b.opts.EnvsPerCall, len(out))]
		g.Go(func() error {
			b.uploadCall(ctx, req, part)
			return nil
		})
	}
	_ = g.Wait() // the calls report through their outcomes, never an error
	return out
}

// uploadCall sends one batch call for the envs of part and fills in their
// outcomes (part is this call's own slice of the result).
func (b *Backend) uploadCall(ctx context.Context, req backend.UploadRequest, part []backend.Outcome) {
	creq := UploadRequest{FunctionName: req.Function, Envs: make([]string, len(part)), Zip: req.Zip}
	for i := range part {
		creq.Envs[i] = part[i].Env
	}
	var res *BatchResult
	var err error
	if req.Op == backend.Create {
		creq.VPCID, creq.SubnetID = b.opts.VPCID, b.opts.SubnetID
		res, err = b.c.BatchCreate(ctx, creq)
	} else {
		res, err = b.c.BatchUpdate(ctx, creq)
	}
	if err != nil {
		for i := range part {
			part[i].Err = err
		}
		return
	}
	failed := make(map[string]EnvFailure, len(res.Failed))
	for _, f := range res.Failed {
		failed[f.Env] = f
	}
	for i := range part {
		if f, ok := failed[part[i].Env]; ok {
			part[i].Err, part[i].PerEnv = f, true
			continue
		}
		b.uploads.Store(uploadKey(req.Function, part[i].Env), b.CallName(req.Op))
	}
}

// Invoke calls invokecloudfunction with the component token when
// BatchInvoke, else the access token. A function that threw comes back with
// errcode 0 and the error inside RespData: deploy reads it there.
func (b *Backend) Invoke(ctx context.Context, req backend.InvokeRequest) (backend.InvokeResult, error) {
	res, err := b.c.Invoke(ctx, InvokeRequest{Env: req.Env, Name: req.Function, Data: req.Event, Batch: b.opts.BatchInvoke})
	var out backend.InvokeResult
	if res != nil {
		out.RespData = res.RespData
	}
	return out, err
}

// CreateEmpty calls createfunction (access token).
func (b *Backend) CreateEmpty(ctx context.Context, fn, env string) error {
	return b.c.CreateFunction(ctx, env, fn)
}
