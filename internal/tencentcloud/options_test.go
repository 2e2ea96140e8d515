package tencentcloud

import (
	"strings"
	"testing"
	"time"
)

func TestNewValidates(t *testing.T) {
	t.Parallel()
	keys := func(o *Options) { o.SecretID, o.SecretKey = testSecretID, testSecretKey }
	oidc := func(o *Options) { o.OIDC = &OIDC{RoleARN: "qcs::cam::uin/1:roleName/r", ProviderID: "gh"} }
	tests := []struct {
		name  string
		setup func(o *Options)
		err   string // "" means valid
	}{
		{"keys", keys, ""},
		{"temporary keys", func(o *Options) { keys(o); o.SessionToken = testToken }, ""},
		{"oidc", oidc, ""},
		{"nothing", func(o *Options) {}, "secret-id and secret-key"},
		{"id without key", func(o *Options) { o.SecretID = testSecretID }, "secret-id and secret-key"},
		{"token without keys", func(o *Options) { o.SessionToken = testToken }, "secret-id and secret-key"},
		{"keys and oidc", func(o *Options) { keys(o); oidc(o) }, "not both"},
		{"oidc without provider", func(o *Options) { o.OIDC = &OIDC{RoleARN: "qcs::cam::uin/1:roleName/r"} }, "oidc-provider-id"},
		{"oidc with a bad role", func(o *Options) { o.OIDC = &OIDC{RoleARN: "deploy", ProviderID: "gh"} }, "role-arn"},
		{"oidc too long", func(o *Options) { oidc(o); o.OIDC.Duration = 13 * time.Hour }, "duration"},
		{"oidc bad session name", func(o *Options) { oidc(o); o.OIDC.SessionName = "has space" }, "session name"},
		{"region", func(o *Options) { keys(o); o.Region = "Shanghai" }, "region"},
		{"api url with a path", func(o *Options) { keys(o); o.APIURL = "https://proxy.example/scf" }, "origin only"},
		{"api url with a query", func(o *Options) { keys(o); o.APIURL = "https://proxy.example/?x=1" }, "origin only"},
		{"api url not http", func(o *Options) { keys(o); o.APIURL = "ftp://proxy.example" }, "tencentcloud-api-url"},
		{"api url with a trailing slash", func(o *Options) { keys(o); o.APIURL = "http://127.0.0.1:8080/" }, ""},
		{"vpc without subnet", func(o *Options) { keys(o); o.VPCID = "vpc-1" }, "subnet-id"},
		{"negative retries", func(o *Options) { keys(o); o.Retries = -1 }, "negative"},
	}
	for _, tt := range tests {
		var o Options
		tt.setup(&o)
		_, err := New(o)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: err = %v, want one naming %q", tt.name, err, tt.err)
		}
		if err != nil {
			noSecrets(t, err.Error(), testSecretID)
		}
	}
}

func TestDefaults(t *testing.T) {
	t.Parallel()
	b, err := New(Options{SecretID: testSecretID, SecretKey: testSecretKey})
	if err != nil {
		t.Fatal(err)
	}
	o := b.opts
	if o.Region != "ap-shanghai" || o.Runtime != "Nodejs18.15" || o.Handler != "index.main" || o.Timeout != time.Minute ||
		o.PollInterval != time.Second || o.ReadyTimeout != 5*time.Minute || o.UploadBudget != 12<<20 || o.Transport == nil {
		t.Errorf("defaults %+v", o)
	}
	if b.scheme != "https" || b.endpoints["scf"] != "scf.tencentcloudapi.com" || b.endpoints["sts"] != "sts.tencentcloudapi.com" {
		t.Errorf("endpoints %s %v", b.scheme, b.endpoints)
	}
	if b.r.String(testSecretKey) != "***" {
		t.Error("the secret key was not given to the Redactor")
	}
	c, _ := New(Options{OIDC: &OIDC{RoleARN: "qcs::cam::uin/1:roleName/r", ProviderID: "gh"}, APIURL: "http://127.0.0.1:9000"})
	if a := c.opts.OIDC; a.Audience != "sts.tencentcloudapi.com" || a.SessionName != "wxcloud-deploy" || a.Duration != time.Hour {
		t.Errorf("OIDC defaults %+v", a)
	}
	if c.scheme != "http" || c.endpoints["scf"] != "127.0.0.1:9000" || c.endpoints["sts"] != "127.0.0.1:9000" {
		t.Errorf("one origin for both: %s %v", c.scheme, c.endpoints)
	}
	if b.Name() != "tencentcloud" || b.CallName("create") != "CreateFunction" || b.CallName("update") != "UpdateFunctionCode" {
		t.Error("names")
	}
}
