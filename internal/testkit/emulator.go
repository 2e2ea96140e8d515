package testkit

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
)

// Paths of the WeChat API the tests count and break.
const (
	PathBatchCreate = "/componenttcb/batchuploadscf"
	PathBatchUpdate = "/componenttcb/batchuploadscfcode"
	PathCreate      = "/tcb/createfunction"
	PathDownload    = "/tcb/downloadfunction"
	PathInvoke      = "/tcb/invokecloudfunction"
	PathStableToken = "/cgi-bin/stable_token"
)

// Emulator is an emulator.Server served on a loopback httptest server.
type Emulator struct {
	*emulator.Server
	// URL is the server's origin: api-base-url and tencentcloud-api-url.
	URL string
}

// EmulatorOptions configure NewEmulator.
type EmulatorOptions struct {
	// Options are the emulator's. Node "" means echo mode ("-"): no node
	// process, fast and deterministic; name a node binary to run functions.
	emulator.Options
	// Wrap, when set, sits in front of the emulator, to misbehave in ways a
	// Fault cannot express or to watch requests arrive.
	Wrap func(http.Handler) http.Handler
}

// NewEmulator starts an emulator that stops when the test ends.
func NewEmulator(t testing.TB, opts EmulatorOptions) *Emulator {
	t.Helper()
	if opts.Node == "" {
		opts.Node = "-"
	}
	emu := emulator.New(opts.Options)
	var h http.Handler = emu
	if opts.Wrap != nil {
		h = opts.Wrap(emu)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &Emulator{Server: emu, URL: srv.URL}
}

// CallsTo counts the requests received on a WeChat path.
func (e *Emulator) CallsTo(path string) int {
	return e.count(func(c emulator.Call) bool { return c.Path == path })
}

// CallsOf counts the Tencent Cloud requests of an action (X-TC-Action).
func (e *Emulator) CallsOf(action string) int {
	return e.count(func(c emulator.Call) bool { return c.Action == action })
}

func (e *Emulator) count(match func(emulator.Call) bool) int {
	n := 0
	for _, c := range e.Calls() {
		if match(c) {
			n++
		}
	}
	return n
}

// WeChat is the wechat provider's inputs against this emulator: its token
// is accepted as every kind, so it serves as the component token the batch
// calls take and as the access token of downloadfunction and invoke.
func (e *Emulator) WeChat() Inputs {
	return Inputs{
		"provider":               "wechat",
		"api-base-url":           e.URL,
		"access-token":           e.Token(),
		"component-access-token": e.Token(),
	}
}

// TencentCloud is the tencentcloud provider's inputs against this
// emulator: its key pair and region.
func (e *Emulator) TencentCloud() Inputs {
	return Inputs{
		"provider":             "tencentcloud",
		"tencentcloud-api-url": e.URL,
		"region":               e.Region(),
		"secret-id":            e.SecretID(),
		"secret-key":           e.SecretKey(),
	}
}
