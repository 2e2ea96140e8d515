package testkit

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"
	tchttp "github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/http"
	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common/profile"
)

// SCF sends one SCF 2018-04-16 action to the emulator the way another tool
// would (the console, tcb, a colleague's script): through the Tencent Cloud
// SDK's common client, signed with the emulator's key pair in its region.
// It returns the Response object and fails the test on any error. The call
// is recorded like any other: call ResetCalls before counting the
// program's own.
func (e *Emulator) SCF(t testing.TB, action string, params map[string]any) map[string]any {
	t.Helper()
	cpf := profile.NewClientProfile()
	cpf.HttpProfile.Endpoint = strings.TrimPrefix(e.URL, "http://")
	cpf.HttpProfile.Scheme = "HTTP"
	cpf.HttpProfile.ReqTimeout = 30
	c := common.NewCommonClient(common.NewCredential(e.SecretID(), e.SecretKey()), e.Region(), cpf)
	req := tchttp.NewCommonRequest("scf", "2018-04-16", action)
	if err := req.SetActionParameters(params); err != nil {
		t.Fatalf("SCF %s: %v", action, err)
	}
	resp := tchttp.NewCommonResponse()
	if err := c.Send(req, resp); err != nil {
		t.Fatalf("SCF %s: %v", action, err)
	}
	var env struct{ Response map[string]any }
	if err := json.Unmarshal(resp.GetBody(), &env); err != nil {
		t.Fatalf("SCF %s: the answer is not JSON: %v", action, err)
	}
	return env.Response
}

// OIDCEnv is what a GitHub Actions job with permissions id-token: write
// holds: ACTIONS_ID_TOKEN_REQUEST_URL and _TOKEN, pointing at the
// emulator's fake GitHub OIDC endpoint.
func (e *Emulator) OIDCEnv() map[string]string {
	return map[string]string{
		"ACTIONS_ID_TOKEN_REQUEST_URL":   e.OIDCRequestURL(e.URL),
		"ACTIONS_ID_TOKEN_REQUEST_TOKEN": e.OIDCRequestToken(),
	}
}

// Keyless is the tencentcloud provider's keyless inputs against this
// emulator: role-arn and oidc-provider-id, no key pair. The run also needs
// OIDCEnv in its environment.
func (e *Emulator) Keyless(roleARN, providerID string) Inputs {
	return Inputs{
		"provider":             "tencentcloud",
		"tencentcloud-api-url": e.URL,
		"region":               e.Region(),
		"role-arn":             roleARN,
		"oidc-provider-id":     providerID,
	}
}
