package wxcloud

import (
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

// A token endpoint's answer cut short must not quote the new token: it was
// never registered with the Redactor.
func TestSnippetMasksSecretValues(t *testing.T) {
	t.Parallel()
	token := "86_" + strings.Repeat("AbCdEf0123", 13)
	for _, body := range []string{
		`{"access_token":"` + token + `","expires_in":72`,
		`{"component_access_token":"` + token[:40],
		`{"errcode":0, "ACCESS_TOKEN" : "` + token + `"}`,
	} {
		_, err := decodeResponse(nil, []byte(body))
		if err == nil {
			continue
		}
		if msg := err.Error(); strings.Contains(msg, token[:12]) {
			t.Errorf("error quotes the token: %s", msg)
		}
	}
	if got := snippet(nil, []byte(`{"access_token":"`+token)); strings.Contains(got, "AbCdEf") || !strings.Contains(got, redact.Mask) {
		t.Errorf("snippet = %q", got)
	}
}
