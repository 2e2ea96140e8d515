package backend

import (
	"context"
	"errors"
)

// Kind is the vendor-neutral meaning of an error: what deploy needs to know to
// decide (fall back, wait, stop a dry run) without reading vendor codes.
type Kind int

const (
	// KindOther is everything not listed below.
	KindOther Kind = iota
	// KindNotFound: the function does not exist in the env.
	KindNotFound
	// KindExists: the function already exists (a create refused).
	KindExists
	// KindNoEnv: the env does not exist, is in another region or has no
	// cloud development.
	KindNoEnv
	// KindDenied: the credentials, token kind, signature, IP allow-list or
	// permissions refuse the call: nothing will work until an input changes.
	KindDenied
	// KindBusy: the function is busy (being created or updated) or the
	// vendor throttled the call, and retrying within the time allowed did
	// not help.
	KindBusy
	// KindUnreachable: no usable answer arrived (network, timeout, gateway
	// error, an answer that could not be read). For a write, the call may or
	// may not have been applied.
	KindUnreachable
	// KindDeployFailed: the vendor accepted the code but the deploy failed
	// on its side (a failed cloud dependency install).
	KindDeployFailed
	// KindCancelled: the run was cancelled.
	KindCancelled
)

var kindNames = map[Kind]string{
	KindOther: "other", KindNotFound: "not found", KindExists: "exists", KindNoEnv: "no env",
	KindDenied: "denied", KindBusy: "busy", KindUnreachable: "unreachable",
	KindDeployFailed: "deploy failed", KindCancelled: "cancelled",
}

func (k Kind) String() string { return kindNames[k] }

// Classified is implemented by vendor errors.
type Classified interface {
	error
	Kind() Kind
}

// KindOf classifies err: the Kind of the first Classified error in its chain,
// KindCancelled for a cancelled context, else KindOther.
func KindOf(err error) Kind {
	if err == nil {
		return KindOther
	}
	var c Classified
	if errors.As(err, &c) {
		return c.Kind()
	}
	if errors.Is(err, context.Canceled) {
		return KindCancelled
	}
	return KindOther
}

// Coded is implemented by vendor errors that carry the vendor's own code.
type Coded interface {
	error
	// VendorCode returns the code as the vendor gave it: WeChat's errcode
	// (name ""), or Tencent Cloud's code name (number 0).
	VendorCode() (number int, name string)
}

// CodeOf returns the vendor code in err's chain, if any.
func CodeOf(err error) (number int, name string) {
	var c Coded
	if errors.As(err, &c) {
		return c.VendorCode()
	}
	return 0, ""
}

// Error is a classified error a backend builds itself (an unreadable answer,
// an env missing from it). Vendor error types implement Classified directly.
type Error struct {
	K   Kind
	Msg string
	Err error // optional cause
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Msg + ": " + e.Err.Error()
	}
	return e.Msg
}

func (e *Error) Kind() Kind    { return e.K }
func (e *Error) Unwrap() error { return e.Err }
