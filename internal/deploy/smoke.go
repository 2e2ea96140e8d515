package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/wxcloud"
)

// smoke invokes a just-deployed function and, when it fails, rolls the env back.
func (f *fnDeploy) smoke(ctx context.Context, st *envState) {
	inv := invokeUntilReady(ctx, f.deps, wxcloud.InvokeRequest{
		Env: st.env, Name: f.b.Name, Data: f.cfg.InvokeData, Batch: batchMode(f.cfg),
	}, f.cfg.InvokeExpect)
	st.res.Invoke = inv
	if ctx.Err() != nil && !inv.OK {
		// The job was cancelled, not the function proven broken: the new code
		// is in place, untested, and a rollback now could not be finished.
		f.fail(st, 0, fmt.Sprintf("interrupted during the smoke test: the new code was %s but not tested; no rollback was attempted", st.res.Action))
		return
	}
	if inv.OK {
		f.logf(st.env, "smoke test passed in %d ms", inv.MS)
		return
	}
	f.logf(st.env, "smoke test failed: %s", inv.Error)
	smokeErr := "smoke test failed: " + inv.Error
	if !f.cfg.RollbackOnFailure {
		f.fail(st, 0, smokeErr)
		return
	}
	f.rollback(ctx, st, smokeErr)
}

// batchMode: a third-party platform deploying "on behalf, in batch" invokes
// with the component token (invokecloudfunction seed page).
func batchMode(cfg *config.Config) bool {
	return cfg.ComponentAccessToken != "" || cfg.ComponentAppID != ""
}

// rollback re-uploads the code that was there before the update.
func (f *fnDeploy) rollback(ctx context.Context, st *envState, smokeErr string) {
	switch {
	case st.op == opCreate:
		f.fail(st, 0, smokeErr+"; not rolled back: the function did not exist before this deploy")
		return
	case st.backup == nil:
		why := st.noBackup
		if why == "" {
			why = "no backup was taken"
		}
		f.fail(st, 0, smokeErr+"; not rolled back: "+why)
		return
	}
	res, err := f.deps.Client.BatchUpdate(ctx, wxcloud.UploadRequest{FunctionName: f.b.Name, Envs: []string{st.env}, Zip: st.backup})
	if err == nil && res != nil {
		for _, fl := range res.Failed {
			if fl.Env == st.env {
				err = fmt.Errorf("batchuploadscfcode: env %q failed: %s", st.env, fl.Msg)
			}
		}
	}
	if err != nil {
		code, msg := errText(err)
		var transport *wxcloud.TransportError
		if ctx.Err() != nil || errors.As(err, &transport) {
			f.fail(st, code, smokeErr+"; the rollback upload was cut short and may or may not have been applied: check the env: "+msg)
			return
		}
		f.fail(st, code, smokeErr+"; ROLLBACK FAILED, the env runs the new, failing code: "+msg)
		return
	}
	st.res.Action = result.RolledBack
	st.res.Error = smokeErr
	st.res.Detail = "restored the previous code (sha256 " + short(st.checksum) + ")"
	f.logf(st.env, "rolled back to sha256 %s", short(st.checksum))
}

// invokeUntilReady invokes and checks the response. A function just created or
// updated may not be invocable yet, so not-ready and transient errors are
// retried with backoff until deps.ReadyWait has passed.
func invokeUntilReady(ctx context.Context, deps *Deps, req wxcloud.InvokeRequest, expect string) *result.Invoke {
	deadline := deps.Now().Add(deps.ReadyWait)
	backoff := 500 * time.Millisecond
	for {
		t0 := deps.Now()
		res, err := deps.Client.Invoke(ctx, req)
		ms := deps.Now().Sub(t0).Milliseconds()
		if err == nil {
			inv := &result.Invoke{OK: true, RespData: res.RespData, MS: ms}
			if cerr := checkResponse(res.RespData, expect); cerr != nil {
				inv.OK, inv.Error = false, cerr.Error()
			}
			return inv
		}
		if notReady(err) && deps.Now().Add(backoff).Before(deadline) && ctx.Err() == nil {
			if deps.Sleep(ctx, backoff) == nil {
				backoff = min(backoff*2, 5*time.Second)
				continue
			}
		}
		_, msg := errText(err)
		return &result.Invoke{OK: false, Error: msg, MS: ms}
	}
}

var notReadyMsg = regexp.MustCompile(`(?i)FunctionStatusError|not ready|updating|creating|pending|ResourceNotFound|not found`)

func notReady(err error) bool {
	// Network failures are not waited out: the client has already retried
	// them, and an invoke endpoint that stays unreachable would otherwise hold
	// the deploy for the whole readiness window.
	var apiErr *wxcloud.APIError
	return errors.As(err, &apiErr) && (apiErr.Transient() || notReadyMsg.MatchString(apiErr.Msg))
}

// checkResponse fails a smoke test whose function threw (the API can answer
// errcode 0 with an error object in resp_data, API-NOTES) or whose response
// does not meet invoke-expect.
func checkResponse(resp, expect string) error {
	var parsed any
	isJSON := json.Unmarshal([]byte(resp), &parsed) == nil
	if obj, ok := parsed.(map[string]any); ok && isJSON {
		msg, hasMsg := obj["errorMessage"]
		code, hasCode := obj["errorCode"]
		if hasMsg || hasCode {
			return fmt.Errorf("the function threw (errorCode %v): %v", code, msg)
		}
	}
	if expect == "" {
		return nil
	}
	if len(expect) >= 2 && strings.HasPrefix(expect, "/") && strings.HasSuffix(expect, "/") {
		re, err := regexp.Compile(expect[1 : len(expect)-1])
		if err != nil {
			return fmt.Errorf("invoke-expect: %v", err)
		}
		if !re.MatchString(resp) {
			return fmt.Errorf("response %s does not match invoke-expect %s", clip(resp), expect)
		}
		return nil
	}
	var want any
	if err := json.Unmarshal([]byte(expect), &want); err != nil {
		return fmt.Errorf("invoke-expect: not JSON or /regexp/: %v", err)
	}
	if !isJSON {
		if s, ok := want.(string); ok && s == resp {
			return nil
		}
		return fmt.Errorf("response %s is not JSON, so it cannot contain invoke-expect %s", clip(resp), clip(expect))
	}
	if !subset(want, parsed) {
		return fmt.Errorf("response %s does not contain invoke-expect %s", clip(resp), clip(expect))
	}
	return nil
}

// subset reports whether want is contained in got: objects may have extra
// keys, arrays must match element by element, scalars must be equal.
func subset(want, got any) bool {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return false
		}
		for k, wv := range w {
			gv, ok := g[k]
			if !ok || !subset(wv, gv) {
				return false
			}
		}
		return true
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return false
		}
		for i := range w {
			if !subset(w[i], g[i]) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(want, got)
}

func clip(s string) string {
	const max = 300
	if len(s) > max {
		return fmt.Sprintf("%q… (%d bytes)", s[:max], len(s))
	}
	return fmt.Sprintf("%q", s)
}
