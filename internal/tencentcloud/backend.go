package tencentcloud

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/httpx"
)

var (
	_ backend.Backend    = (*Backend)(nil)
	_ backend.Configurer = (*Backend)(nil)
)

// Name implements backend.Backend.
func (b *Backend) Name() string { return "tencentcloud" }

// CallName implements backend.Backend.
func (b *Backend) CallName(op backend.Op) string {
	if op == backend.Create {
		return "CreateFunction"
	}
	return "UpdateFunctionCode"
}

func (b *Backend) getFunction(ctx context.Context, fn, env string) (*getFunctionResponse, error) {
	var out getFunctionResponse
	if err := b.do(ctx, scfCall("GetFunction", fn, env, false, mustParams(functionRef{fn, env})), &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Probe implements backend.Backend: GetFunction for existence and status,
// then GetFunctionAddress for the code's link and checksum. When the
// function exists but its address cannot be read, the Deployed returned
// with the error still says so.
func (b *Backend) Probe(ctx context.Context, fn, env string) (backend.Deployed, error) {
	f, err := b.getFunction(ctx, fn, env)
	if isNotFound(err) {
		return backend.Deployed{Exists: backend.Missing}, nil
	}
	if err != nil {
		return backend.Deployed{}, err
	}
	d := backend.Deployed{Exists: backend.Exists, Status: f.Status}
	b.remember(fn, env, f)
	var addr getFunctionAddressResponse
	if err := b.do(ctx, scfCall("GetFunctionAddress", fn, env, false, mustParams(functionRef{fn, env})), &addr); err != nil {
		if isNotFound(err) {
			// deleted between the two calls
			return backend.Deployed{Exists: backend.Missing}, nil
		}
		return d, err
	}
	d.CodeURL = addr.Url
	if addr.CodeSha256 != "" {
		if sum, ok := normalizeSHA256(addr.CodeSha256); ok {
			d.SHA256 = sum
		} else {
			b.log("GetFunctionAddress %q in env %q: CodeSha256 %q is neither hex nor base64 of a SHA-256; comparing the code itself", fn, env, snippet(b.r, addr.CodeSha256))
		}
	}
	return d, nil
}

const codeDownload = "code download"

// FetchCode implements backend.Backend: an unauthenticated GET of the
// pre-signed COS link GetFunctionAddress gave (as the CLI downloads code),
// through the guarded transport. Errors name the link without its query,
// which holds the signature. A failed attempt is retried only while nothing
// has been written to w.
func (b *Backend) FetchCode(ctx context.Context, d backend.Deployed, w io.Writer, limit int64) (int64, error) {
	if d.CodeURL == "" {
		return 0, &Error{Action: codeDownload, K: backend.KindOther, Message: "no code link", Hint: "GetFunctionAddress gave no Url for this function", r: b.r}
	}
	var written int64
	bo := b.backoff()
	a, n := bo.Do(ctx, func(int) httpx.Attempt {
		nw, a := b.download(ctx, d.CodeURL, w, limit)
		written += nw
		if nw > 0 {
			a.Retry = false
		}
		return a
	}, func(a httpx.Attempt, n int, wait time.Duration) {
		b.log("%s %s: %s; retry %d of %d in %s", codeDownload, safeURL(d.CodeURL), a.Reason, n, bo.Retries, wait.Round(time.Millisecond))
	})
	if a.Err == nil {
		return written, nil
	}
	e := &Error{Action: codeDownload, Attempts: n, Message: a.Err.Error(), cause: a.Err, r: b.r}
	var se *statusError
	var le *limitError
	switch {
	case ctx.Err() != nil:
		e.K, e.cause = backend.KindCancelled, ctx.Err()
	case errors.As(a.Err, &le):
		e.K, e.Hint = backend.KindOther, "the deployed code is larger than the size limit (size-limit)"
	case errors.As(a.Err, &se) && se.status == http.StatusForbidden:
		e.K, e.Hint = backend.KindUnreachable, "the link from GetFunctionAddress was refused; it may have expired: probe again"
	default:
		e.K = backend.KindUnreachable
	}
	return written, e
}

// limitError is code larger than the caller's limit.
type limitError struct{ limit int64 }

func (e *limitError) Error() string { return fmt.Sprintf("more than %d bytes", e.limit) }

// download GETs u into w once, refusing more than limit bytes.
func (b *Backend) download(ctx context.Context, u string, w io.Writer, limit int64) (int64, httpx.Attempt) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, httpx.Attempt{Err: fmt.Errorf("GET %s: %v", safeURL(u), err)}
	}
	resp, err := b.httpClient().Do(req)
	if err != nil {
		return 0, httpx.Attempt{Err: transportError(u, err), Retry: retryableGet(err), Reason: "network error"}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		retry := resp.StatusCode >= 500 || resp.StatusCode == http.StatusTooManyRequests
		return 0, httpx.Attempt{Err: &statusError{status: resp.StatusCode, url: safeURL(u)}, Retry: retry, Reason: fmt.Sprintf("HTTP %d", resp.StatusCode)}
	}
	if resp.ContentLength > limit {
		return 0, httpx.Attempt{Err: fmt.Errorf("GET %s: %w (Content-Length %d)", safeURL(u), &limitError{limit}, resp.ContentLength)}
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, limit))
	if err != nil {
		return n, httpx.Attempt{Err: transportError(u, err), Retry: true, Reason: "network error"}
	}
	// One byte more means the code is over the limit: refuse it rather
	// than hand on a cut zip.
	if m, _ := io.CopyN(io.Discard, resp.Body, 1); m > 0 {
		return n, httpx.Attempt{Err: fmt.Errorf("GET %s: %w", safeURL(u), &limitError{limit})}
	}
	return n, httpx.Attempt{}
}

// Upload implements backend.Backend: one CreateFunction or
// UpdateFunctionCode per env, concurrently, within the UploadBudget of zip
// bytes in flight across the backend. Every env reads the package itself,
// inside its share of the budget, so memory follows the budget.
func (b *Backend) Upload(ctx context.Context, req backend.UploadRequest) []backend.Outcome {
	out := make([]backend.Outcome, len(req.Envs))
	var wg sync.WaitGroup
	for i, env := range req.Envs {
		wg.Go(func() { out[i] = b.uploadOne(ctx, req, env) })
	}
	wg.Wait()
	return out
}

func (b *Backend) uploadOne(ctx context.Context, req backend.UploadRequest, env string) backend.Outcome {
	action := b.CallName(req.Op)
	b.forget(req.Function, env)
	weight := min(max(req.Zip.Size, minUploadWeight), b.opts.UploadBudget)
	if err := b.uploads.Acquire(ctx, weight); err != nil {
		return backend.Outcome{Env: env, Err: &Error{Action: action, Function: req.Function, Env: env, K: backend.KindCancelled, cause: err, r: b.r}}
	}
	defer b.uploads.Release(weight)
	zip64, err := encodeZip(req.Zip)
	if err != nil {
		return backend.Outcome{Env: env, Err: &Error{Action: action, Function: req.Function, Env: env, K: backend.KindOther, Message: err.Error(), Hint: "pack the function again", r: b.r}}
	}
	switch req.Op {
	case backend.Create:
		err = b.createFunction(ctx, req.Function, env, zip64, req.Settings, b.installDependency(req.Settings))
	case backend.Update:
		err = b.updateFunctionCode(ctx, req.Function, env, zip64, req.Settings)
	default:
		return backend.Outcome{Env: env, Err: fmt.Errorf("tencentcloud: unknown upload operation %q", req.Op)}
	}
	// Every call here is about this env alone.
	return backend.Outcome{Env: env, Err: err, PerEnv: true}
}

func (b *Backend) handler(s *backend.Settings) string {
	if s != nil && s.Handler != "" {
		return s.Handler
	}
	return b.opts.Handler
}

func (b *Backend) runtime(s *backend.Settings) string {
	if s != nil && s.Runtime != "" {
		return s.Runtime
	}
	return b.opts.Runtime
}

func (b *Backend) installDependency(s *backend.Settings) string {
	v := b.opts.InstallDependency
	if s != nil && s.InstallDependency != nil {
		v = *s.InstallDependency
	}
	return boolFlag(v)
}

func boolFlag(v bool) string {
	if v {
		return "TRUE"
	}
	return "FALSE"
}

// envOf is the full variable set, sorted so that the request is stable.
func envOf(vars map[string]string) *environment {
	e := &environment{Variables: []variable{}}
	for _, k := range sortedKeys(vars) {
		e.Variables = append(e.Variables, variable{Key: k, Value: vars[k]})
	}
	return e
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// createFunction sends CreateFunction with the code as Code.ZipFile.
func (b *Backend) createFunction(ctx context.Context, fn, env, zip64 string, s *backend.Settings, installDep string) error {
	r := createFunctionRequest{
		functionRef:       functionRef{fn, env},
		Handler:           b.handler(s),
		Runtime:           b.runtime(s),
		Role:              tcbRole,
		InstallDependency: installDep,
	}
	if b.opts.VPCID != "" {
		r.VpcConfig = &vpcConfig{VpcId: b.opts.VPCID, SubnetId: b.opts.SubnetID}
	}
	if s != nil {
		r.Timeout, r.MemorySize = s.Timeout, s.MemorySize
		if len(s.EnvVars) > 0 {
			r.Environment = envOf(s.EnvVars)
		}
	}
	p := mustParams(r)
	p["Code"] = map[string]any{"ZipFile": zip64}
	return b.do(ctx, scfCall("CreateFunction", fn, env, true, p), &emptyResponse{})
}

// updateFunctionCode sends UpdateFunctionCode with the code as a top-level
// ZipFile and the handler, which SCF changes only together with code.
func (b *Backend) updateFunctionCode(ctx context.Context, fn, env, zip64 string, s *backend.Settings) error {
	p := mustParams(updateFunctionCodeRequest{functionRef: functionRef{fn, env}, Handler: b.handler(s), InstallDependency: b.installDependency(s)})
	p["ZipFile"] = zip64
	return b.writeWhenSettled(ctx, scfCall("UpdateFunctionCode", fn, env, true, p), &emptyResponse{})
}

// writeWhenSettled sends a write to an existing function; when the
// function is busy (still Creating or Updating from the last deploy), it
// waits until the function settles and sends the write again. The wait is
// a wait, not a blind retry, so it happens at least once even with retries
// set to 0; each is bounded by ReadyTimeout.
func (b *Backend) writeWhenSettled(ctx context.Context, c call, out response) error {
	tries := max(b.opts.Retries, 1)
	for i := 1; ; i++ {
		err := b.do(ctx, c, out)
		if err == nil || !isBusyCode(codeOf(err)) || i > tries {
			return err
		}
		b.log("%s%s: the function is busy (%s); waiting until it is no longer Creating or Updating, then sending it again (%d of %d)", c.action, about(c.fn, c.env), codeOf(err), i, tries)
		if err := b.waitSettled(ctx, c); err != nil {
			return err
		}
	}
}

func isTransitional(status string) bool {
	switch status {
	case statusCreating, statusUpdating, statusPublishing:
		return true
	}
	return false
}

// waitSettled waits a poll interval, then until the function is no longer
// in a transitional state.
func (b *Backend) waitSettled(ctx context.Context, c call) error {
	if err := b.opts.Sleep(ctx, b.opts.PollInterval); err != nil {
		return &Error{Action: c.action, Function: c.fn, Env: c.env, K: backend.KindCancelled, cause: err, r: b.r}
	}
	return b.poll(ctx, c.action, c.fn, c.env, func(f *getFunctionResponse) (bool, error) {
		return !isTransitional(f.Status), nil
	})
}

// poll calls GetFunction until done says stop, within ReadyTimeout. The
// first waits are short (a quarter of PollInterval, then doubling up to it):
// most updates settle within a second or two, and a fixed 1 s period would
// add most of a second to every deploy.
func (b *Backend) poll(ctx context.Context, action, fn, env string, done func(*getFunctionResponse) (bool, error)) error {
	deadline := b.opts.Now().Add(b.opts.ReadyTimeout)
	wait := max(b.opts.PollInterval/4, time.Millisecond)
	for {
		f, err := b.getFunction(ctx, fn, env)
		if err != nil {
			return err
		}
		if stop, err := done(f); stop || err != nil {
			return err
		}
		if !b.opts.Now().Before(deadline) {
			return &Error{Action: action, Function: fn, Env: env, K: backend.KindBusy, RequestID: f.RequestId,
				Message: fmt.Sprintf("the function is still %s after %s", f.Status, b.opts.ReadyTimeout),
				Hint:    "it may still finish: check it in the CloudBase console, then run again", r: b.r}
		}
		if err := b.opts.Sleep(ctx, wait); err != nil {
			return &Error{Action: action, Function: fn, Env: env, K: backend.KindCancelled, cause: err, r: b.r}
		}
		wait = min(wait*2, b.opts.PollInterval)
	}
}

// WaitReady implements backend.Backend: GetFunction until Active. A
// CreateFailed or UpdateFailed function is a failed deploy, with the
// vendor's StatusReasons: a failed cloud npm install shows up here.
func (b *Backend) WaitReady(ctx context.Context, fn, env string, _ backend.Zip) error {
	return b.poll(ctx, "WaitReady", fn, env, func(f *getFunctionResponse) (bool, error) {
		switch {
		case f.Status == statusActive:
			b.remember(fn, env, f)
			return true, nil
		case strings.HasSuffix(f.Status, "Failed"):
			return true, b.deployFailed(fn, env, f)
		case f.Status == statusDeleting:
			return true, &Error{Action: "WaitReady", Function: fn, Env: env, K: backend.KindOther, RequestID: f.RequestId,
				Message: "the function is being deleted", Hint: "someone deleted it while it was deployed: run again", r: b.r}
		case f.Status == "":
			return true, &Error{Action: "WaitReady", Function: fn, Env: env, K: backend.KindUnreachable, RequestID: f.RequestId,
				Message: "GetFunction answered without a Status", Hint: "check tencentcloud-api-url", r: b.r}
		}
		// Creating, Updating, Publishing, and any state not known yet.
		return false, nil
	})
}

func (b *Backend) deployFailed(fn, env string, f *getFunctionResponse) error {
	var reasons []string
	for _, r := range f.StatusReasons {
		reasons = append(reasons, fmt.Sprintf("%s %q", r.ErrorCode, r.ErrorMessage))
	}
	if len(reasons) == 0 && f.StatusDesc != "" {
		reasons = append(reasons, fmt.Sprintf("%q", f.StatusDesc))
	}
	msg := "the function is " + f.Status
	if len(reasons) > 0 {
		msg += ": " + strings.Join(reasons, "; ")
	}
	hint := "Tencent Cloud accepted the code but could not deploy it"
	if f.InstallDependency == "TRUE" {
		hint += "; with install-dependency on, a failed cloud npm install ends here: check package.json (and its lock file), or install locally and set install-dependency: false"
	}
	return &Error{Action: "WaitReady", Function: fn, Env: env, K: backend.KindDeployFailed, RequestID: f.RequestId, Message: msg, Hint: hint, r: b.r}
}

// Invoke implements backend.Backend: a synchronous Invoke with the log
// tail. A function that is not Active answers a busy code (KindBusy), which
// the caller can wait out. Invoke is not retried unless the request was
// certainly not run (throttled, never sent): a function run has effects.
func (b *Backend) Invoke(ctx context.Context, req backend.InvokeRequest) (backend.InvokeResult, error) {
	ev := req.Event
	if len(ev) == 0 {
		ev = []byte("{}")
	}
	if !json.Valid(ev) {
		return backend.InvokeResult{}, &Error{Action: "Invoke", Function: req.Function, Env: req.Env, K: backend.KindOther, Message: "the event is not JSON", Hint: "invoke-data must be a JSON object", r: b.r}
	}
	p := mustParams(invokeRequest{functionRef: functionRef{req.Function, req.Env}, LogType: "Tail", ClientContext: string(ev)})
	var out invokeResponse
	if err := b.do(ctx, scfCall("Invoke", req.Function, req.Env, true, p), &out); err != nil {
		return backend.InvokeResult{}, err
	}
	r := out.Result
	if r == nil {
		return backend.InvokeResult{}, &Error{Action: "Invoke", Function: req.Function, Env: req.Env, K: backend.KindUnreachable, RequestID: out.RequestId,
			Message: "the answer has no Result", Hint: "check tencentcloud-api-url", Write: true, r: b.r}
	}
	res := backend.InvokeResult{RespData: r.RetMsg, Log: r.Log, Duration: time.Duration(r.Duration * float64(time.Millisecond))}
	if r.InvokeResult != 0 {
		res.FunctionError = r.ErrMsg
		if res.FunctionError == "" {
			res.FunctionError = fmt.Sprintf("InvokeResult %d", r.InvokeResult)
		}
	}
	return res, nil
}

// CreateEmpty implements backend.Backend: CreateFunction with a placeholder
// built in memory, the file and export the handler names (index.js
// exporting main, returning {}), since CreateFunction requires code.
// InstallDependency is FALSE: the placeholder has no package.json, and
// every later code update sends the real setting.
func (b *Backend) CreateEmpty(ctx context.Context, fn, env string) error {
	z, err := placeholderZip(b.opts.Handler)
	if err != nil {
		return err
	}
	return b.createFunction(ctx, fn, env, base64.StdEncoding.EncodeToString(z), nil, boolFlag(false))
}

// recentKey names one function in one env.
type recentKey struct{ fn, env string }

// remember keeps a GetFunction answer of an Active function for the
// Configure that follows (after the wait, or for an unchanged function after
// the probe), which would otherwise read the same state again: one call per
// pair, at max-rps, on every deploy.
func (b *Backend) remember(fn, env string, f *getFunctionResponse) {
	if f.Status == statusActive {
		b.recent.Store(recentKey{fn, env}, f)
	}
}

// forget drops what remember kept, before anything changes the function.
func (b *Backend) forget(fn, env string) { b.recent.Delete(recentKey{fn, env}) }

// recentFunction returns (once) what remember kept.
func (b *Backend) recentFunction(fn, env string) (*getFunctionResponse, bool) {
	v, ok := b.recent.LoadAndDelete(recentKey{fn, env})
	if !ok {
		return nil, false
	}
	return v.(*getFunctionResponse), true
}
