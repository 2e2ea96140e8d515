package emulator_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
)

func TestErrorCodes(t *testing.T) {
	t.Parallel()
	good := makeZip(t, map[string]string{"index.js": "exports.main = async () => 1"})
	cases := []struct {
		name   string
		opts   emulator.Options
		setup  func(e *emu)
		method string // "" => POST
		path   string
		token  string // "" => the emulator's, "-" => none
		query  url.Values
		body   any
		code   int
		msg    string // errmsg prefix
	}{
		{name: "GET is refused before the token is looked at", method: "GET", path: pBatchCreate, token: "-", code: 43002, msg: "require POST method"},
		{name: "PUT on createfunction", method: "PUT", path: pCreate, body: single("e1", "fn"), code: 43002, msg: "require POST method"},
		{name: "no token", path: pBatchCreate, token: "-", body: batch("fn", []string{"e1"}, good), code: 41001, msg: "access_token missing"},
		{name: "unknown token, even with an empty body", path: pDownload, token: "nope", code: 40014, msg: "invalid access_token"},
		{name: "expired token", path: pInvoke, setup: func(e *emu) { e.ExpireTokens() }, query: url.Values{"env": {"e1"}, "name": {"fn"}}, body: "{}", code: 42001, msg: "access_token expired"},
		{name: "empty body", path: pBatchCreate, body: "", code: 44002, msg: "empty post data"},
		{name: "blank body", path: pCreate, body: " \n", code: 44002, msg: "empty post data"},
		{name: "empty invoke body", path: pInvoke, query: url.Values{"env": {"e1"}, "name": {"fn"}}, code: 44002, msg: "empty post data"},
		{name: "not JSON", path: pBatchUpdate, body: "functionname=fn", code: 47001, msg: "data format error"},
		{name: "JSON but not an object", path: pCreate, body: `["e1","fn"]`, code: 47001, msg: "data format error"},
		{name: "envs of the wrong type", path: pBatchCreate, body: map[string]any{"functionname": "fn", "envs": "e1", "zipfile": b64(good)}, code: 47001, msg: "data format error: envs"},
		{name: "function_name of the wrong type", path: pDownload, body: map[string]any{"env": "e1", "function_name": 7}, code: 47001, msg: "data format error"},
		{name: "invoke body not JSON", path: pInvoke, query: url.Values{"env": {"e1"}, "name": {"fn"}}, body: "{oops", code: 47001, msg: "data format error"},
		{name: "missing functionname", path: pBatchCreate, body: map[string]any{"envs": []string{"e1"}, "zipfile": b64(good)}, code: 40101, msg: "missing parameter: functionname"},
		{name: "empty envs", path: pBatchUpdate, body: batch("fn", []string{}, good), code: 40101, msg: "missing parameter: envs"},
		{name: "missing zipfile", path: pBatchCreate, body: map[string]any{"functionname": "fn", "envs": []string{"e1"}}, code: 40101, msg: "missing parameter: zipfile"},
		{name: "createfunction without env", path: pCreate, body: map[string]any{"function_name": "fn"}, code: 40101, msg: "missing parameter: env"},
		{name: "downloadfunction without function_name", path: pDownload, body: map[string]any{"env": "e1"}, code: 40101, msg: "missing parameter: function_name"},
		{name: "invoke without env", path: pInvoke, query: url.Values{"name": {"fn"}}, body: "{}", code: 40101, msg: "missing parameter: env"},
		{name: "invoke without name", path: pInvoke, query: url.Values{"env": {"e1"}}, body: "{}", code: 40101, msg: "missing parameter: name"},
		{name: "zipfile not base64", path: pBatchCreate, body: map[string]any{"functionname": "fn", "envs": []string{"e1"}, "zipfile": "UEsDB BQ"}, code: 40097, msg: "invalid args: zipfile is not standard base64"},
		{name: "zipfile not a zip", path: pBatchUpdate, body: map[string]any{"functionname": "fn", "envs": []string{"e1"}, "zipfile": b64([]byte("hello"))}, code: 40097, msg: "invalid args: zipfile does not decode to a zip"},
		{name: "zipfile with PK but broken", path: pBatchCreate, body: map[string]any{"functionname": "fn", "envs": []string{"e1"}, "zipfile": b64(good[:len(good)-30])}, code: 40097, msg: "invalid args: zipfile is not a readable zip"},
		{name: "bad function name on create", path: pBatchCreate, body: batch("9lives", []string{"e1"}, good), code: 40097, msg: `invalid args: functionname "9lives" must start with a letter`},
		{name: "bad function name on createfunction", path: pCreate, body: single("e1", "x"), code: 40097, msg: "invalid args: function_name"},
		{name: "no cloud dev (Envs)", opts: emulator.Options{Envs: []string{"e1"}}, path: pBatchCreate, body: batch("fn", []string{"e2", "e3"}, good), code: 85088, msg: "no qbase privilege"},
		{name: "malformed env", path: pCreate, body: single("bad env!", "fn"), code: 85088, msg: "no qbase privilege"},
		{name: "invoke env without cloud dev", opts: emulator.Options{Envs: []string{"e1"}}, path: pInvoke, query: url.Values{"env": {"e2"}, "name": {"fn"}}, body: "{}", code: 85088, msg: "no qbase privilege"},
		{name: "download env without cloud dev", opts: emulator.Options{Envs: []string{"e1"}}, path: pDownload, body: single("e2", "fn"), code: 85088, msg: "no qbase privilege"},
		{name: "download missing function", path: pDownload, body: single("e1", "fn"), code: -501000, msg: "[ResourceNotFound.Function] function not found"},
		{name: "invoke missing function", path: pInvoke, query: url.Values{"env": {"e1"}, "name": {"fn"}}, body: "{}", code: -501000, msg: "[ResourceNotFound.Function] function not found"},
		{name: "createfunction exists", setup: func(e *emu) { e.Seed("e1", "fn", good) }, path: pCreate, body: single("e1", "fn"), code: -501000, msg: "[ResourceInUse.Function] function already exists"},
		{name: "legacy token endpoint", method: "GET", path: "/cgi-bin/token", token: "-", query: url.Values{"grant_type": {"client_credential"}, "appid": {"wx1"}, "secret": {"s"}}, code: 48001, msg: "api unauthorized: the emulator does not serve /cgi-bin/token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEmu(t, tc.opts)
			if tc.setup != nil {
				tc.setup(e)
			}
			q := url.Values{}
			for k, v := range tc.query {
				q[k] = v
			}
			switch tc.token {
			case "":
				q.Set("access_token", e.Token())
			case "-":
			default:
				q.Set("access_token", tc.token)
			}
			method := tc.method
			if method == "" {
				method = "POST"
			}
			r := e.callQ(method, tc.path, q, tc.body)
			if r.Errcode != tc.code || !strings.HasPrefix(r.Errmsg, tc.msg) {
				t.Errorf("got errcode %d %q, want %d %q…", r.Errcode, r.Errmsg, tc.code, tc.msg)
			}
			calls := e.Calls()
			if len(calls) != 1 || calls[0].Path != tc.path || calls[0].Errcode != tc.code || calls[0].HTTPStatus != 200 {
				t.Errorf("calls = %+v, want one %s answered %d", calls, tc.path, tc.code)
			}
		})
	}
}

func TestUnknownPathIs404(t *testing.T) {
	t.Parallel()
	e := newEmu(t, emulator.Options{})
	status, _, body, err := e.raw(context.Background(), "POST", "/tcb/nosuchthing", url.Values{"access_token": {e.Token()}}, "{}")
	if err != nil || status != http.StatusNotFound || json.Valid(body) {
		t.Fatalf("status %d body %q err %v, want a plain 404", status, body, err)
	}
}

func TestBatchCreatePartialFailure(t *testing.T) {
	t.Parallel()
	e := newEmu(t, emulator.Options{Envs: []string{"a", "b"}})
	old := makeZip(t, map[string]string{"index.js": "old"})
	e.Seed("a", "login", old)
	z := makeZip(t, map[string]string{"index.js": "new", "package.json": "{}"})

	body := batch("login", []string{"a", "b", "c", "b"}, z)
	body["vpcid"], body["subnetid"] = "vpc-1", "subnet-1"
	r := e.call(pBatchCreate, body)
	if r.Errcode != 0 || r.Errmsg != "ok" {
		t.Fatalf("errcode %d %q, want 0 ok (partial failure is not a call failure)", r.Errcode, r.Errmsg)
	}
	want := []map[string]string{
		{"env": "a", "errmsg": "[ResourceInUse.Function] function already exists"},
		{"env": "c", "errmsg": "no qbase privilege"},
	}
	if !reflect.DeepEqual(r.FailEnvList, want) {
		t.Errorf("fail_env_list = %v, want %v", r.FailEnvList, want)
	}
	if f, _ := e.Function("a", "login"); !bytes.Equal(f.Zip, old) || f.Version != 1 {
		t.Errorf("existing function was touched: version %d", f.Version)
	}
	f, ok := e.Function("b", "login")
	if !ok || !bytes.Equal(f.Zip, z) || f.SHA256 != sha(z) || f.Version != 1 || f.VPCID != "vpc-1" || f.SubnetID != "subnet-1" {
		t.Errorf("created function = %+v (ok %v), want the zip, its sha256, version 1, the vpc", f, ok)
	}
	if _, ok := e.Function("c", "login"); ok {
		t.Error("function created in an env without cloud development")
	}
	if e.Writes() != 1 {
		t.Errorf("Writes() = %d, want 1", e.Writes())
	}
}

func TestBatchUpdate(t *testing.T) {
	t.Parallel()
	for _, errmsgKey := range []bool{false, true} {
		t.Run(fmt.Sprintf("FailListKeyErrmsg=%v", errmsgKey), func(t *testing.T) {
			t.Parallel()
			e := newEmu(t, emulator.Options{FailListKeyErrmsg: errmsgKey})
			v1 := makeZip(t, map[string]string{"index.js": "v1"})
			v2 := makeZip(t, map[string]string{"index.js": "v2"})
			e.Seed("a", "fn", v1)
			r := e.call(pBatchUpdate, batch("fn", []string{"a", "b"}, v2))
			key := "errormsg"
			if errmsgKey {
				key = "errmsg"
			}
			want := []map[string]string{{"env": "b", key: "[ResourceNotFound.Function] function not found"}}
			if r.Errcode != 0 || !reflect.DeepEqual(r.FailList, want) {
				t.Errorf("got %d %v, want 0 and fail_list %v", r.Errcode, r.FailList, want)
			}
			f, _ := e.Function("a", "fn")
			if f.Version != 2 || !bytes.Equal(f.Zip, v2) || f.SHA256 != sha(v2) {
				t.Errorf("updated function: version %d sha %s, want 2 %s", f.Version, f.SHA256, sha(v2))
			}
			if _, ok := e.Function("b", "fn"); ok {
				t.Error("update created a function")
			}
		})
	}
}

func TestCreateFunctionThenUpload(t *testing.T) {
	t.Parallel()
	e := newEmu(t, emulator.Options{})
	if r := e.call(pCreate, single("e1", "fn")); r.Errcode != 0 {
		t.Fatalf("createfunction: %d %s", r.Errcode, r.Errmsg)
	}
	f, ok := e.Function("e1", "fn")
	if !ok || f.Version != 1 || len(f.Zip) != 0 || f.SHA256 != "" {
		t.Fatalf("after createfunction: %+v, want version 1 without code", f)
	}
	z := makeZip(t, map[string]string{"index.js": "x"})
	if r := e.call(pBatchUpdate, batch("fn", []string{"e1"}, z)); r.Errcode != 0 || len(r.FailList) != 0 {
		t.Fatalf("update: %+v", r)
	}
	if f, _ := e.Function("e1", "fn"); f.Version != 2 || f.SHA256 != sha(z) {
		t.Errorf("after update: version %d sha %q", f.Version, f.SHA256)
	}
	calls := e.Calls()
	if len(calls) != 2 || calls[0].Env != "e1" || calls[0].Function != "fn" || !calls[0].Write ||
		!reflect.DeepEqual(calls[1].Envs, []string{"e1"}) || calls[1].Env != "" || !calls[1].Write || calls[1].TokenKind != "emulator" {
		t.Errorf("calls = %+v", calls)
	}
	if e.Writes() != 2 {
		t.Errorf("Writes() = %d, want 2", e.Writes())
	}
	e.ResetCalls()
	if len(e.Calls()) != 0 || e.Writes() != 0 {
		t.Error("ResetCalls kept something")
	}
}

func TestDownloadServesTheBytes(t *testing.T) {
	t.Parallel()
	e := newEmu(t, emulator.Options{})
	v1 := makeZip(t, map[string]string{"index.js": "one"})
	v2 := makeZip(t, map[string]string{"index.js": "two"})
	e.Seed("e1", "fn", v1)

	get := func(u string) (int, []byte) {
		t.Helper()
		res, err := e.hc.Get(u)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		var buf bytes.Buffer
		_, _ = buf.ReadFrom(res.Body)
		return res.StatusCode, buf.Bytes()
	}
	r1 := e.call(pDownload, single("e1", "fn"))
	if r1.Errcode != 0 || r1.Checksum != sha(v1) || !strings.HasPrefix(r1.URL, e.url+"/_emulator/code/e1/fn/1?sign=") {
		t.Fatalf("download = %+v", r1)
	}
	e.call(pBatchUpdate, batch("fn", []string{"e1"}, v2))
	r2 := e.call(pDownload, single("e1", "fn"))
	if r2.Checksum != sha(v2) || r2.URL == r1.URL {
		t.Fatalf("after update: %+v", r2)
	}
	for _, tc := range []struct {
		name   string
		url    string
		status int
		body   []byte
	}{
		{"old version still served", r1.URL, 200, v1},
		{"new version", r2.URL, 200, v2},
		{"bad sign", strings.Replace(r2.URL, "sign=", "sign=x", 1), 403, nil},
		{"unknown version", strings.Replace(r2.URL, "/fn/2?", "/fn/3?", 1), 404, nil},
		{"unknown function", e.url + "/_emulator/code/e1/nope/1", 404, nil},
		{"malformed path", e.url + "/_emulator/code/e1/fn", 404, nil},
	} {
		status, body := get(tc.url)
		if status != tc.status || tc.body != nil && !bytes.Equal(body, tc.body) {
			t.Errorf("%s: GET %s = %d (%d bytes), want %d", tc.name, tc.url, status, len(body), tc.status)
		}
	}
	if c := e.Calls(); c[len(c)-2].Path != "/_emulator/code" || c[len(c)-2].Function != "nope" || c[len(c)-2].HTTPStatus != 404 {
		t.Errorf("code download not recorded: %+v", c[len(c)-1])
	}
}

func TestInvokeEcho(t *testing.T) {
	t.Parallel()
	e := newEmu(t, emulator.Options{Node: "-"})
	z := makeZip(t, map[string]string{"index.js": "exports.main = async () => 'never run'"})
	e.Seed("e1", "fn", z)
	e.Seed("e1", "fn", z)
	r := e.call(pInvoke, `{"name": "x", "n": [1, 2]}`, "env", "e1", "name", "fn")
	want := `{"echo":{"name":"x","n":[1,2]},"env":"e1","function":"fn","version":2}`
	if r.Errcode != 0 || r.RespData != want {
		t.Errorf("got %d %q, want resp_data %s", r.Errcode, r.RespData, want)
	}
	if c := e.Calls()[0]; c.Env != "e1" || c.Function != "fn" || c.Write {
		t.Errorf("call = %+v", c)
	}
}

func TestSetNotReady(t *testing.T) {
	t.Parallel()
	e := newEmu(t, emulator.Options{Node: "-"})
	e.Seed("e1", "fn", makeZip(t, map[string]string{"a": "b"}))
	e.SetNotReady("e1", "fn", 2)
	var got []string
	for range 3 {
		r := e.call(pInvoke, "{}", "env", "e1", "name", "fn")
		got = append(got, fmt.Sprint(r.Errcode, " ", r.Errmsg))
	}
	want := []string{
		"-501000 [FailedOperation.FunctionStatusError] function is updating, retry later",
		"-501000 [FailedOperation.FunctionStatusError] function is updating, retry later",
		"0 ok",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestBodyLimit(t *testing.T) {
	t.Parallel()
	e := newEmu(t, emulator.Options{MaxBodyBytes: 4096})
	z := makeZip(t, map[string]string{"index.js": strings.Repeat("x", 100)})
	small := batch("fn", []string{"e1"}, z)
	if r := e.call(pBatchCreate, small); r.Errcode != 0 {
		t.Fatalf("small body: %+v", r)
	}
	big, _ := json.Marshal(map[string]any{"functionname": "fn", "envs": []string{"e2"}, "zipfile": strings.Repeat("A", 5000)})
	status, h, body, err := e.raw(context.Background(), "POST", pBatchCreate, url.Values{"access_token": {e.Token()}}, big)
	if err != nil {
		t.Fatal(err)
	}
	if status != http.StatusRequestEntityTooLarge || json.Valid(body) || !strings.Contains(h.Get("Content-Type"), "html") {
		t.Errorf("big body: HTTP %d %s %q, want 413 with an HTML page", status, h.Get("Content-Type"), body)
	}
	if c := e.Calls(); c[1].HTTPStatus != 413 || c[1].Write {
		t.Errorf("call = %+v", c[1])
	}
}

// TestLargeUpload sends a 20 MiB zip (27 MiB of base64), the vendor's limit.
func TestLargeUpload(t *testing.T) {
	if emulator.DefaultMaxBodyBytes < 40<<20 {
		t.Fatalf("DefaultMaxBodyBytes = %d: a 20 MiB zip in base64 and JSON must fit", emulator.DefaultMaxBodyBytes)
	}
	if testing.Short() {
		t.Skip("large body (seconds under -race)")
	}
	t.Parallel()
	// Stored, not deflated: the zip is as big as the vendor allows (smaller
	// under -race, where moving 100 MiB around takes tens of seconds on a
	// busy machine).
	size := 20 << 20
	if raceEnabled {
		size = 4 << 20
	}
	var buf bytes.Buffer
	buf.Grow(size + 1024)
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: "index.js", Method: zip.Store})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(bytes.Repeat([]byte("0123456789abcdef"), size/16)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	z := buf.Bytes()
	e := newEmu(t, emulator.Options{})
	r := e.call(pBatchCreate, batchBody("big", []string{"e1"}, z))
	if r.Errcode != 0 || len(r.FailEnvList) != 0 {
		t.Fatalf("%+v", r)
	}
	if f, _ := e.Function("e1", "big"); f.SHA256 != sha(z) {
		t.Error("stored zip differs")
	}
}

func TestTokens(t *testing.T) {
	t.Parallel()
	now := time.Unix(1_700_000_000, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	advance := func(d time.Duration) { mu.Lock(); defer mu.Unlock(); now = now.Add(d) }
	var logs []string
	var logMu sync.Mutex
	e := newEmu(t, emulator.Options{Now: clock, Token: "static-T0k3n", Logf: func(f string, a ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		logs = append(logs, fmt.Sprintf(f, a...))
	}})
	none := url.Values{}
	download := func(tok string) resp {
		t.Helper()
		return e.callQ("POST", pDownload, url.Values{"access_token": {tok}}, single("e1", "fn"))
	}
	e.Seed("e1", "fn", makeZip(t, map[string]string{"index.js": ""}))

	st := e.callQ("POST", pStable, none, map[string]any{"grant_type": "client_credential", "appid": "wx1", "secret": "s3cr3t-app", "force_refresh": false})
	if st.AccessToken == "" || st.ExpiresIn != 7200 || st.Errcode != 0 {
		t.Fatalf("stable_token = %+v", st)
	}
	if r := download(st.AccessToken); r.Errcode != 0 {
		t.Fatalf("issued token refused: %+v", r)
	}
	advance(100 * time.Second)
	again := e.callQ("POST", pStable, none, map[string]any{"grant_type": "client_credential", "appid": "wx1", "secret": "s3cr3t-app"})
	if again.AccessToken != st.AccessToken || again.ExpiresIn != 7100 {
		t.Errorf("force_refresh=false: got %+v, want the same token with 7100 s left", again)
	}
	forced := e.callQ("POST", pStable, none, map[string]any{"grant_type": "client_credential", "appid": "wx1", "secret": "s3cr3t-app", "force_refresh": true})
	if forced.AccessToken == st.AccessToken {
		t.Error("force_refresh=true returned the same token")
	}

	e.ExpireTokens()
	for _, tok := range []string{"static-T0k3n", st.AccessToken, forced.AccessToken} {
		if r := download(tok); r.Errcode != 42001 {
			t.Errorf("after ExpireTokens: %d %s, want 42001", r.Errcode, r.Errmsg)
		}
	}
	fresh := e.callQ("POST", pStable, none, map[string]any{"grant_type": "client_credential", "appid": "wx1", "secret": "s3cr3t-app"})
	if fresh.AccessToken == st.AccessToken || fresh.AccessToken == forced.AccessToken {
		t.Fatal("stable_token returned an expired token")
	}
	if r := download(fresh.AccessToken); r.Errcode != 0 {
		t.Errorf("fresh token refused: %+v", r)
	}
	advance(7200 * time.Second)
	if r := download(fresh.AccessToken); r.Errcode != 42001 {
		t.Errorf("token past expires_in: %d, want 42001", r.Errcode)
	}

	comp := e.callQ("POST", pComponent, none, map[string]any{"component_appid": "wxc", "component_appsecret": "c-s3cr3t", "component_verify_ticket": "t1ck3t"})
	if comp.ComponentAccessToken == "" || comp.ExpiresIn != 7200 {
		t.Fatalf("component token = %+v", comp)
	}
	if r := e.callQ("POST", pBatchUpdate, url.Values{"access_token": {comp.ComponentAccessToken}}, batch("fn", []string{"e1"}, makeZip(t, map[string]string{"a": "b"}))); r.Errcode != 0 {
		t.Errorf("component token refused: %+v", r)
	}

	logMu.Lock()
	defer logMu.Unlock()
	all := strings.Join(logs, "\n")
	for _, secret := range []string{"static-T0k3n", "s3cr3t-app", "c-s3cr3t", "t1ck3t", st.AccessToken, comp.ComponentAccessToken} {
		if strings.Contains(all, secret) {
			t.Errorf("log holds a secret %q:\n%s", secret, all)
		}
	}
	if len(logs) < 10 {
		t.Errorf("expected a log line per request, got %d", len(logs))
	}
}

func TestTokenEndpointErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		path string
		body any
		code int
	}{
		{"stable: GET-like empty body", pStable, "", 44002},
		{"stable: not JSON", pStable, "appid=wx1", 47001},
		{"stable: wrong grant_type", pStable, map[string]any{"grant_type": "password", "appid": "wx1", "secret": "s3cr3t"}, 40002},
		{"stable: no appid", pStable, map[string]any{"grant_type": "client_credential", "secret": "s3cr3t"}, 40013},
		{"stable: no secret", pStable, map[string]any{"grant_type": "client_credential", "appid": "wx1"}, 40001},
		{"stable: force_refresh not a bool", pStable, map[string]any{"grant_type": "client_credential", "appid": "wx1", "secret": "s3cr3t", "force_refresh": "yes"}, 47001},
		{"component: no appid", pComponent, map[string]any{"component_appsecret": "s3cr3t", "component_verify_ticket": "t"}, 40013},
		{"component: no secret", pComponent, map[string]any{"component_appid": "wxc", "component_verify_ticket": "t"}, 40125},
		{"component: no ticket", pComponent, map[string]any{"component_appid": "wxc", "component_appsecret": "s3cr3t"}, 61006},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEmu(t, emulator.Options{})
			r := e.callQ("POST", tc.path, url.Values{}, tc.body)
			if r.Errcode != tc.code || r.AccessToken != "" || r.ComponentAccessToken != "" {
				t.Errorf("got %+v, want errcode %d and no token", r, tc.code)
			}
			if strings.Contains(r.Errmsg, "s3cr3t") {
				t.Errorf("errmsg %q echoes the secret", r.Errmsg)
			}
		})
	}
}

// TestTokenKinds: WeChat takes each kind of token only where API-NOTES.md
// says, by default; a wrong kind gets 48001.
func TestTokenKinds(t *testing.T) {
	t.Parallel()
	e := newEmu(t, emulator.Options{Node: "-"})
	access := e.callQ("POST", pStable, url.Values{}, map[string]any{"grant_type": "client_credential", "appid": "wx1", "secret": "s"}).AccessToken
	comp := e.callQ("POST", pComponent, url.Values{}, map[string]any{"component_appid": "wxc", "component_appsecret": "s", "component_verify_ticket": "t"}).ComponentAccessToken
	z := makeZip(t, map[string]string{"index.js": ""})
	e.Seed("e1", "seeded", z)
	invoke := func(name string) url.Values { return url.Values{"env": {"e1"}, "name": {name}} }
	cases := []struct {
		name, path, token string
		query             url.Values
		body              any
		code              int
		kind              string
	}{
		{"access token on batch create", pBatchCreate, access, nil, batch("fn", []string{"e1"}, z), 48001, "access"},
		{"component token on batch create", pBatchCreate, comp, nil, batch("fn", []string{"e1"}, z), 0, "component"},
		{"access token on batch update", pBatchUpdate, access, nil, batch("fn", []string{"e1"}, z), 48001, "access"},
		{"component token on batch update", pBatchUpdate, comp, nil, batch("fn", []string{"e1"}, z), 0, "component"},
		{"component token on createfunction", pCreate, comp, nil, single("e1", "other"), 48001, "component"},
		{"access token on createfunction", pCreate, access, nil, single("e1", "other"), 0, "access"},
		{"component token on downloadfunction", pDownload, comp, nil, single("e1", "fn"), 48001, "component"},
		{"access token on downloadfunction", pDownload, access, nil, single("e1", "fn"), 0, "access"},
		{"component token invokes in batch mode", pInvoke, comp, invoke("fn"), "{}", 0, "component"},
		{"component token on a function not uploaded in batch mode", pInvoke, comp, invoke("seeded"), "{}", 48001, "component"},
		{"access token invokes any function", pInvoke, access, invoke("seeded"), "{}", 0, "access"},
		{"emulator token anywhere", pBatchUpdate, e.Token(), nil, batch("fn", []string{"e1"}, z), 0, "emulator"},
		{"emulator token on createfunction", pCreate, e.Token(), nil, single("e1", "third"), 0, "emulator"},
	}
	var want []string
	for _, tc := range cases {
		q := url.Values{"access_token": {tc.token}}
		for k, v := range tc.query {
			q[k] = v
		}
		r := e.callQ("POST", tc.path, q, tc.body)
		if r.Errcode != tc.code || tc.code == 48001 && !strings.HasPrefix(r.Errmsg, "api unauthorized") {
			t.Errorf("%s: errcode %d %s, want %d", tc.name, r.Errcode, r.Errmsg, tc.code)
		}
		want = append(want, tc.kind)
	}
	var kinds []string
	for _, c := range e.Calls()[2:] {
		kinds = append(kinds, c.TokenKind)
	}
	if !reflect.DeepEqual(kinds, want) {
		t.Errorf("token kinds = %v, want %v", kinds, want)
	}
}

func TestSeedAndFunctionsSorted(t *testing.T) {
	t.Parallel()
	s := emulator.New(emulator.Options{})
	z := makeZip(t, map[string]string{"index.js": ""})
	s.Seed("b", "x", z)
	s.Seed("a", "y", z)
	s.Seed("a", "x", nil)
	var got []string
	for _, f := range s.Functions() {
		got = append(got, fmt.Sprintf("%s/%s v%d %t", f.Env, f.Name, f.Version, f.SHA256 != ""))
	}
	want := []string{"a/x v1 false", "a/y v1 true", "b/x v1 true"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("Functions() = %v, want %v", got, want)
	}
	if len(s.Calls()) != 0 {
		t.Error("Seed recorded a call")
	}
	f, _ := s.Function("b", "x")
	f.Zip[0] = 'X'
	if g, _ := s.Function("b", "x"); g.Zip[0] != 'P' {
		t.Error("Function returned the stored slice")
	}
}

func TestStart(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	s := emulator.New(emulator.Options{Node: "-"})
	base, err := s.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(base, "http://127.0.0.1:") {
		t.Errorf("base URL %q", base)
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	res, err := hc.Post(base+pStable, "application/json", strings.NewReader(`{"grant_type":"client_credential","appid":"a","secret":"b"}`))
	if err != nil {
		t.Fatal(err)
	}
	var r resp
	_ = json.NewDecoder(res.Body).Decode(&r)
	res.Body.Close()
	if r.AccessToken == "" {
		t.Errorf("no token from the started server: %+v", r)
	}
	s.Inject(emulator.Fault{Path: pInvoke, Stall: true})
	s.Seed("e1", "fn", nil)
	done := make(chan error, 1)
	go func() {
		res, err := hc.Post(base+pInvoke+"?access_token="+s.Token()+"&env=e1&name=fn", "application/json", strings.NewReader("{}"))
		if err == nil {
			res.Body.Close()
		}
		done <- err
	}()
	waitFor(t, func() bool { return len(s.Calls()) == 2 })
	cancel()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a stalled request outlived the server's context")
	}
	if _, err := s.Start(context.Background(), "not an address"); err == nil {
		t.Error("Start accepted a bad address")
	}
}

// waitFor polls cond (briefly: it watches other goroutines' progress).
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not reached in 10 s")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestConcurrentDeploys(t *testing.T) {
	t.Parallel()
	e := newEmu(t, emulator.Options{Node: "-"})
	envs := []string{"dev", "test", "prod"}
	const functions, workers = 20, 4
	names := make(chan string)
	var wg sync.WaitGroup
	errs := make(chan error, functions)
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for name := range names {
				v1 := makeZip(t, map[string]string{"index.js": name + "1"})
				v2 := makeZip(t, map[string]string{"index.js": name + "2"})
				steps := []struct {
					path string
					body any
					q    []string
				}{
					{pBatchCreate, batch(name, envs, v1), nil},
					{pBatchUpdate, batch(name, envs, v2), nil},
					{pDownload, single("prod", name), nil},
					{pInvoke, `{"k":1}`, []string{"env", "test", "name", name}},
				}
				for _, st := range steps {
					q := url.Values{"access_token": {e.Token()}}
					for i := 0; i < len(st.q); i += 2 {
						q.Set(st.q[i], st.q[i+1])
					}
					status, _, data, err := e.raw(context.Background(), "POST", st.path, q, st.body)
					var r resp
					if err == nil {
						err = json.Unmarshal(data, &r)
					}
					if err != nil || status != 200 || r.Errcode != 0 || len(r.FailEnvList)+len(r.FailList) > 0 {
						errs <- fmt.Errorf("%s %s: %v %d %s", name, st.path, err, status, data)
					}
				}
				_ = e.Functions()
				_ = e.Calls()
			}
		}()
	}
	for i := range functions {
		names <- fmt.Sprintf("fn%02d", i)
	}
	close(names)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	fs := e.Functions()
	if len(fs) != functions*len(envs) {
		t.Fatalf("%d functions, want %d", len(fs), functions*len(envs))
	}
	for _, f := range fs {
		if f.Version != 2 {
			t.Errorf("%s/%s: version %d, want 2", f.Env, f.Name, f.Version)
		}
	}
	if got, want := e.Writes(), functions*2; got != want {
		t.Errorf("Writes() = %d, want %d", got, want)
	}
	if got := len(e.Calls()); got != functions*4 {
		t.Errorf("%d calls, want %d", got, functions*4)
	}
}
