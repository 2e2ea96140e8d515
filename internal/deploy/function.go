package deploy

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/wxcloud"
)

type existence int

const (
	existsUnknown existence = iota
	existsYes
	existsNo
)

const (
	opCreate = "create"
	opUpdate = "update"
)

// envState is one env's progress through a function's deploy.
type envState struct {
	env      string
	exists   existence
	checksum string // from downloadfunction
	url      string
	probeErr error

	op       string // opCreate, opUpdate, or "" once the pair has its final result
	backup   []byte // the code that was there before, checksum-verified
	noBackup string
	// perEnvFailure is set when the upload failed in the vendor's fail list
	// (this env only), not as a whole call.
	perEnvFailure bool
	// vendorMsg is WeChat's own message for the failed upload: the fallback
	// decides on it, never on our rendered error with its hints.
	vendorMsg string
	firstErr  string // the first upload's error, kept when retried the other way

	res result.Result
}

type fnDeploy struct {
	cfg      *config.Config
	deps     *Deps
	b        Built
	mu       sync.Mutex // guards warnings
	warnings []string
}

func (f *fnDeploy) warnf(format string, args ...any) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.warnings = append(f.warnings, fmt.Sprintf(format, args...))
}

func (f *fnDeploy) logf(env, format string, args ...any) {
	f.deps.Logf("%s@%s: %s", f.b.Name, env, fmt.Sprintf(format, args...))
}

func (f *fnDeploy) run(ctx context.Context) []result.Result {
	start := f.deps.Now()
	states := make([]*envState, len(f.cfg.Envs))
	for i, env := range f.cfg.Envs {
		states[i] = &envState{env: env, res: result.Result{
			Function: f.b.Name, Env: env, SHA256: f.b.Pkg.SHA256, Size: f.b.Pkg.Size(),
		}}
	}

	if f.needProbe() {
		atOnce(states, func(st *envState) { f.probe(ctx, st) })
	}
	f.plan(states)

	if f.cfg.DryRun {
		for _, st := range states {
			if st.op != "" {
				f.finish(st, result.Planned, "would "+st.op+planNote(st))
			}
		}
		return f.collect(states, start)
	}

	if err := ctx.Err(); err != nil {
		for _, st := range pending(states) {
			f.fail(st, 0, "interrupted before upload; nothing was sent for this env")
		}
		return f.collect(states, start)
	}
	f.upload(ctx, states, false)
	if f.cfg.Mode == "auto" {
		f.upload(ctx, states, true)
	}

	if f.cfg.Invoke {
		atOnce(deployed(states), func(st *envState) { f.smoke(ctx, st) })
	}
	return f.collect(states, start)
}

func (f *fnDeploy) needProbe() bool {
	switch f.cfg.Mode {
	case "create":
		return false
	case "update":
		return f.cfg.SkipUnchanged || f.cfg.RollbackOnFailure
	}
	return true
}

// atOnce runs fn for every state at once: envs of one function are few, and
// probing them one by one would multiply the deploy's latency.
func atOnce(states []*envState, fn func(*envState)) {
	var wg sync.WaitGroup
	for _, st := range states {
		wg.Add(1)
		go func(st *envState) {
			defer wg.Done()
			fn(st)
		}(st)
	}
	wg.Wait()
}

// probe asks downloadfunction whether the function exists in the env and what
// code it runs; it also takes the rollback backup and decides "unchanged".
func (f *fnDeploy) probe(ctx context.Context, st *envState) {
	dl, err := f.deps.Client.Download(ctx, st.env, f.b.Name)
	switch {
	case err == nil:
		st.exists, st.checksum, st.url = existsYes, strings.ToLower(dl.Checksum), dl.URL
		st.res.PreviousSHA256 = st.checksum
	case wxcloud.IsNotFound(err):
		st.exists = existsNo
		return
	case errors.Is(err, wxcloud.ErrNoToken):
		// Third-party platforms may give only a component token: without an
		// access token there is no probe, and the upload's fallback decides.
		st.noBackup = "no backup: downloadfunction needs access-token (an authorizer_access_token)"
		return
	case isCode(err, 85088) || errors.Is(err, context.Canceled):
		code, msg := errText(err)
		f.fail(st, code, msg)
		return
	default:
		// The seed page says downloadfunction refuses code another platform
		// uploaded, so a failed probe does not mean "missing": plan an update
		// and let the upload fall back to a create if the function is absent.
		st.probeErr = err
		st.noBackup = "no backup: downloadfunction failed: " + err.Error()
		f.logf(st.env, "probe failed, will try an update: %v", err)
		return
	}

	local := f.b.Pkg.SHA256
	if f.cfg.SkipUnchanged && st.checksum == local {
		f.finish(st, result.Unchanged, "checksum matches the deployed code")
		return
	}
	if !f.cfg.SkipUnchanged && !f.cfg.RollbackOnFailure {
		return
	}
	// The checksum may not be computed over the zip as uploaded (API-NOTES):
	// fetch the code and compare it before deciding it changed.
	code, err := f.deps.Client.FetchCode(ctx, st.url, f.deps.MaxBackup)
	if err != nil {
		st.noBackup = "no backup: the current code could not be downloaded: " + err.Error()
		return
	}
	sum := sha256.Sum256(code)
	got := hex.EncodeToString(sum[:])
	if got == st.checksum {
		st.backup = code
	} else {
		st.noBackup = fmt.Sprintf("no backup: the downloaded code's SHA-256 %s does not match the checksum %s", short(got), short(st.checksum))
	}
	if f.cfg.SkipUnchanged {
		if got == local {
			f.finish(st, result.Unchanged, "deployed code is byte-identical")
		} else if sameFiles(code, f.b.Pkg.Zip) {
			f.finish(st, result.Unchanged, "deployed code has the same files")
		}
	}
}

func isCode(err error, code int) bool {
	var apiErr *wxcloud.APIError
	return errors.As(err, &apiErr) && apiErr.Code == code
}

// plan gives every pair still open an operation.
func (f *fnDeploy) plan(states []*envState) {
	for _, st := range pending(states) {
		switch f.cfg.Mode {
		case "create":
			st.op = opCreate
		case "update":
			st.op = opUpdate
		default:
			if st.exists == existsNo {
				st.op = opCreate
			} else {
				st.op = opUpdate
			}
		}
	}
}

func planNote(st *envState) string {
	switch {
	case st.exists == existsYes:
		return " (function exists, code differs)"
	case st.exists == existsNo:
		return " (function not found)"
	case st.probeErr != nil:
		return " (existence unknown: probe failed; a create would follow if it is missing)"
	}
	return ""
}

// upload sends one batch call per operation for every open pair. With
// fallback it handles only pairs whose first call failed because the function
// did (or did not) exist, and sends them the other way, once.
func (f *fnDeploy) upload(ctx context.Context, states []*envState, fallback bool) {
	groups := map[string][]*envState{}
	for _, st := range states {
		if fallback {
			if st.res.Action != result.Failed || st.op == "" {
				continue
			}
			switch {
			case st.op == opCreate && wxcloud.MsgIsExists(st.vendorMsg):
				st.op = opUpdate
				st.res.Detail = "function already existed: retried as update"
			case st.op == opUpdate && wxcloud.MsgIsNotFound(st.vendorMsg):
				st.op = opCreate
				st.res.Detail = "function was missing: retried as create"
			case st.op == opUpdate && st.exists == existsUnknown && st.perEnvFailure:
				// Servers word "not found" in their own way; when the probe
				// could not tell whether the function exists, a per-env
				// update failure earns one create.
				st.op = opCreate
				st.res.Detail = "update failed and existence was unknown: retried as create"
			default:
				continue
			}
			st.firstErr = st.res.Error
			if st.exists != existsYes && st.backup == nil && st.noBackup == "" {
				st.noBackup = "no backup: the function's current code was not known before the update"
			}
			st.res.Action, st.res.Error, st.res.Errcode, st.vendorMsg, st.perEnvFailure = "", "", 0, "", false
		} else if st.res.Action != "" || st.op == "" {
			continue
		}
		groups[st.op] = append(groups[st.op], st)
	}
	var wg sync.WaitGroup
	for op, group := range groups {
		wg.Add(1)
		go func(op string, group []*envState) {
			defer wg.Done()
			f.batch(ctx, op, group)
		}(op, group)
	}
	wg.Wait()
}

func (f *fnDeploy) batch(ctx context.Context, op string, group []*envState) {
	envs := make([]string, len(group))
	for i, st := range group {
		envs[i] = st.env
	}
	req := wxcloud.UploadRequest{FunctionName: f.b.Name, Envs: envs, Zip: f.b.Pkg.Zip}
	var (
		res *wxcloud.BatchResult
		err error
	)
	if op == opCreate {
		req.VPCID, req.SubnetID = f.cfg.VPCID, f.cfg.SubnetID
		res, err = f.deps.Client.BatchCreate(ctx, req)
	} else {
		res, err = f.deps.Client.BatchUpdate(ctx, req)
	}
	if err != nil {
		code, msg := errText(err)
		var transport *wxcloud.TransportError
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &transport) {
			// The request may have reached WeChat before the answer was lost.
			msg += " (the upload may or may not have been applied: check the env before redeploying)"
		}
		var apiErr *wxcloud.APIError
		vendorMsg := ""
		if errors.As(err, &apiErr) {
			vendorMsg = apiErr.Msg
		}
		for _, st := range group {
			st.vendorMsg = vendorMsg
			f.fail(st, code, msg)
		}
		return
	}
	failed := map[string]wxcloud.EnvFailure{}
	requested := map[string]bool{}
	for _, e := range envs {
		requested[e] = true
	}
	var unattributed []string
	for _, fl := range res.Failed {
		if fl.Env == "" {
			unattributed = append(unattributed, fl.Msg)
			continue
		}
		if !requested[fl.Env] {
			f.warnf("function %q: the %s call reported a failure for env %q, which was not requested: %s", f.b.Name, endpoint(op), fl.Env, fl.Msg)
			continue
		}
		failed[fl.Env] = fl
	}
	if len(unattributed) > 0 {
		// A failure WeChat did not pin on an env could be any of them:
		// claiming success for all would be a lie.
		msg := fmt.Sprintf("%s reported a failure without naming its env (%s): this env may not have been %sd; check it and redeploy",
			endpoint(op), strings.Join(unattributed, "; "), op)
		for _, st := range group {
			f.fail(st, 0, msg)
		}
		return
	}
	for _, st := range group {
		if fl, bad := failed[st.env]; bad {
			st.perEnvFailure = true
			st.vendorMsg = fl.Msg
			f.fail(st, fl.Errcode, fmt.Sprintf("%s: env %q failed: %s", endpoint(op), st.env, fl.Msg))
			continue
		}
		st.firstErr = ""
		action := result.Updated
		if op == opCreate {
			action = result.Created
		}
		f.finish(st, action, st.res.Detail)
		f.logf(st.env, "%s (sha256 %s)", action, short(f.b.Pkg.SHA256))
	}
}

func endpoint(op string) string {
	if op == opCreate {
		return "batchuploadscf"
	}
	return "batchuploadscfcode"
}

// finish records a final action. The op stays set for created/updated pairs:
// the smoke test and the rollback need it.
func (f *fnDeploy) finish(st *envState, action result.Action, detail string) {
	st.res.Action = action
	st.res.Detail = detail
	st.res.Error, st.res.Errcode = "", 0
	if action != result.Created && action != result.Updated {
		st.op = ""
	}
}

func (f *fnDeploy) fail(st *envState, code int, msg string) {
	if st.firstErr != "" && !strings.Contains(msg, st.firstErr) {
		msg = st.firstErr + "; then " + msg
	}
	st.res.Action = result.Failed
	st.res.Errcode = code
	st.res.Error = msg
	f.logf(st.env, "failed: %s", msg)
}

func (f *fnDeploy) collect(states []*envState, start time.Time) []result.Result {
	ms := f.deps.Now().Sub(start).Milliseconds()
	out := make([]result.Result, len(states))
	for i, st := range states {
		if st.res.Action == "" {
			st.res.Action = result.Failed
			st.res.Error = joinNonEmpty(": ", "not completed", st.res.Error)
		}
		if st.res.MS == 0 {
			st.res.MS = ms
		}
		out[i] = st.res
	}
	return out
}

func pending(states []*envState) []*envState {
	var out []*envState
	for _, st := range states {
		if st.res.Action == "" {
			out = append(out, st)
		}
	}
	return out
}

func deployed(states []*envState) []*envState {
	var out []*envState
	for _, st := range states {
		if st.res.Action == result.Created || st.res.Action == result.Updated {
			out = append(out, st)
		}
	}
	return out
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12]
	}
	return sum
}

// sameFiles reports whether two zips hold the same file names with the same
// contents, whatever their order, timestamps or compression.
func sameFiles(a, b []byte) bool {
	ha, err := fileHashes(a)
	if err != nil {
		return false
	}
	hb, err := fileHashes(b)
	if err != nil || len(ha) != len(hb) {
		return false
	}
	for name, h := range ha {
		if hb[name] != h {
			return false
		}
	}
	return true
}

func fileHashes(z []byte) (map[string]string, error) {
	zr, err := zip.NewReader(bytes.NewReader(z), int64(len(z)))
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, zf := range zr.File {
		if strings.HasSuffix(zf.Name, "/") {
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return nil, err
		}
		h := sha256.New()
		_, err = io.Copy(h, rc)
		rc.Close()
		if err != nil {
			return nil, err
		}
		out[zf.Name] = hex.EncodeToString(h.Sum(nil))
	}
	return out, nil
}
