package wxcloud

import (
	"errors"
	"fmt"
	"strings"
	"testing"

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
		errs := []error{
			&APIError{Endpoint: "batchuploadscfcode", Code: -501001, Msg: tt.msg},
			fmt.Errorf("wrapped: %w", &APIError{Msg: tt.msg}),
			EnvFailure{Env: "e", Msg: tt.msg},
			&EnvFailure{Env: "e", Msg: tt.msg},
			redact.New().Error(fmt.Errorf("x: %w", EnvFailure{Msg: tt.msg})),
		}
		for _, err := range errs {
			if got := IsNotFound(err); got != tt.notFound {
				t.Errorf("IsNotFound(%#v) = %v", err, got)
			}
			if got := IsExists(err); got != tt.exists {
				t.Errorf("IsExists(%#v) = %v", err, got)
			}
		}
	}
	if IsNotFound(errors.New("function not found")) || IsNotFound(nil) {
		t.Error("a plain error is not a vendor answer")
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
