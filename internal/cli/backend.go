package cli

import (
	"context"
	"fmt"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/httpx"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/tencentcloud"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/wxcloud"
)

// newBackend builds the backend the config names: the one place that knows
// both vendors. With --emulator it first starts the embedded emulator and
// points the backend at it with credentials the emulator accepts. stop ends
// the emulator.
func (p *program) newBackend(ctx context.Context) (be backend.Backend, stop func(), err error) {
	cfg := *p.cfg // a copy: the emulator's credentials do not belong to the run's config
	stop = func() {}
	if cfg.Emulator {
		ectx, cancel := context.WithCancel(ctx)
		srv := emulator.New(emulator.Options{Token: cfg.WeChat.AccessToken})
		url, err := srv.Start(ectx, "127.0.0.1:0")
		if err != nil {
			cancel()
			return nil, nil, fmt.Errorf("emulator: %w", err)
		}
		stop = cancel
		useEmulator(&cfg, srv, url)
		p.out.Line("using the embedded emulator at %s (%s API)", url, cfg.Provider)
	}
	// One limiter for every vendor call of the run: max-rps.
	transport := &httpx.Transport{Limiter: httpx.NewLimiter(cfg.MaxRPS)}
	switch cfg.Provider {
	case config.ProviderTencentCloud:
		be, err = p.tencentCloud(&cfg, transport)
	default:
		be = p.weChat(&cfg, transport)
	}
	if err != nil {
		stop()
		return nil, nil, err
	}
	return be, stop, nil
}

// useEmulator points cfg at the emulator with the credentials it accepts.
func useEmulator(cfg *config.Config, srv *emulator.Server, url string) {
	cfg.WeChat.APIBaseURL = url
	if !cfg.WeChat.HasAccess() {
		cfg.WeChat.AccessToken = srv.Token()
	}
	if !cfg.WeChat.HasComponent() {
		cfg.WeChat.ComponentAccessToken = srv.Token()
	}
	t := &cfg.TencentCloud
	t.APIURL, t.Region = url, srv.Region()
	t.SecretID, t.SecretKey, t.SessionToken, t.RoleARN = srv.SecretID(), srv.SecretKey(), "", ""
}

func (p *program) weChat(cfg *config.Config, transport *httpx.Transport) backend.Backend {
	w := cfg.WeChat
	client := wxcloud.NewClient(httpx.NewClient(transport),
		wxcloud.WithBaseURL(w.APIBaseURL),
		wxcloud.WithRetries(cfg.Retries),
		wxcloud.WithTimeout(cfg.Timeout),
		wxcloud.WithRedactor(p.out.Redactor()),
		wxcloud.WithLogf(p.out.Line),
	)
	var access, component wxcloud.TokenSource
	switch {
	case w.AccessToken != "":
		access = wxcloud.StaticToken(w.AccessToken)
	case w.AppID != "":
		access = p.maskFetched(wxcloud.StableToken(client, w.AppID, w.AppSecret))
	}
	switch {
	case w.ComponentAccessToken != "":
		component = wxcloud.StaticToken(w.ComponentAccessToken)
	case w.ComponentAppID != "":
		component = p.maskFetched(wxcloud.ComponentToken(client, w.ComponentAppID, w.ComponentAppSecret, w.ComponentVerifyTicket))
	}
	wxcloud.WithTokens(access, component)(client)
	return wxcloud.NewBackend(client, wxcloud.BackendOptions{
		VPCID: cfg.VPCID, SubnetID: cfg.SubnetID, EnvsPerCall: w.EnvsPerCall,
		// A platform holding only the component token invokes "on behalf,
		// in batch"; with the authorizer's token it invokes as usual.
		BatchInvoke: !w.HasAccess(),
		// How long a batch upload may take to show in downloadfunction:
		// the same patience as one request.
		ReadyTimeout: cfg.Timeout,
	})
}

func (p *program) tencentCloud(cfg *config.Config, transport *httpx.Transport) (backend.Backend, error) {
	t := cfg.TencentCloud
	opts := tencentcloud.Options{
		SecretID: t.SecretID, SecretKey: t.SecretKey, SessionToken: t.SessionToken,
		Region: t.Region, APIURL: t.APIURL, Runtime: t.Runtime, Handler: t.Handler,
		InstallDependency: t.InstallDependency, VPCID: cfg.VPCID, SubnetID: cfg.SubnetID,
		Timeout: cfg.Timeout, Retries: cfg.Retries, Transport: transport,
		Redactor: p.out.Redactor(), Logf: p.out.Line,
	}
	if t.Keyless() {
		opts.OIDC = &tencentcloud.OIDC{RoleARN: t.RoleARN, ProviderID: t.OIDCProviderID, Audience: t.OIDCAudience,
			RequestURL: t.OIDCRequestURL, RequestToken: t.OIDCRequestToken}
	}
	return tencentcloud.New(opts)
}

// maskFetched masks every token a source fetches, before anything could
// print it.
func (p *program) maskFetched(src wxcloud.TokenSource) wxcloud.TokenSource {
	return maskingSource{src: src, mask: func(tok string) { p.out.Mask(tok) }}
}

type maskingSource struct {
	src  wxcloud.TokenSource
	mask func(string)
}

func (m maskingSource) Token(ctx context.Context) (string, error) {
	t, err := m.src.Token(ctx)
	if t != "" {
		m.mask(t)
	}
	return t, err
}

func (m maskingSource) Refresh(ctx context.Context) (string, error) {
	t, err := m.src.Refresh(ctx)
	if t != "" {
		m.mask(t)
	}
	return t, err
}

// emulatorLog shows the in-process emulator's request lines as progress,
// marked as its own.
func (p *program) emulatorLog(format string, args ...any) {
	p.out.Line("emulator: %s", strings.TrimSpace(fmt.Sprintf(format, args...)))
}
