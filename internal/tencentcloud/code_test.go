package tencentcloud

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
)

func TestNormalizeSHA256(t *testing.T) {
	t.Parallel()
	sum := sha256.Sum256([]byte("code"))
	hexSum := hex.EncodeToString(sum[:])
	tests := []struct {
		in, want string
		ok       bool
	}{
		{hexSum, hexSum, true},
		{strings.ToUpper(hexSum), hexSum, true},
		{" " + hexSum + "\n", hexSum, true},
		{base64.StdEncoding.EncodeToString(sum[:]), hexSum, true},
		{base64.RawURLEncoding.EncodeToString(sum[:]), hexSum, true},
		{base64.StdEncoding.EncodeToString(sum[:16]), "", false},
		{hexSum[:62], "", false},
		{"", "", false},
	}
	for _, tt := range tests {
		if got, ok := normalizeSHA256(tt.in); got != tt.want || ok != tt.ok {
			t.Errorf("normalizeSHA256(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestFetchCode(t *testing.T) {
	t.Parallel()
	const code = "PK\x03\x04 zip bytes of the deployed code"
	const sig = "q-signature=0123456789abcdefSECRET"
	tests := []struct {
		name    string
		handler func(w http.ResponseWriter, r *http.Request, n int)
		limit   int64
		want    string
		kind    backend.Kind
		msg     []string
		calls   int32
	}{
		{"ok", func(w http.ResponseWriter, r *http.Request, n int) { w.Write([]byte(code)) }, 1 << 20, code, 0, nil, 1},
		{"exactly the limit", func(w http.ResponseWriter, r *http.Request, n int) { w.Write([]byte(code)) }, int64(len(code)), code, 0, nil, 1},
		{"over the limit, by Content-Length", func(w http.ResponseWriter, r *http.Request, n int) { w.Write([]byte(code)) }, 10, "",
			backend.KindOther, []string{"more than 10 bytes", "size-limit"}, 1},
		{"over the limit, streamed", func(w http.ResponseWriter, r *http.Request, n int) {
			w.Write([]byte(code[:8]))
			w.(http.Flusher).Flush()
			w.Write([]byte(code[8:]))
		}, 10, code[:10], backend.KindOther, []string{"more than 10 bytes"}, 1},
		{"expired link", func(w http.ResponseWriter, r *http.Request, n int) {
			http.Error(w, "AccessDenied "+sig, http.StatusForbidden)
		}, 1 << 20, "",
			backend.KindUnreachable, []string{"HTTP 403", "expired", "/code.zip"}, 1},
		{"a 503 is retried", func(w http.ResponseWriter, r *http.Request, n int) {
			if n == 1 {
				http.Error(w, "busy", http.StatusServiceUnavailable)
				return
			}
			w.Write([]byte(code))
		}, 1 << 20, code, 0, nil, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.Header.Get("Authorization") != "" {
					t.Error("the code link is pre-signed: no Authorization")
				}
				tt.handler(w, r, int(calls.Add(1)))
			}))
			defer srv.Close()
			k := newKit(t, nil)
			var buf bytes.Buffer
			n, err := k.b.FetchCode(context.Background(), backend.Deployed{CodeURL: srv.URL + "/code.zip?" + sig}, &buf, tt.limit)
			if (tt.msg == nil) != (err == nil) || err != nil && backend.KindOf(err) != tt.kind {
				t.Fatalf("err = %v (kind %v), want kind %v", err, backend.KindOf(err), tt.kind)
			}
			if buf.String() != tt.want || n != int64(len(tt.want)) {
				t.Errorf("wrote %q (n=%d), want %q", buf.String(), n, tt.want)
			}
			for _, m := range tt.msg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q lacks %q", err, m)
				}
			}
			if err != nil && strings.Contains(err.Error(), "SECRET") {
				t.Errorf("the link's signature leaked: %q", err)
			}
			if calls.Load() != tt.calls {
				t.Errorf("%d requests, want %d", calls.Load(), tt.calls)
			}
		})
	}
}

func TestFetchCodeRefusesAnotherOrigin(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.RedirectHandler("http://elsewhere.invalid/code.zip", http.StatusFound))
	defer srv.Close()
	k := newKit(t, nil)
	_, err := k.b.FetchCode(context.Background(), backend.Deployed{CodeURL: srv.URL + "/x?sign=abc"}, &bytes.Buffer{}, 100)
	if backend.KindOf(err) != backend.KindUnreachable || !strings.Contains(err.Error(), "elsewhere.invalid") || strings.Contains(err.Error(), "sign=abc") {
		t.Errorf("err = %v", err)
	}
}

func TestFetchCodeNeedsALink(t *testing.T) {
	t.Parallel()
	k := newKit(t, nil)
	if _, err := k.b.FetchCode(context.Background(), backend.Deployed{Exists: backend.Exists}, &bytes.Buffer{}, 100); err == nil {
		t.Error("no error without a link")
	}
}

func TestEncodeZip(t *testing.T) {
	t.Parallel()
	z := testZip(t, "hello zip")
	got, err := encodeZip(z)
	if err != nil || got != base64.StdEncoding.EncodeToString([]byte("hello zip")) {
		t.Errorf("encodeZip = %q, %v", got, err)
	}
	z.Size++
	if _, err := encodeZip(z); err == nil {
		t.Error("a short package was accepted")
	}
	if _, err := encodeZip(backend.Zip{}); err == nil {
		t.Error("an empty package was accepted")
	}
}
