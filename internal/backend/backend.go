// Package backend is the contract between deploy and the vendors: the
// interface a vendor client implements (probe, upload, wait until ready,
// invoke, fetch code, create, configure) and the vendor-neutral types it
// speaks. deploy imports this package and no vendor package; the CLI picks a
// vendor (internal/wxcloud or internal/tencentcloud) and hands it in.
//
// The rule every implementation keeps: a per-env outcome is what the vendor
// said for that env, or a failure. An answer the backend cannot read, an env
// it was not asked about, a missing field: each is an error for that env,
// never a guess that it worked.
//
// This package imports nothing of the project's, so config can build its
// Settings and every layer can share the types.
package backend

import (
	"context"
	"io"
	"time"
)

// Backend is one vendor's API, as deploy uses it. Implementations are safe
// for concurrent use.
type Backend interface {
	// Name is "wechat" or "tencentcloud", for messages.
	Name() string
	// CallName names the vendor call an operation uses, for messages and
	// dry-run plans: "batchuploadscf", "UpdateFunctionCode".
	CallName(op Op) string

	// Probe reports what env runs for function fn. A function that does not
	// exist is Deployed{Exists: Missing} with a nil error. An error means
	// the probe could not tell (KindOf says why).
	Probe(ctx context.Context, fn, env string) (Deployed, error)
	// FetchCode copies the code d points at (d.CodeURL) to w, refusing more
	// than limit bytes, and returns the bytes written.
	FetchCode(ctx context.Context, d Deployed, w io.Writer, limit int64) (int64, error)

	// Upload creates the function or replaces its code in every env of req
	// and returns one Outcome per env of req.Envs, in that order. It does not
	// wait for the new code to be ready (WaitReady does).
	Upload(ctx context.Context, req UploadRequest) []Outcome
	// WaitReady returns when fn in env is ready to run want, the code just
	// uploaded, as far as the vendor lets it be confirmed; or an error when
	// the vendor says the deploy failed (a failed cloud dependency install),
	// the code never shows up, or ctx ends.
	WaitReady(ctx context.Context, fn, env string, want Zip) error

	// Invoke runs fn in env once with req.Event.
	Invoke(ctx context.Context, req InvokeRequest) (InvokeResult, error)
	// CreateEmpty creates fn in env without user code (the create command).
	CreateEmpty(ctx context.Context, fn, env string) error
}

// Configurer is implemented by a backend that manages function settings and
// triggers (tencentcloud). deploy calls it after WaitReady.
type Configurer interface {
	// Configure brings fn's settings and triggers in env to want and returns
	// one line per change it made; with dryRun it changes nothing and returns
	// the lines it would. Nothing differing means no write and no line.
	Configure(ctx context.Context, fn, env string, want Settings, dryRun bool) ([]string, error)
}

// Existence is what a probe learned about whether a function exists.
type Existence int

const (
	ExistsUnknown Existence = iota
	Exists
	Missing
)

func (e Existence) String() string {
	switch e {
	case Exists:
		return "exists"
	case Missing:
		return "missing"
	}
	return "unknown"
}

// Op is what an upload does.
type Op string

const (
	Create Op = "create"
	Update Op = "update"
)

// Other returns the other operation: the create/update fallback.
func (o Op) Other() Op {
	if o == Create {
		return Update
	}
	return Create
}

// Deployed is what one env runs, as the vendor reported it.
type Deployed struct {
	Exists Existence
	// SHA256 is the deployed code's checksum, lowercase hex, as the vendor
	// reports it; "" when it gave none. Whether the vendor computes it over
	// the zip as uploaded is not certain (API-NOTES.md): compare the code
	// itself before calling it changed.
	SHA256 string
	// CodeURL is where FetchCode reads the deployed code; "" when unknown.
	CodeURL string
	// Status is the vendor's status word (tencentcloud: Active, Updating,
	// UpdateFailed...); "" for a vendor without one.
	Status string
}

// Zip is a packed function, read as often as needed: every env, retry and
// fallback reads it again from the start.
type Zip struct {
	R      io.ReaderAt
	Size   int64
	SHA256 string
}

// UploadRequest is one upload of one function's code to some envs.
type UploadRequest struct {
	Op       Op
	Function string
	Envs     []string
	Zip      Zip
	// Settings are what a created function starts with where the vendor
	// takes them at creation (tencentcloud); nil means the defaults.
	Settings *Settings
}

// Outcome is the vendor's answer for one env of an upload.
type Outcome struct {
	Env string
	// Err is nil only when the vendor confirmed this env.
	Err error
	// PerEnv is set when the vendor answered for this env alone (a fail
	// list entry, a per-env call), not for a whole call that failed.
	PerEnv bool
}

// InvokeRequest is one call of a function.
type InvokeRequest struct {
	Function, Env string
	// Event is the JSON object the function receives; nil means {}.
	Event []byte
}

// InvokeResult is what a call of a function returned.
type InvokeResult struct {
	// RespData is the function's return value as the vendor gives it
	// (usually JSON text).
	RespData string
	// FunctionError is set when the vendor itself says the function failed
	// (tencentcloud's InvokeResult/ErrMsg); a WeChat function that threw
	// shows only inside RespData.
	FunctionError string
	// Log is the tail of the function's log when the vendor returns one.
	Log string
	// Duration is the run time the vendor reported; 0 when none.
	Duration time.Duration
}

// Settings are a function's configuration beyond its code. A nil pointer, a
// nil map or an empty string means "not managed: leave as it is".
type Settings struct {
	Timeout           *int              // seconds
	MemorySize        *int              // MB
	EnvVars           map[string]string // replaces every variable when non-nil
	Runtime, Handler  string
	InstallDependency *bool
	// Triggers are the triggers the function should have (from its
	// config.json). Triggers the tool created earlier that are not listed
	// are deleted; others are left alone unless PruneTriggers.
	Triggers      []Trigger
	PruneTriggers bool
}

// Empty reports whether s manages nothing at all.
func (s *Settings) Empty() bool {
	return s == nil || (s.Timeout == nil && s.MemorySize == nil && s.EnvVars == nil && s.Runtime == "" &&
		s.Handler == "" && s.InstallDependency == nil && len(s.Triggers) == 0 && !s.PruneTriggers)
}

// Trigger is one trigger of a function, as WeChat's config.json writes it.
type Trigger struct {
	Name string // "nightly"
	Type string // "timer"
	// Config is the timer's cron expression, seven fields: second minute
	// hour day month weekday year.
	Config string
}
