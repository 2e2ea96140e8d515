package wxcloud

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/httpx"
)

// How a WeChat answer becomes a backend.Kind, the only thing deploy reads to
// decide (fall back create<->update, wait, stop). Codes first, where the seed
// tables and API-NOTES.md give them a fixed meaning; then the message, for
// the function-side answers (-501000 and fail-list entries), which share one
// code and differ only in wording.

// deniedCodes refuse the call whatever is retried: credentials, token kind,
// IP allow-lists, permission sets. 42001 is among them because it is
// returned only after the one refresh the client allows.
func isDeniedCode(code int) bool {
	switch code {
	case 40001, 40013, 40014, 40125, 40164, 41001, 42001, 48001, 61004, 61005, 61006:
		return true
	}
	return false
}

// vendorKind classifies an errcode with its message.
func vendorKind(code int, msg string) backend.Kind {
	switch {
	case isDeniedCode(code):
		return backend.KindDenied
	case code == 85088 || msgIsNoEnv(msg):
		return backend.KindNoEnv
	case isTransientCode(code):
		// Returned only once the retries and the time budget ran out.
		return backend.KindBusy
	case MsgIsNotFound(msg):
		return backend.KindNotFound
	case MsgIsExists(msg):
		return backend.KindExists
	case msgIsNotReady(msg):
		return backend.KindBusy
	}
	return backend.KindOther
}

// msgIsNoEnv reports whether a message blames the env rather than the
// function: "no qbase privilege" (85088's text, also seen in fail lists
// without the code) or an env / namespace that does not exist. Checked
// before MsgIsNotFound, which would read "env not exist" as a missing
// function and send deploy into a create that cannot work either.
func msgIsNoEnv(msg string) bool {
	m := strings.ToLower(msg)
	if strings.Contains(m, "no qbase privilege") || strings.Contains(m, "resourcenotfound.namespace") || strings.Contains(m, "环境不存在") {
		return true
	}
	for _, subject := range []string{"env ", "environment ", "namespace "} {
		if i := strings.Index(m, subject); i >= 0 && MsgIsNotFound(m[i:]) && !strings.Contains(m[i:], "function") {
			return true
		}
	}
	return false
}

// msgIsNotReady reports whether a message says the function is busy with an
// earlier change (Tencent's FunctionStatusError, "function is updating"), so
// a retry a little later can work: deploy waits these out.
func msgIsNotReady(msg string) bool {
	m := strings.ToLower(msg)
	for _, s := range []string{"functionstatuserror", "not ready", "updating", "creating", "pending", "in progress", "正在更新", "正在创建"} {
		if strings.Contains(m, s) {
			return true
		}
	}
	return false
}

// transportKind classifies a failure below the API's JSON.
func transportKind(e *TransportError) backend.Kind {
	var re *httpx.RedirectError
	var ns *httpx.NotSentError
	switch {
	case errors.Is(e.Err, context.Canceled):
		return backend.KindCancelled
	case !e.AnswerLost && errors.As(e.Err, &ns):
		// The run's own max-rps limit kept the last request in and no
		// earlier one lost its answer: nothing was applied, and the wait is
		// a throttle's, not an unreachable vendor's.
		return backend.KindBusy
	case errors.As(e.Err, &re):
		// An answer arrived, pointing elsewhere: the api-base-url input must
		// change; retrying or waiting will not help.
		return backend.KindOther
	case e.Status == http.StatusTooManyRequests:
		return backend.KindBusy
	case e.Status >= 400 && e.Status < 500:
		// A proxy or a wrong URL answered: readable, and not the vendor.
		return backend.KindOther
	}
	return backend.KindUnreachable
}

// isDialError reports whether err is a failure to connect: the request never
// left, so it cannot have been applied.
func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
