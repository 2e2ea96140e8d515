package emulator

import (
	"bytes"
	"cmp"
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"
)

// DefaultToken is the token accepted when Options.Token is empty.
const DefaultToken = "emulator-token"

// DefaultMaxBodyBytes is the largest request body served: Tencent Cloud's
// Code.ZipFile takes a 50 MB zip, ~67 MiB of base64 (a 20 MiB WeChat zip is
// ~27 MiB), and gateways cut off above that.
const DefaultMaxBodyBytes = 72 << 20

// DefaultRegion is where every env lives unless Options.Region says otherwise
// (manager-node's default, API-NOTES-TENCENTCLOUD.md §1.1).
const DefaultRegion = "ap-shanghai"

// DefaultStatusDelay is how long a Tencent Cloud function stays Creating or
// Updating: short, so a deploy's wait loop runs at least once.
const DefaultStatusDelay = 300 * time.Millisecond

// tokenTTL is what both token endpoints promise (expires_in).
const tokenTTL = 7200 * time.Second

// Options configures a Server. The zero value is a working emulator.
type Options struct {
	// Token is accepted as any kind of WeChat token (access, authorizer,
	// component). "" means DefaultToken.
	Token string
	// Envs are the envs that have cloud development, on both sides (WeChat
	// envs, Tencent Cloud namespaces). Empty means every well-formed env ID
	// ([A-Za-z0-9-], 1 to 64 characters) does; the others answer 85088 or
	// ResourceNotFound.Namespace.
	Envs []string
	// Node is the node binary used to run functions for real: "" looks it up
	// on PATH, "-" never runs node (echo mode).
	Node string
	// InvokeTimeout is the time a function invoked through WeChat gets
	// (default 5s, the API's limit). Tencent Cloud's Invoke gives a function
	// its own Timeout setting.
	InvokeTimeout time.Duration
	// Now is the clock (default time.Now): tokens and temporary keys expire,
	// signatures age, functions settle and calls are counted per second by it.
	Now func() time.Time
	// Logf, when set, gets one line per request (never a token, a key or a
	// body).
	Logf func(format string, args ...any)

	// FailListKeyErrmsg makes batchuploadscfcode name the per-env message
	// "errmsg" instead of the seed page's "errormsg" (servers have been seen
	// sending both, API-NOTES.md).
	FailListKeyErrmsg bool
	// MaxBodyBytes bounds request bodies (default DefaultMaxBodyBytes); larger
	// ones get HTTP 413 with an HTML body, like a gateway.
	MaxBodyBytes int64
	// TempDir is where functions are unpacked to run ("" => os.TempDir()).
	TempDir string

	// SecretID and SecretKey are the permanent Tencent Cloud API key pair
	// accepted (random ones when empty: see Server.SecretID).
	SecretID, SecretKey string
	// Region is where every env lives (default DefaultRegion); a call with
	// another X-TC-Region does not find the namespace.
	Region string
	// StatusDelay is how long a function created or updated through Tencent
	// Cloud stays Creating/Updating (default DefaultStatusDelay; negative:
	// Active at once). Measured with Now, so tests advance a fake clock.
	StatusDelay time.Duration
	// CodeSha256Base64 makes GetFunctionAddress answer CodeSha256 as base64
	// of the digest instead of hex (the vendor's encoding is unconfirmed).
	CodeSha256Base64 bool

	// OIDCProviderID is the identity provider name STS accepts as ProviderId
	// (default "github").
	OIDCProviderID string
	// OIDCAudience is the audience the role trusts: the aud a web identity
	// token must carry (default "sts.tencentcloudapi.com").
	OIDCAudience string
	// OIDCRequestToken is the bearer token the fake GitHub OIDC endpoint
	// takes (ACTIONS_ID_TOKEN_REQUEST_TOKEN; random when empty).
	OIDCRequestToken string
	// OIDCSubject is the sub claim of the tokens it issues (default
	// "repo:octo-org/octo-repo:ref:refs/heads/main").
	OIDCSubject string
	// RoleArn, when set, is the only role STS lets a web identity assume;
	// empty means any well-formed role ARN exists.
	RoleArn string
}

// Function is one cloud function in one env (= Tencent Cloud namespace).
type Function struct {
	Env, Name string
	// Zip is the code as uploaded (empty for a function made by createfunction).
	Zip []byte
	// SHA256 is the hex SHA-256 of Zip ("" when there is no code).
	SHA256 string
	// Version is 1 on create and grows by one per code update.
	Version int
	// VPCID and SubnetID are what batchuploadscf or VpcConfig gave.
	VPCID, SubnetID string
	// Batch is set when the code came from a WeChat batch call: invoking it
	// in batch mode (with a component token) is allowed.
	Batch bool

	// The Tencent Cloud settings (defaults for functions made through WeChat:
	// Nodejs18.15, index.main, 3 s, 256 MB, InstallDependency TRUE).
	Runtime, Handler  string
	Timeout           int // seconds
	MemorySize        int // MB
	Description       string
	Role              string
	InstallDependency string // "TRUE" or "FALSE"
	Environment       []Variable
	Triggers          []Trigger
	// Status is the function's status by Options.Now: Creating, Updating,
	// Active, CreateFailed or UpdateFailed; StatusReasons say why it failed.
	Status        string
	StatusReasons []StatusReason
	AddTime       time.Time
	ModTime       time.Time
}

// Variable is one environment variable of a function.
type Variable struct{ Key, Value string }

// Trigger is one trigger of a function (the emulator serves timer triggers).
type Trigger struct {
	Name, Type string
	// Cron is the timer's 7-field cron expression as created.
	Cron           string
	Enable         bool
	CustomArgument string
	Description    string
	AddTime        time.Time
	ModTime        time.Time
}

// StatusReason says why a function's create or update failed.
type StatusReason struct{ ErrorCode, ErrorMessage string }

// Call is one request the emulator received.
type Call struct {
	Method string
	Path   string
	// Action is the Tencent Cloud action (X-TC-Action), "" for WeChat paths.
	Action string
	// Env is the env of invoke, download and createfunction calls and the
	// Namespace of Tencent Cloud calls; Envs the env list of batch calls.
	Env      string
	Envs     []string
	Function string
	// Errcode is the errcode answered (0 also when the answer was not JSON).
	Errcode int
	// ErrorCode is the Tencent Cloud error code answered ("" on success).
	ErrorCode string
	// HTTPStatus is the status sent; 0 when the connection was reset, the
	// request stalled or the client went away first.
	HTTPStatus int
	// Write is set for write calls (batchuploadscf, batchuploadscfcode,
	// createfunction; Tencent Cloud Create*, Update*, Delete*) that reached
	// the handler (no fault answered them).
	Write bool
	// Faulted is set when an injected fault applied to the request (answered,
	// delayed or modified it).
	Faulted bool
	// TokenKind is the kind of the WeChat token sent: "emulator"
	// (Options.Token), "access", "component", "unknown" or "" (none). The
	// token itself is never recorded.
	TokenKind string
	// At is the arrival time by Options.Now.
	At time.Time
}

// Server is the emulator: an http.Handler with state tests can inspect.
type Server struct {
	opts    Options
	token   string
	node    string
	envs    map[string]bool
	signKey []byte // download URLs and web identity tokens
	fixed   map[string]func(*request) reply

	mu        sync.Mutex
	funcs     map[fnKey]*function
	byEnv     map[string]map[string]*function // the same functions per env
	tokens    map[string]*tokenInfo
	byApp     map[string]string // kind+appid -> latest token, for force_refresh=false
	tokenSeq  int
	optExpire bool // Options.Token answers 42001 after ExpireTokens
	calls     []Call
	writes    int
	faults    []*faultState
	notReady  map[fnKey]int
	invokeSeq int
	tempKeys  map[string]*tempKey // STS temporary keys by SecretId
	stats     stats
}

type fnKey struct{ env, name string }

type function struct {
	Function
	versions [][]byte // code of each version, index Version-1
	// pending is the transient status (Creating, Updating) that began at
	// since; settled is where it ends (Active, CreateFailed, UpdateFailed),
	// with reason when it failed. Status is computed from these and the
	// clock, never stored: no timer has to fire.
	pending string
	since   time.Time
	settled string
	reason  *StatusReason
	typ     string // Tencent Cloud's Type: Event or HTTP
}

// New returns an emulator with no functions.
func New(opts Options) *Server {
	opts = withDefaults(opts)
	s := &Server{
		opts:     opts,
		token:    opts.Token,
		funcs:    map[fnKey]*function{},
		byEnv:    map[string]map[string]*function{},
		tokens:   map[string]*tokenInfo{},
		byApp:    map[string]string{},
		notReady: map[fnKey]int{},
		tempKeys: map[string]*tempKey{},
		signKey:  []byte(rand.Text()),
	}
	s.fixed = s.routes()
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

func withDefaults(o Options) Options {
	if o.InvokeTimeout <= 0 {
		o.InvokeTimeout = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.MaxBodyBytes <= 0 {
		o.MaxBodyBytes = DefaultMaxBodyBytes
	}
	switch {
	case o.StatusDelay == 0:
		o.StatusDelay = DefaultStatusDelay
	case o.StatusDelay < 0:
		o.StatusDelay = 0
	}
	o.Token = cmp.Or(o.Token, DefaultToken)
	// AKID plus 32 characters: the shape of a real SecretId.
	o.SecretID = cmp.Or(o.SecretID, "AKIDemu"+rand.Text()[:26]+rand.Text()[:3])
	o.SecretKey = cmp.Or(o.SecretKey, rand.Text()+rand.Text()[:6])
	o.Region = cmp.Or(o.Region, DefaultRegion)
	o.OIDCProviderID = cmp.Or(o.OIDCProviderID, "github")
	o.OIDCAudience = cmp.Or(o.OIDCAudience, "sts.tencentcloudapi.com")
	o.OIDCRequestToken = cmp.Or(o.OIDCRequestToken, "emu-oidc-"+rand.Text())
	o.OIDCSubject = cmp.Or(o.OIDCSubject, "repo:octo-org/octo-repo:ref:refs/heads/main")
	return o
}

// Token returns the WeChat token accepted as any kind of token.
func (s *Server) Token() string { return s.token }

// SecretID returns the permanent Tencent Cloud SecretId accepted.
func (s *Server) SecretID() string { return s.opts.SecretID }

// SecretKey returns the SecretKey of SecretID.
func (s *Server) SecretKey() string { return s.opts.SecretKey }

// Region returns the region every env lives in.
func (s *Server) Region() string { return s.opts.Region }

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
	return f.copy(s.opts.Now(), s.opts.StatusDelay), true
}

// Functions returns copies of every function, sorted by env then name.
func (s *Server) Functions() []Function {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	out := make([]Function, 0, len(s.funcs))
	for _, f := range s.funcs {
		out = append(out, f.copy(now, s.opts.StatusDelay))
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Env != out[j].Env {
			return out[i].Env < out[j].Env
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// FunctionsIn returns copies of the functions of one env (namespace), sorted
// by name; its cost does not depend on how many other envs there are.
func (s *Server) FunctionsIn(env string) []Function {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	out := make([]Function, 0, len(s.byEnv[env]))
	for _, f := range s.byEnv[env] {
		out = append(out, f.copy(now, s.opts.StatusDelay))
	}
	slices.SortFunc(out, func(a, b Function) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// Seed installs a pre-existing function (a new version if it exists) without
// recording a call. It is Active at once.
func (s *Server) Seed(env, name string, zip []byte) {
	zip = bytes.Clone(zip) // the caller may reuse its slice
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now()
	if f := s.funcs[fnKey{env, name}]; f != nil {
		f.setCode(zip, now)
		f.settle("Active", nil)
		return
	}
	s.put(newFunction(env, name, zip, now))
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

// Writes counts the write calls (see Call.Write) that reached the handler.
func (s *Server) Writes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.writes
}

// ResetCalls forgets the recorded calls, the write count and the Stats.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = nil
	s.writes = 0
	s.stats = stats{}
}

// SetNotReady makes the next n WeChat invokes of name in env answer -501000
// "function is updating": a just-deployed function may not be ready yet.
func (s *Server) SetNotReady(env, name string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n <= 0 {
		delete(s.notReady, fnKey{env, name})
		return
	}
	s.notReady[fnKey{env, name}] = n
}

// newFunction is a function as WeChat makes it: Active at once, with the
// settings a WeChat cloud function gets by default.
func newFunction(env, name string, zip []byte, now time.Time) *function {
	f := &function{Function: Function{
		Env: env, Name: name,
		Runtime: "Nodejs18.15", Handler: "index.main", Timeout: 3, MemorySize: 256,
		InstallDependency: "TRUE", AddTime: now,
	}, settled: "Active"}
	f.setCode(zip, now)
	return f
}

// put stores f under both indexes (s.mu held).
func (s *Server) put(f *function) {
	s.funcs[fnKey{f.Env, f.Name}] = f
	m := s.byEnv[f.Env]
	if m == nil {
		m = map[string]*function{}
		s.byEnv[f.Env] = m
	}
	m[f.Name] = f
}

// remove deletes a function from both indexes (s.mu held).
func (s *Server) remove(env, name string) {
	delete(s.funcs, fnKey{env, name})
	if m := s.byEnv[env]; m != nil {
		delete(m, name)
		if len(m) == 0 {
			delete(s.byEnv, env)
		}
	}
}

// setCode stores a new version. zip is kept, never modified: one upload to
// several envs shares it.
func (f *function) setCode(zip []byte, now time.Time) {
	f.Zip = zip
	f.SHA256 = ""
	if len(zip) > 0 {
		f.SHA256 = sha256Hex(zip)
	}
	f.versions = append(f.versions, zip)
	f.Version = len(f.versions)
	f.ModTime = now
}

// begin starts a transient status that ends in settled (with reason when it
// fails) once the status delay has passed.
func (f *function) begin(pending string, now time.Time, settled string, reason *StatusReason) {
	f.pending, f.since, f.settled, f.reason = pending, now, settled, reason
}

// settle ends any transient status at once.
func (f *function) settle(settled string, reason *StatusReason) {
	f.pending, f.settled, f.reason = "", settled, reason
}

// status computes the status at now.
func (f *function) status(now time.Time, delay time.Duration) string {
	if f.pending != "" && now.Before(f.since.Add(delay)) {
		return f.pending
	}
	return f.settled
}

// busy reports whether the function is still being created or updated.
func (f *function) busy(now time.Time, delay time.Duration) bool {
	st := f.status(now, delay)
	return st == "Creating" || st == "Updating"
}

func (f *function) reasons(now time.Time, delay time.Duration) []StatusReason {
	if f.reason == nil || f.busy(now, delay) {
		return nil
	}
	return []StatusReason{*f.reason}
}

func (f *function) copy(now time.Time, delay time.Duration) Function {
	c := f.Function
	c.Zip = bytes.Clone(f.Zip)
	c.Environment = slices.Clone(f.Environment)
	c.Triggers = slices.Clone(f.Triggers)
	c.Status = f.status(now, delay)
	c.StatusReasons = f.reasons(now, delay)
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
	return len(env) > 0 && len(env) <= 64 && strings.IndexFunc(env, func(c rune) bool {
		return !(c < 128 && (isLetter(byte(c)) || isDigit(byte(c)))) && c != '-'
	}) < 0
}

// validFunctionName is Tencent SCF's rule (API-NOTES.md):
// ^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$.
func validFunctionName(name string) error {
	switch {
	case len(name) < 2 || len(name) > 60:
		return errors.New("must be 2 to 60 characters")
	case !isLetter(name[0]):
		return errors.New("must start with a letter")
	case !isLetter(name[len(name)-1]) && !isDigit(name[len(name)-1]):
		return errors.New("must end with a letter or digit")
	case strings.IndexFunc(name, func(c rune) bool {
		return !(c < 128 && (isLetter(byte(c)) || isDigit(byte(c)))) && c != '-' && c != '_'
	}) >= 0:
		return errors.New("may hold only letters, digits, '-' and '_'")
	}
	return nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
