package tencentcloud

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	"golang.org/x/sync/semaphore"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/httpx"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

// Defaults, from manager-node where it has one (API-NOTES-TENCENTCLOUD.md §1).
const (
	DefaultRegion       = "ap-shanghai"
	DefaultRuntime      = "Nodejs18.15"
	DefaultHandler      = "index.main"
	DefaultAudience     = "sts.tencentcloudapi.com"
	DefaultSessionName  = "wxcloud-deploy"
	DefaultOIDCDuration = time.Hour
	defaultTimeout      = 60 * time.Second
	defaultPoll         = time.Second
	// manager-node's waitFunctionActive gives up after 300 s.
	defaultReadyTimeout = 5 * time.Minute
	defaultUploadBudget = 12 << 20
	// minUploadWeight is what a small upload costs of the budget: at most
	// 48 of them at once, whatever their size.
	minUploadWeight = 256 << 10
	// STS refuses DurationSeconds above 43200 (sts models).
	maxOIDCDuration = 12 * time.Hour
)

// Options configures a Backend. The zero value of every field but the
// credentials has a default.
type Options struct {
	// Credentials: either a key pair (SessionToken for temporary keys) or OIDC.
	SecretID, SecretKey, SessionToken string
	// OIDC gets temporary keys keyless from GitHub Actions; nil when keys
	// are given.
	OIDC *OIDC
	// Region is sent as X-TC-Region: the env's region. Default "ap-shanghai".
	Region string
	// APIURL is "" for https://<service>.tencentcloudapi.com per service, or
	// one origin (scheme://host[:port], no path) for both scf and sts:
	// proxies, the emulator.
	APIURL string
	// Runtime and Handler are used at create (Handler also with every code
	// update, where SCF takes it); defaults "Nodejs18.15", "index.main".
	// Settings of an UploadRequest override them.
	Runtime, Handler string
	// InstallDependency is sent as "TRUE"/"FALSE" on create and on every
	// code update (cloud npm install).
	InstallDependency bool
	// VPCID and SubnetID become VpcConfig at create, when set.
	VPCID, SubnetID string
	// Timeout bounds each HTTP attempt (the SDK's ReqTimeout) and also the
	// sum of the waits between one call's retries. Default 60 s.
	Timeout time.Duration
	// Retries is how many times a transient failure is retried.
	Retries int
	// Transport is the guarded httpx.Transport (with the run's limiter);
	// nil means &httpx.Transport{}.
	Transport http.RoundTripper
	// Redactor learns every secret and fetched token; nil means a new one.
	Redactor *redact.Redactor
	// Logf hears retry and wait notices, already redacted.
	Logf func(format string, args ...any)
	// Now and Sleep are the clock (token expiry, readiness deadline) and
	// the wait between polls and retries.
	Now   func() time.Time
	Sleep func(ctx context.Context, d time.Duration) error
	// PollInterval is the GetFunction polling period while waiting for
	// Active (default 1 s, as manager-node).
	PollInterval time.Duration
	// ReadyTimeout bounds WaitReady and every wait for a busy function
	// (default 5 min, manager-node's 300 s).
	ReadyTimeout time.Duration
	// UploadBudget bounds the zip bytes of the uploads in flight at once
	// across the backend: each holds the zip as a base64 string, and the
	// SDK makes two more copies of the JSON body while sending (about 4x the
	// zip in all), so this is the memory bound. A budget rather than a
	// count lets many small functions go at once while large ones queue.
	// Default 12 MiB; an upload larger than the budget goes alone.
	UploadBudget int64
}

// OIDC is keyless authentication from GitHub Actions: GitHub's OIDC token
// exchanged with STS AssumeRoleWithWebIdentity for temporary keys.
type OIDC struct {
	// RoleARN is the CAM role to assume: qcs::cam::uin/<uin>:roleName/<name>.
	RoleARN string
	// ProviderID is the CAM OIDC identity provider's name.
	ProviderID string
	// Audience is requested from GitHub and must be one of the provider's
	// client IDs. Default "sts.tencentcloudapi.com".
	Audience string
	// RequestURL and RequestToken are ACTIONS_ID_TOKEN_REQUEST_URL and
	// ACTIONS_ID_TOKEN_REQUEST_TOKEN; GitHub sets them only for jobs with
	// `permissions: id-token: write`.
	RequestURL, RequestToken string
	// SessionName is the RoleSessionName (default "wxcloud-deploy").
	SessionName string
	// Duration is how long the temporary keys last (default 1 h, at most
	// 12 h); they are refreshed before they expire.
	Duration time.Duration
}

// Backend is the Tencent Cloud backend. It is safe for concurrent use.
type Backend struct {
	opts      Options
	transport http.RoundTripper
	r         *redact.Redactor
	// scheme is "https" or "http"; endpoints maps "scf"/"sts" to host[:port].
	scheme    string
	endpoints map[string]string
	creds     credentialSource
	uploads   *semaphore.Weighted
	// recent holds the last Active GetFunction answer per function and env
	// (remember/forget).
	recent sync.Map
}

var (
	regionRE      = regexp.MustCompile(`^[a-z]{2,}(-[a-z0-9]+)+$`)
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,128}$`)
)

// New validates opts and returns a Backend. It sends nothing.
func New(opts Options) (*Backend, error) {
	if common.DefaultHttpClient != nil {
		// Init would hand every client that one shared http.Client, and
		// setting our transport and timeout on it would race with its
		// other users.
		return nil, errors.New("tencentcloud: the SDK's common.DefaultHttpClient is set; this backend needs clients of its own (leave it nil)")
	}
	if err := setDefaults(&opts); err != nil {
		return nil, err
	}
	b := &Backend{
		opts:      opts,
		transport: opts.Transport,
		r:         opts.Redactor,
		uploads:   semaphore.NewWeighted(opts.UploadBudget),
	}
	if err := b.setEndpoints(opts.APIURL); err != nil {
		return nil, err
	}
	creds, err := b.newCredentialSource()
	if err != nil {
		return nil, err
	}
	b.creds = creds
	return b, nil
}

func setDefaults(o *Options) error {
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	if !regionRE.MatchString(o.Region) {
		return fmt.Errorf("region: %q is not a Tencent Cloud region (like ap-shanghai or ap-guangzhou)", o.Region)
	}
	o.Runtime = cmp.Or(o.Runtime, DefaultRuntime)
	o.Handler = cmp.Or(o.Handler, DefaultHandler)
	if o.Timeout < 0 || o.Retries < 0 || o.PollInterval < 0 || o.ReadyTimeout < 0 || o.UploadBudget < 0 {
		return errors.New("tencentcloud: timeout, retries, poll interval, ready timeout and upload budget cannot be negative")
	}
	if (o.VPCID == "") != (o.SubnetID == "") {
		return errors.New("vpc-id and subnet-id: set both or neither")
	}
	setRunDefaults(o)
	return checkCredentials(o)
}

// setRunDefaults fills what the run hands in: transport, redactor, clock,
// and the bounds of waiting.
func setRunDefaults(o *Options) {
	o.Timeout = cmp.Or(o.Timeout, defaultTimeout)
	o.PollInterval = cmp.Or(o.PollInterval, defaultPoll)
	o.ReadyTimeout = cmp.Or(o.ReadyTimeout, defaultReadyTimeout)
	o.UploadBudget = cmp.Or(o.UploadBudget, defaultUploadBudget)
	if o.Transport == nil {
		o.Transport = &httpx.Transport{}
	}
	if o.Redactor == nil {
		o.Redactor = redact.New()
	}
	if o.Logf == nil {
		o.Logf = func(string, ...any) {}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = httpx.Sleep
	}
}

func checkCredentials(o *Options) error {
	keys := o.SecretID != "" || o.SecretKey != "" || o.SessionToken != ""
	switch {
	case keys && o.OIDC != nil:
		return errors.New("secret-id/secret-key and role-arn: give either an API key pair or keyless OIDC, not both")
	case o.OIDC != nil:
		c := *o.OIDC // defaults go into our copy, not the caller's
		o.OIDC = &c
		return checkOIDC(o.OIDC)
	case o.SecretID == "" || o.SecretKey == "":
		return errors.New("tencentcloud: secret-id and secret-key are both required (or role-arn with oidc-provider-id for keyless auth from GitHub Actions)")
	}
	o.Redactor.Add(o.SecretID, o.SecretKey, o.SessionToken)
	return nil
}

func checkOIDC(c *OIDC) error {
	if c.RoleARN == "" || c.ProviderID == "" {
		return errors.New("role-arn and oidc-provider-id: keyless auth needs both (the CAM role to assume and the name of the CAM OIDC provider for GitHub)")
	}
	if !strings.HasPrefix(c.RoleARN, "qcs::cam::") {
		return fmt.Errorf("role-arn: %q is not a CAM role ARN (qcs::cam::uin/<uin>:roleName/<name>)", c.RoleARN)
	}
	if c.Audience == "" {
		c.Audience = DefaultAudience
	}
	if c.SessionName == "" {
		c.SessionName = DefaultSessionName
	}
	if !sessionNameRE.MatchString(c.SessionName) {
		return fmt.Errorf("oidc session name: %q must be 2-128 letters, digits or +=,.@-_", c.SessionName)
	}
	if c.Duration == 0 {
		c.Duration = DefaultOIDCDuration
	}
	if c.Duration < time.Second || c.Duration > maxOIDCDuration {
		return fmt.Errorf("oidc duration: %s is outside what STS grants (1s to 12h)", c.Duration)
	}
	return nil
}

// setEndpoints resolves the API origin: the vendor's per-service hosts, or
// one origin for every service (the emulator serves scf and sts together).
func (b *Backend) setEndpoints(apiURL string) error {
	if apiURL == "" {
		b.scheme = "https"
		b.endpoints = map[string]string{"scf": "scf.tencentcloudapi.com", "sts": "sts.tencentcloudapi.com"}
		return nil
	}
	u, err := url.Parse(strings.TrimSuffix(apiURL, "/"))
	if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("tencentcloud-api-url: %q is not an http(s) origin like https://proxy.example.com:8443", apiURL)
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		// The SDK signs the host and posts to "/": a path would be dropped
		// from the signature, and credentials in the URL would travel in
		// clear to whoever logs it.
		return fmt.Errorf("tencentcloud-api-url: %q must be an origin only (scheme://host[:port]), without path, query or user info", apiURL)
	}
	b.scheme = u.Scheme
	b.endpoints = map[string]string{"scf": u.Host, "sts": u.Host}
	return nil
}

// log sends a notice through Logf, redacted.
func (b *Backend) log(format string, args ...any) {
	b.opts.Logf("%s", b.r.String(fmt.Sprintf(format, args...)))
}
