package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
)

// Inputs of one backend only: given to the other, they are a mistake worth
// stopping for (a Mini Program team pasting a token into the Tencent Cloud
// path, or keys into the WeChat one).
var (
	wechatOnly       = []string{"access-token", "component-access-token", "appid", "app-secret", "component-appid", "component-appsecret", "component-verify-ticket"}
	tencentcloudOnly = []string{"secret-id", "secret-key", "session-token", "role-arn", "oidc-provider-id"}
)

// checkProvider resolves provider: auto picks tencentcloud when its
// credentials are given (or for the embedded emulator, whose Tencent Cloud
// API needs nothing from the user), else wechat.
func (b *builder) checkProvider() {
	c := b.cfg
	if b.bad["provider"] || c.Provider != ProviderAuto {
		return
	}
	c.Provider = ProviderWeChat
	if b.set["secret-id"] || b.set["role-arn"] || (c.Emulator && !b.anySet(wechatOnly)) {
		c.Provider = ProviderTencentCloud
	}
}

func (b *builder) anySet(names []string) bool {
	for _, n := range names {
		if b.set[n] {
			return true
		}
	}
	return false
}

// checkCredentials: the API commands need a way to authenticate with the
// chosen backend. Messages name inputs, never their values.
func (b *builder) checkCredentials() {
	c := b.cfg
	if !c.Command.API() || b.bad["provider"] {
		return
	}
	other := tencentcloudOnly
	if c.Provider == ProviderTencentCloud {
		other = wechatOnly
	}
	for _, n := range other {
		if b.set[n] && !b.bad[n] {
			b.fail(n, "", fmt.Sprintf("is not used by the %s provider (remove it, or set provider to the backend it belongs to)", c.Provider))
		}
	}
	switch c.Provider {
	case ProviderWeChat:
		b.checkAPIBaseURL()
		if !c.Emulator {
			b.checkWeChatCredentials()
		}
	case ProviderTencentCloud:
		b.checkTencentCloudURL()
		if !c.Emulator {
			b.checkTencentCloudCredentials()
		}
	}
	if c.SubnetID != "" && c.VPCID == "" && !b.bad["vpc-id"] {
		b.fail("vpc-id", "", "is required when subnet-id is set (the subnet belongs to a VPC)")
	}
}

// pair reports an input given without its partner.
func (b *builder) pair(a, bName string) bool {
	switch {
	case b.set[a] && !b.set[bName] && !b.bad[bName]:
		b.fail(bName, "", "is required when "+a+" is set")
	case !b.set[a] && b.set[bName] && !b.bad[a]:
		b.fail(a, "", "is required when "+bName+" is set")
	default:
		return true
	}
	return false
}

// batchAPIHelp is the one explanation of who can use WeChat's batch API.
const batchAPIHelp = "WeChat's batch upload calls (batchuploadscf, batchuploadscfcode) are third-party platform APIs and take a component_access_token: " +
	"set component-access-token (or component-appid + component-appsecret + component-verify-ticket). " +
	"A Mini Program team deploying its own envs uses the Tencent Cloud API instead: provider: tencentcloud with secret-id + secret-key, or keyless role-arn + oidc-provider-id"

func (b *builder) checkWeChatCredentials() {
	c := b.cfg
	reported := len(b.errs)
	b.pair("appid", "app-secret")
	b.componentTrio()
	if len(b.errs) > reported || b.anyBad(wechatOnly) {
		return // already said what is wrong with the credentials given
	}
	w := c.WeChat
	switch c.Command {
	case Deploy:
		if !w.HasComponent() {
			b.fail("component-access-token", "", "is required to deploy with the wechat provider: "+batchAPIHelp)
			return
		}
		if !w.HasAccess() {
			b.warnf("no access-token (or appid + app-secret): without the authorizer's token downloadfunction cannot probe the envs, so there is no skip-unchanged and no backup for rollback; create/update is decided by the upload's own answer")
		}
	case Create, Download:
		if !w.HasAccess() {
			b.fail("access-token", "", "is required for "+string(c.Command)+": "+string(c.Command)+"function takes the authorizer_access_token (or the Mini Program's access_token), not the component token (set access-token, or appid + app-secret)")
		}
	case Invoke:
		if !w.HasAccess() && !w.HasComponent() {
			b.fail("access-token", "", "is required for invoke: set access-token (or appid + app-secret), or component-access-token for a platform invoking in batch mode")
		}
	}
}

func (b *builder) anyBad(names []string) bool {
	for _, n := range names {
		if b.bad[n] {
			return true
		}
	}
	return false
}

func (b *builder) componentTrio() {
	trio := []string{"component-appid", "component-appsecret", "component-verify-ticket"}
	var given, missing []string
	for _, n := range trio {
		if b.set[n] {
			given = append(given, n)
		} else {
			missing = append(missing, n)
		}
	}
	if len(given) > 0 && len(missing) > 0 {
		for _, m := range missing {
			b.fail(m, "", "is required when "+strings.Join(given, " and ")+" is set (the component token needs all three)")
		}
	}
}

var roleARNPattern = regexp.MustCompile(`^qcs::cam::uin/[0-9]{1,20}:roleName/[A-Za-z0-9_+=,.@-]{1,128}$`)

func (b *builder) checkTencentCloudCredentials() {
	t := &b.cfg.TencentCloud
	keys := b.set["secret-id"] || b.set["secret-key"]
	switch {
	case keys && b.set["role-arn"]:
		b.fail("role-arn", "", "cannot be combined with secret-id/secret-key (keyless OIDC or a key pair, not both)")
	case keys:
		if b.pair("secret-id", "secret-key") && b.set["session-token"] {
			b.warnf("session-token is set: the keys are temporary and stop working when it expires")
		}
	case b.set["role-arn"]:
		b.checkKeyless(t)
	default:
		b.fail("secret-id", "", "is required for the tencentcloud provider: set secret-id + secret-key (a CAM sub-account's API key, as secrets), or keyless role-arn + oidc-provider-id with permissions: id-token: write")
		return
	}
	if b.set["session-token"] && !keys {
		b.fail("session-token", "", "needs secret-id and secret-key (it belongs to a temporary key pair)")
	}
}

func (b *builder) checkKeyless(t *TencentCloud) {
	if !roleARNPattern.MatchString(t.RoleARN) {
		b.fail("role-arn", t.RoleARN, "is not a CAM role ARN (qcs::cam::uin/<account uin>:roleName/<role name>)")
	}
	if t.OIDCProviderID == "" {
		b.fail("oidc-provider-id", "", "is required with role-arn (the name of the CAM OIDC identity provider that trusts GitHub)")
	}
	t.OIDCRequestURL = b.in.getenv("ACTIONS_ID_TOKEN_REQUEST_URL")
	t.OIDCRequestToken = b.in.getenv("ACTIONS_ID_TOKEN_REQUEST_TOKEN")
	if t.OIDCRequestURL == "" || t.OIDCRequestToken == "" {
		b.fail("role-arn", "", "needs GitHub's OIDC token, and ACTIONS_ID_TOKEN_REQUEST_URL is not set: give the job permissions: id-token: write (outside GitHub Actions use secret-id + secret-key)")
	}
}

func (b *builder) checkAPIBaseURL() {
	c := b.cfg
	if c.Emulator || b.bad["api-base-url"] {
		return
	}
	if u, ok := b.checkURL("api-base-url", c.WeChat.APIBaseURL, true); ok {
		c.WeChat.APIBaseURL = strings.TrimRight(u, "/")
	}
}

func (b *builder) checkTencentCloudURL() {
	c := b.cfg
	if c.Emulator || b.bad["tencentcloud-api-url"] || c.TencentCloud.APIURL == "" {
		return
	}
	if u, ok := b.checkURL("tencentcloud-api-url", c.TencentCloud.APIURL, false); ok {
		c.TencentCloud.APIURL = strings.TrimRight(u, "/")
	}
}

// checkURL validates an API origin. Plain http to another host is allowed (a
// mock on a CI service network, a TLS-terminating sidecar) but said loudly:
// tokens travel in it.
func (b *builder) checkURL(input, v string, pathOK bool) (string, bool) {
	u, msg := urlProblem(v, pathOK)
	if msg != "" {
		shown := v
		if u != nil && u.User != nil {
			shown = "" // the user-info part may be a password
		}
		b.fail(input, shown, msg)
		return "", false
	}
	if u.Scheme == "http" && !isLoopback(u.Hostname()) {
		b.warnf("%s %q uses plain http to a host that is not loopback: credentials travel unencrypted; use https", input, v)
	}
	return v, true
}

func urlProblem(v string, pathOK bool) (*url.URL, string) {
	u, err := url.Parse(v)
	switch {
	case err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "":
		return u, "is not an absolute URL (e.g. https://api.example.com)"
	case u.User != nil:
		return u, "must not contain user:password@ (credentials in the URL would be logged)"
	case u.Scheme != "https" && u.Scheme != "http":
		return u, "must use https"
	case u.RawQuery != "" || u.ForceQuery:
		return u, "must not have a query"
	case u.Fragment != "" || strings.Contains(v, "#"):
		return u, "must not have a fragment (remove the # part)"
	case !pathOK && strings.Trim(u.Path, "/") != "":
		return u, "must be an origin without a path (scheme://host[:port]): the API is served at /"
	}
	return u, ""
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
