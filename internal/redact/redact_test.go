package redact

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"
)

const testToken = "TOKEN-abc123XYZ"

func TestString(t *testing.T) {
	t.Parallel()
	r := New(testToken, "short", "")
	r.Add("secret with space&=")
	tests := []struct{ name, in, want string }{
		{"known secret", "token " + testToken + " here", "token *** here"},
		{"short strings are not secrets", "a short text", "a short text"},
		{"query-escaped secret", "x=" + url.QueryEscape("secret with space&="), "x=***"},
		{"access_token in a URL", "https://api/x?access_token=OTHER-TOKEN&env=dev", "https://api/x?access_token=***&env=dev"},
		{"component_access_token", "?component_access_token=abc123def", "?component_access_token=***"},
		{"authorizer_access_token", "?authorizer_access_token=abc123def&b=1", "?authorizer_access_token=***&b=1"},
		{"secret and appsecret", "secret=s1&appsecret=s2&component_appsecret=s3", "secret=***&appsecret=***&component_appsecret=***"},
		{"verify ticket", "component_verify_ticket=ticket@@!", "component_verify_ticket=***"},
		{"url-encoded inner URL", "next=https%3A%2F%2Fa%2F%3Faccess_token%3DINNER%2Bx%26env%3Ddev", "next=https%3A%2F%2Fa%2F%3Faccess_token%3D***%26env%3Ddev"},
		{"case-insensitive key", "ACCESS_TOKEN=abc", "ACCESS_TOKEN=***"},
		{"JSON field", `{"access_token":"LEAKED-VALUE","expires_in":7200}`, `{"access_token":"***","expires_in":7200}`},
		{"JSON secret with spaces", `{"secret" : "xyz\"q"}`, `{"secret" : "***"}`},
		{"JSON value cut before its quote", `{"access_token":"LEAKED-VAL`, `{"access_token":"***`},
		{"Tencent Cloud STS answer", `{"Credentials":{"Token":"tok-1","TmpSecretId":"AKID1","TmpSecretKey":"k-2"}}`, `{"Credentials":{"Token":"***","TmpSecretId":"AKID1","TmpSecretKey":"***"}}`},
		{"unrelated params", "env=dev&name=login", "env=dev&name=login"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			if got := r.String(tt.in); got != tt.want {
				t.Errorf("String(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
	var nilR *Redactor
	if got := nilR.String("access_token=abc " + testToken); got != "access_token=*** "+testToken {
		t.Errorf("nil Redactor: %q", got)
	}
	nilR.Add(testToken) // must not panic
}

func TestLongestFirst(t *testing.T) {
	t.Parallel()
	r := New("ABCDEF", "ABCDEFGHIJ")
	if got := r.String("xABCDEFGHIJx"); got != "x***x" {
		t.Errorf("got %q, want the longer secret masked whole", got)
	}
}

// TestBase64 hides a secret inside base64 text at every offset: no run of
// the secret's own encoding survives, whatever bytes surround it.
func TestBase64(t *testing.T) {
	t.Parallel()
	secret := "s3cr3t-Value-0123456789"
	r := New(secret)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
		for pre := range 6 {
			plain := strings.Repeat("p", pre) + `{"x":"` + secret + `"} trailing`
			b64 := enc.EncodeToString([]byte(plain))
			got := r.String("data: " + b64)
			if !strings.Contains(got, Mask) {
				t.Errorf("prefix %d: secret inside base64 not masked: %s", pre, got)
			}
			// What survives must not decode to a recognisable part of it.
			for _, part := range strings.Split(got, Mask) {
				part = strings.TrimPrefix(part, "data: ")
				for start := 0; start < len(part); start++ {
					for end := start + 8; end <= len(part); end += 4 {
						dec, err := enc.DecodeString(part[start:end])
						if err == nil && strings.Contains(string(dec), secret[:8]) {
							t.Errorf("prefix %d: %q still decodes to part of the secret", pre, part[start:end])
						}
					}
				}
			}
		}
	}
}

func TestError(t *testing.T) {
	t.Parallel()
	r := New(testToken)
	ue := &url.Error{Op: "Post", URL: "https://api/x?access_token=" + testToken, Err: context.DeadlineExceeded}
	typed := &typedErr{}
	err := r.Error(fmt.Errorf("wrapped %s: %w", testToken, errors.Join(ue, typed)))
	if strings.Contains(err.Error(), testToken) {
		t.Errorf("Error() leaks: %s", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Error("errors.Is(DeadlineExceeded) lost")
	}
	var gotTyped *typedErr
	if !errors.As(err, &gotTyped) || gotTyped != typed {
		t.Error("errors.As(*typedErr) lost")
	}
	var gotURL *url.Error
	if !errors.As(err, &gotURL) {
		t.Fatal("errors.As(*url.Error) lost")
	}
	if strings.Contains(gotURL.URL+gotURL.Error(), testToken) {
		t.Errorf("url.Error from As leaks: %s", gotURL.URL)
	}
	if !gotURL.Timeout() {
		t.Error("the sanitised url.Error no longer reports a timeout")
	}
	if errors.Unwrap(err) != nil {
		t.Error("Unwrap must not hand out the raw chain")
	}
	if r.Error(err) != err {
		t.Error("redacting twice should not wrap twice")
	}
	if r.Error(nil) != nil {
		t.Error("Error(nil) != nil")
	}
}

type typedErr struct{}

func (*typedErr) Error() string { return "typed" }
