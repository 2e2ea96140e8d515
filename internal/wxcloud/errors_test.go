package wxcloud

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/httpx"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

func TestNotFoundAndExists(t *testing.T) {
	t.Parallel()
	tests := []struct {
		msg      string
		notFound bool
		exists   bool
	}{
		{"ResourceNotFound.Function: function not found", true, false},
		{"[ResourceNotFound.FunctionName] xx", true, false},
		{"Function does not exist", true, false},
		{"function not exist", true, false},
		{"函数不存在", true, false},
		{"ResourceInUse.Function: function already exists", false, true},
		{"Function Already Exist", false, true},
		{"云函数已存在", false, true},
		{"no qbase privilege", false, false},
		{"", false, false},
		{"function exists", false, false}, // too vague to trust
	}
	for _, tt := range tests {
		if got := MsgIsNotFound(tt.msg); got != tt.notFound {
			t.Errorf("MsgIsNotFound(%q) = %v", tt.msg, got)
		}
		if got := MsgIsExists(tt.msg); got != tt.exists {
			t.Errorf("MsgIsExists(%q) = %v", tt.msg, got)
		}
	}
}

// TestKinds pins how every error the client returns is classified for deploy.
func TestKinds(t *testing.T) {
	t.Parallel()
	red := redact.New()
	api := func(code int, msg string) error {
		return &APIError{Endpoint: "batchuploadscfcode", Code: code, Msg: msg}
	}
	tests := []struct {
		name     string
		err      error
		want     backend.Kind
		wantCode int
	}{
		{"not found wording", api(-501000, "[ResourceNotFound.Function] function not found"), backend.KindNotFound, -501000},
		{"not found in a fail list", EnvFailure{Env: "e", Msg: "云函数不存在"}, backend.KindNotFound, 0},
		{"exists wording", api(-501000, "[ResourceInUse.Function] function already exists"), backend.KindExists, -501000},
		{"exists in a fail list", EnvFailure{Env: "e", Errcode: -501000, Msg: "function already exists"}, backend.KindExists, -501000},
		{"85088", api(85088, "no qbase privilege"), backend.KindNoEnv, 85088},
		{"85088 text in a fail list", EnvFailure{Env: "e", Msg: "no qbase privilege"}, backend.KindNoEnv, 0},
		{"env not exist", api(-501000, "env not exist"), backend.KindNoEnv, -501000},
		{"namespace not found", api(-501000, "[ResourceNotFound.Namespace] namespace dev-x not found"), backend.KindNoEnv, -501000},
		{"40001", api(40001, "invalid credential"), backend.KindDenied, 40001},
		{"40013", api(40013, "invalid appid"), backend.KindDenied, 40013},
		{"40014", api(40014, "invalid access_token"), backend.KindDenied, 40014},
		{"40125", api(40125, "invalid appsecret"), backend.KindDenied, 40125},
		{"40164", api(40164, "invalid ip 1.2.3.4"), backend.KindDenied, 40164},
		{"41001", api(41001, "access_token missing"), backend.KindDenied, 41001},
		{"42001 after the refresh", api(42001, "access_token expired"), backend.KindDenied, 42001},
		{"48001", api(48001, "api unauthorized"), backend.KindDenied, 48001},
		{"61004", api(61004, "access clientip is not registered"), backend.KindDenied, 61004},
		{"61005", api(61005, "component ticket is expired"), backend.KindDenied, 61005},
		{"61006", api(61006, "component ticket is invalid"), backend.KindDenied, 61006},
		{"-1 after retries", api(-1, "system error"), backend.KindBusy, -1},
		{"-1000 after retries", api(-1000, "system error"), backend.KindBusy, -1000},
		{"45009 after retries", api(45009, "reach max api daily quota limit"), backend.KindBusy, 45009},
		{"45011 after retries", api(45011, "api minute-quota reach limit"), backend.KindBusy, 45011},
		{"function status", api(-501000, "[FailedOperation.FunctionStatusError] function is updating, retry later"), backend.KindBusy, -501000},
		{"function status in a fail list", EnvFailure{Env: "e", Msg: "function is updating"}, backend.KindBusy, 0},
		{"function-side runtime error", api(-504002, "functions execute fail"), backend.KindOther, -504002},
		{"other code", api(40097, "invalid args"), backend.KindOther, 40097},
		{"wrapped and redacted", red.Error(fmt.Errorf("x: %w", api(40014, "invalid access_token"))), backend.KindDenied, 40014},
		{"gateway after retries", &TransportError{Endpoint: "e", Status: 502, Err: errors.New("HTTP 502")}, backend.KindUnreachable, 0},
		{"network", &TransportError{Endpoint: "e", Err: errors.New("network error")}, backend.KindUnreachable, 0},
		{"429 after retries", &TransportError{Endpoint: "e", Status: 429, Err: errors.New("HTTP 429")}, backend.KindBusy, 0},
		{"404 from a proxy", &TransportError{Endpoint: "e", Status: 404, Err: errors.New("HTTP 404")}, backend.KindOther, 0},
		{"redirect refused", &TransportError{Endpoint: "e", Err: red.Error(&httpx.RedirectError{Status: 302, FromHost: "a", ToHost: "b", ToScheme: "https"})}, backend.KindOther, 0},
		{"cancelled in flight", &TransportError{Endpoint: "e", Err: red.Error(context.Canceled)}, backend.KindCancelled, 0},
		{"lost upload answer", &lostAnswerError{err: &TransportError{Endpoint: "e", Err: red.Error(context.Canceled), AnswerLost: true}}, backend.KindUnreachable, 0},
		{"unreadable fail list", &FailListError{Endpoint: "e", Reason: "x", Errcode: -501000}, backend.KindUnreachable, -501000},
		{"no token", errNoToken("x"), backend.KindDenied, 0},
		{"token refused", newTokenError("batchuploadscf", componentToken, api(61005, "expired")), backend.KindDenied, 61005},
		{"token endpoint unreachable", newTokenError("batchuploadscf", componentToken, &TransportError{Endpoint: "api_component_token", Status: 502}), backend.KindOther, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := backend.KindOf(tt.err); got != tt.want {
				t.Errorf("KindOf(%v) = %v, want %v", tt.err, got, tt.want)
			}
			if code, name := backend.CodeOf(tt.err); code != tt.wantCode || name != "" {
				t.Errorf("CodeOf = %d %q, want %d", code, name, tt.wantCode)
			}
		})
	}
}

func TestTransportErrorMessage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *TransportError
		want []string
		not  []string
	}{
		{"single attempt", &TransportError{Endpoint: "e", Attempts: 1, Err: errors.New("HTTP 404 Not Found")}, []string{"e: HTTP 404 Not Found"}, []string{"gave up"}},
		{"retried", &TransportError{Endpoint: "e", Attempts: 4, Err: errors.New("boom")}, []string{"gave up after 4 attempts"}, nil},
		{"big body", &TransportError{Endpoint: "e", Attempts: 1, Err: errors.New("boom"), BodySize: 9 << 20}, []string{fmt.Sprintf("the request body was %d bytes", 9<<20), "likely cause"}, nil},
		{"small body", &TransportError{Endpoint: "e", Attempts: 1, Err: errors.New("boom"), BodySize: 1 << 20}, nil, []string{"likely cause"}},
		{"redacts without a redactor", &TransportError{Endpoint: "e", Err: errors.New("x?access_token=abcdefgh")}, []string{"access_token=***"}, []string{"abcdefgh"}},
	}
	for _, tt := range tests {
		got := tt.err.Error()
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q lacks %q", tt.name, got, w)
			}
		}
		for _, n := range tt.not {
			if strings.Contains(got, n) {
				t.Errorf("%s: %q has %q", tt.name, got, n)
			}
		}
	}
}
