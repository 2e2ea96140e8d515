package emulator

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"sort"
	"sync"
	"time"
)

// DefaultToken is the token accepted when Options.Token is empty.
const DefaultToken = "emulator-token"

// DefaultMaxBodyBytes is the largest request body served: a 20 MiB zip is
// ~27 MiB of base64, and gateways in front of WeChat cut off well above that.
const DefaultMaxBodyBytes = 64 << 20

// tokenTTL is what both token endpoints promise (expires_in).
const tokenTTL = 7200 * time.Second

// Options configures a Server. The zero value is a working emulator.
type Options struct {
	// Token is accepted as any kind of token (access, authorizer, component).
	// "" means DefaultToken.
	Token string
	// Envs are the envs that have cloud development. Empty means every
	// well-formed env ID ([A-Za-z0-9-], 1 to 64 characters) does; the others
	// answer 85088.
	Envs []string
	// Node is the node binary used to run functions for real: "" looks it up
	// on PATH, "-" never runs node (echo mode).
	Node string
	// InvokeTimeout is the time a function gets (default 5s, the API's limit).
	InvokeTimeout time.Duration
	// Now is the clock (default time.Now); tokens expire by it.
	Now func() time.Time
	// Logf, when set, gets one line per request (never a token or a body).
	Logf func(format string, args ...any)

	// FailListKeyErrmsg makes batchuploadscfcode name the per-env message
	// "errmsg" instead of the seed page's "errormsg" (servers have been seen
	// sending both, API-NOTES.md).
	FailListKeyErrmsg bool
	// StrictTokenKinds rejects (48001) a Mini Program access_token on the
	// batch calls and a component_access_token on createfunction and
	// downloadfunction, as WeChat does. Options.Token is still accepted
	// everywhere. Off by default so that one token does for the demo.
	StrictTokenKinds bool
	// MaxBodyBytes bounds request bodies (default DefaultMaxBodyBytes); larger
	// ones get HTTP 413 with an HTML body, like a gateway.
	MaxBodyBytes int64
	// TempDir is where functions are unpacked to run ("" => os.TempDir()).
	TempDir string
}

// Function is one cloud function in one env.
type Function struct {
	Env, Name string
	// Zip is the code as uploaded (empty for a function made by createfunction).
	Zip []byte
	// SHA256 is the hex SHA-256 of Zip ("" when there is no code).
	SHA256 string
	// Version is 1 on create and grows by one per code update.
	Version int
	// VPCID and SubnetID are what batchuploadscf was given.
	VPCID, SubnetID string
}

// Call is one request the emulator received.
type Call struct {
	Method string
	Path   string
	// Env is the env of invoke, download and createfunction calls; Envs the
	// env list of batch calls.
	Env      string
	Envs     []string
	Function string
	// Errcode is the errcode answered (0 also when the answer was not JSON).
	Errcode int
	// HTTPStatus is the status sent; 0 when the connection was reset, the
	// request stalled or the client went away first.
	HTTPStatus int
	// Write is set for batchuploadscf, batchuploadscfcode and createfunction
	// requests that reached the handler (no fault answered them).
	Write bool
	// Faulted is set when an injected fault applied to the request (answered,
	// delayed or modified it).
	Faulted bool
	// TokenKind is the kind of the token sent: "emulator" (Options.Token),
	// "access", "component", "unknown" or "" (none). The token itself is
	// never recorded.
	TokenKind string
}

// Server is the emulator: an http.Handler with state tests can inspect.
type Server struct {
	opts    Options
	token   string
	node    string
	envs    map[string]bool
	signKey []byte

	mu        sync.Mutex
	funcs     map[fnKey]*function
	tokens    map[string]*tokenInfo
	byApp     map[string]string // kind+appid -> latest token, for force_refresh=false
	tokenSeq  int
	optExpire bool // Options.Token answers 42001 after ExpireTokens
	calls     []Call
	writes    int
	faults    []*faultState
	notReady  map[fnKey]int
	invokeSeq int
}

type fnKey struct{ env, name string }

type function struct {
	Function
	versions [][]byte // code of each version, index Version-1
}

// New returns an emulator with no functions.
func New(opts Options) *Server {
	if opts.InvokeTimeout <= 0 {
		opts.InvokeTimeout = 5 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.MaxBodyBytes <= 0 {
		opts.MaxBodyBytes = DefaultMaxBodyBytes
	}
	s := &Server{
		opts:     opts,
		token:    opts.Token,
		funcs:    map[fnKey]*function{},
		tokens:   map[string]*tokenInfo{},
		byApp:    map[string]string{},
		notReady: map[fnKey]int{},
		signKey:  []byte(rand.Text()),
	}
	if s.token == "" {
		s.token = DefaultToken
	}
	if len(opts.Envs) > 0 {
		s.envs = map[string]bool{}
		for _, e := range opts.Envs {
			s.envs[e] = true
		}
	}
	switch opts.Node {
	case "-":
	case "":
		if p, err := exec.LookPath("node"); err == nil {
			s.node = p
		}
	default:
		s.node = opts.Node
	}
	return s
}

// Token returns the token accepted as any kind of token.
func (s *Server) Token() string { return s.token }

// NodePath returns the node binary functions run with, "" in echo mode.
func (s *Server) NodePath() string { return s.node }

// Start serves on addr (e.g. "127.0.0.1:0") until ctx is done and returns the
// base URL ("http://127.0.0.1:PORT"). In-flight requests, stalled ones
// included, are cancelled with ctx.
func (s *Server) Start(ctx context.Context, addr string) (string, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return "", fmt.Errorf("emulator: listen on %q: %w (pick a free address, or port 0)", addr, err)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 30 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	go func() { _ = srv.Serve(ln) }()
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close()
		}
	}()
	return "http://" + dialable(ln.Addr()), nil
}

// dialable turns a wildcard listen address into one a client can dial.
func dialable(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok || !ta.IP.IsUnspecified() {
		return a.String()
	}
	ip := "127.0.0.1"
	if ta.IP.To4() == nil {
		ip = "::1"
	}
	return net.JoinHostPort(ip, fmt.Sprint(ta.Port))
}

// Function returns a copy of the function name in env.
func (s *Server) Function(env, name string) (Function, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.funcs[fnKey{env, name}]
	if !ok {
		return Function{}, false
	}
	return f.copy(), true
}

// Functions returns copies of every function, sorted by env then name.
func (s *Server) Functions() []Function {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Function, 0, len(s.funcs))
	for _, f := range s.funcs {
		out = append(out, f.copy())
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Env != out[j].Env {
			return out[i].Env < out[j].Env
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// Seed installs a pre-existing function (a new version if it exists) without
// recording a call.
func (s *Server) Seed(env, name string, zip []byte) {
	zip = bytes.Clone(zip) // the caller may reuse its slice
	s.mu.Lock()
	defer s.mu.Unlock()
	k := fnKey{env, name}
	if f, ok := s.funcs[k]; ok {
		f.setCode(zip)
		return
	}
	s.funcs[k] = newFunction(env, name, zip)
}

// Calls returns every request so far in arrival order.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Call, len(s.calls))
	for i, c := range s.calls {
		c.Envs = append([]string(nil), c.Envs...)
		out[i] = c
	}
	return out
}

// Writes counts the write calls (batchuploadscf, batchuploadscfcode,
// createfunction) that reached the handler.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// ResetCalls forgets the recorded calls and the write count.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.writes = 0
}

// SetNotReady makes the next n invokes of name in env answer -501000 "function
// is updating": a just-deployed function may not be ready yet.
func (s *Server) SetNotReady(env, name string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.notReady, fnKey{env, name})
		return
	}
	s.notReady[fnKey{env, name}] = n
}

func newFunction(env, name string, zip []byte) *function {
	f := &function{Function: Function{Env: env, Name: name}}
	f.setCode(zip)
	return f
}

// setCode stores a new version. zip is kept, never modified: one upload to
// several envs shares it.
func (f *function) setCode(zip []byte) {
	f.Zip = zip
	f.SHA256 = ""
	if len(zip) > 0 {
		sum := sha256.Sum256(zip)
		f.SHA256 = hex.EncodeToString(sum[:])
	}
	f.versions = append(f.versions, zip)
	f.Version = len(f.versions)
}

func (f *function) copy() Function {
	c := f.Function
	c.Zip = bytes.Clone(f.Zip)
	return c
}

// locked runs fn holding the state lock, unlocking even if fn panics: a
// panicking handler must not wedge every later request.
func (s *Server) locked(fn func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fn()
}

// hasCloudDev reports whether env may hold functions.
func (s *Server) hasCloudDev(env string) bool {
	if s.envs != nil {
		return s.envs[env]
	}
	return validEnv(env)
}

func validEnv(env string) bool {
	if len(env) == 0 || len(env) > 64 {
		return false
	}
	for _, c := range env {
		if !(c == '-' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
			return false
		}
	}
	return true
}

// validFunctionName is Tencent SCF's rule (API-NOTES.md):
// ^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$.
func validFunctionName(name string) error {
	if len(name) < 2 || len(name) > 60 {
		return errors.New("must be 2 to 60 characters")
	}
	for i, c := range name {
		letter := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
		digit := c >= '0' && c <= '9'
		switch {
		case i == 0 && !letter:
			return errors.New("must start with a letter")
		case i == len(name)-1 && !letter && !digit:
			return errors.New("must end with a letter or digit")
		case !letter && !digit && c != '-' && c != '_':
			return errors.New("may hold only letters, digits, '-' and '_'")
		}
	}
	return nil
}
