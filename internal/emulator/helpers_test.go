package emulator_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
)

// emu is an emulator behind httptest, driven with plain net/http.
type emu struct {
	*emulator.Server
	t   *testing.T
	url string
	hc  *http.Client
}

func newEmu(t *testing.T, opts emulator.Options) *emu {
	t.Helper()
	s := emulator.New(opts)
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	hc := ts.Client()
	hc.Timeout = 30 * time.Second // a broken emulator fails the test instead of hanging it
	return &emu{Server: s, t: t, url: ts.URL, hc: hc}
}

// resp is every field any endpoint answers.
type resp struct {
	Errcode              int                 `json:"errcode"`
	Errmsg               string              `json:"errmsg"`
	FailEnvList          []map[string]string `json:"fail_env_list"`
	FailList             []map[string]string `json:"fail_list"`
	URL                  string              `json:"url"`
	Checksum             string              `json:"checksum"`
	RespData             string              `json:"resp_data"`
	AccessToken          string              `json:"access_token"`
	ComponentAccessToken string              `json:"component_access_token"`
	ExpiresIn            int                 `json:"expires_in"`
}

// raw sends one request and returns status and body; body is sent as is when
// it is a string, as JSON otherwise.
func (e *emu) raw(ctx context.Context, method, path string, q url.Values, body any) (int, http.Header, []byte, error) {
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		data, err := json.Marshal(b)
		if err != nil {
			e.t.Fatal(err)
		}
		rd = bytes.NewReader(data)
	}
	u := e.url + path
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		e.t.Fatal(err)
	}
	res, err := e.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	return res.StatusCode, res.Header, data, err
}

// call POSTs body to path with the emulator's token (plus extra query) and
// decodes the JSON answer, failing the test on anything but HTTP 200 + JSON.
func (e *emu) call(path string, body any, kv ...string) resp {
	e.t.Helper()
	q := url.Values{"access_token": {e.Token()}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	return e.callQ("POST", path, q, body)
}

func (e *emu) callQ(method, path string, q url.Values, body any) resp {
	e.t.Helper()
	status, _, data, err := e.raw(context.Background(), method, path, q, body)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	if status != http.StatusOK {
		e.t.Fatalf("%s %s: HTTP %d, want 200 (vendor errors are 200): %s", method, path, status, data)
	}
	var r resp
	if err := json.Unmarshal(data, &r); err != nil {
		e.t.Fatalf("%s %s: answer is not JSON: %v: %q", method, path, err, data)
	}
	return r
}

func makeZip(t testing.TB, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range files {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(w, content); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// batchBody builds the body by hand: json.Marshal of a 27 MiB string is slow
// under -race.
func batchBody(name string, envs []string, z []byte) []byte {
	e, _ := json.Marshal(envs)
	var b bytes.Buffer
	b.Grow(base64.StdEncoding.EncodedLen(len(z)) + 200)
	b.WriteString(`{"functionname":"` + name + `","envs":` + string(e) + `,"zipfile":"`)
	enc := base64.NewEncoder(base64.StdEncoding, &b)
	_, _ = enc.Write(z)
	_ = enc.Close()
	b.WriteString(`"}`)
	return b.Bytes()
}

func b64(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

func batch(name string, envs []string, z []byte) map[string]any {
	return map[string]any{"functionname": name, "envs": envs, "zipfile": b64(z)}
}

func single(env, name string) map[string]any {
	return map[string]any{"env": env, "function_name": name}
}

const (
	pBatchCreate = "/componenttcb/batchuploadscf"
	pBatchUpdate = "/componenttcb/batchuploadscfcode"
	pCreate      = "/tcb/createfunction"
	pInvoke      = "/tcb/invokecloudfunction"
	pDownload    = "/tcb/downloadfunction"
	pStable      = "/cgi-bin/stable_token"
	pComponent   = "/cgi-bin/component/api_component_token"
)
