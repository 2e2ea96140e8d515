package emulator_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/common"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
)

// TestSDKDeployFlow drives a deploy the way `tcb fn deploy` does, through
// the SDK's common client: create in two namespaces, wait for Active by
// polling GetFunction (the fake clock advances), then Invoke.
func TestSDKDeployFlow(t *testing.T) {
	needNode(t)
	t.Parallel()
	e := newTC(t, emulator.Options{Envs: []string{"dev-1a2b", "prod-3c4d"}})
	zip := nodeFn(t, `exports.main = async (event, context) => {
  console.log("hello from " + context.namespace);
  return { greeting: process.env.GREETING, name: event.name, ns: context.namespace };
}`, "package.json", `{"name":"hello","dependencies":{}}`)
	for _, ns := range []string{"dev-1a2b", "prod-3c4d"} {
		e.mustSCF("CreateFunction", createParams(ns, "hello", zip,
			"InstallDependency", "TRUE", "Timeout", 10, "MemorySize", 256,
			"Environment", map[string]any{"Variables": []any{map[string]any{"Key": "GREETING", "Value": "hi " + ns}}}), nil)
	}
	invoke := func(ns string) map[string]any {
		return map[string]any{"FunctionName": "hello", "Namespace": ns, "LogType": "Tail", "ClientContext": `{"name":"x"}`}
	}
	// Not ready yet: the vendor's API is asynchronous. Poll both like a
	// deploy does, the clock advancing 100ms a round.
	seen := map[string][]string{}
	for round := 0; round < 10; round++ {
		settled := 0
		for _, ns := range []string{"dev-1a2b", "prod-3c4d"} {
			st := e.get(ns, "hello").Status
			seen[ns] = append(seen[ns], st)
			if st == "Creating" {
				if err := e.scf("Invoke", invoke(ns), nil); codeOf(err) != "FailedOperation.FunctionStatusError" {
					t.Errorf("%s: Invoke while Creating: %v, want FailedOperation.FunctionStatusError", ns, err)
				}
				continue
			}
			settled++
		}
		if settled == 2 {
			break
		}
		e.clock.Advance(100 * time.Millisecond)
	}
	for _, ns := range []string{"dev-1a2b", "prod-3c4d"} {
		if want := []string{"Creating", "Creating", "Creating", "Active"}; !slices.Equal(seen[ns], want) {
			t.Errorf("%s: statuses %v, want %v (300ms of Creating)", ns, seen[ns], want)
		}
		var out struct {
			Result struct {
				RetMsg, ErrMsg, Log, FunctionRequestId string
				InvokeResult                           int
				Duration                               float64
				MemUsage                               int64
			}
		}
		e.mustSCF("Invoke", invoke(ns), &out)
		r := out.Result
		want := `{"greeting":"hi ` + ns + `","name":"x","ns":"` + ns + `"}`
		if r.RetMsg != want || r.InvokeResult != 0 || r.ErrMsg != "" {
			t.Errorf("%s: Result %+v, want RetMsg %s", ns, r, want)
		}
		if !strings.Contains(r.Log, "hello from "+ns) || !strings.Contains(r.Log, "START RequestId: "+r.FunctionRequestId) || r.MemUsage <= 0 {
			t.Errorf("%s: log tail %q (MemUsage %d) does not hold what the function printed", ns, r.Log, r.MemUsage)
		}
		g := e.get(ns, "hello")
		if g.Runtime != "Nodejs18.15" || g.Handler != "index.main" || g.Timeout != 10 || g.MemorySize != 256 ||
			g.InstallDependency != "TRUE" || len(g.Environment.Variables) != 1 || g.CodeSize != len(zip) || g.RequestId == "" {
			t.Errorf("%s: GetFunction %+v", ns, g)
		}
	}
	if fs := e.FunctionsIn("prod-3c4d"); len(fs) != 1 || fs[0].Status != "Active" || !bytes.Equal(fs[0].Zip, zip) {
		t.Errorf("FunctionsIn(prod) = %+v", fs)
	}
	if e.Writes() != 2 {
		t.Errorf("Writes() = %d, want the 2 CreateFunction calls", e.Writes())
	}
	var actions []string
	for _, c := range e.Calls() {
		if c.Path != "/" || c.Action == "" {
			t.Errorf("call %+v: a Tencent call is recorded with its action", c)
		}
		if !slices.Contains(actions, c.Action) {
			actions = append(actions, c.Action)
		}
	}
	if want := []string{"CreateFunction", "GetFunction", "Invoke"}; !slices.Equal(actions, want) {
		t.Errorf("actions = %v, want %v", actions, want)
	}
}

// TestSDKAuthFailures: what the signature check refuses, each from a client
// the SDK built.
func TestSDKAuthFailures(t *testing.T) {
	t.Parallel()
	get := map[string]any{"FunctionName": "fn", "Namespace": "dev-1"}
	cases := []struct {
		name string
		call func(e *tc) error
		code string
	}{
		{"the right keys", func(e *tc) error { return e.scf("GetFunction", get, nil) }, ""},
		{"wrong SecretKey", func(e *tc) error {
			return send(e.clientWith(common.NewCredential(e.SecretID(), "wrong-key"), e.Region()), "scf", "2018-04-16", "GetFunction", get, nil, false)
		}, "AuthFailure.SignatureFailure"},
		{"unknown SecretId", func(e *tc) error {
			return send(e.clientWith(common.NewCredential("AKIDnobody", e.SecretKey()), e.Region()), "scf", "2018-04-16", "GetFunction", get, nil, false)
		}, "AuthFailure.SecretIdNotFound"},
		{"server clock 6 minutes ahead", func(e *tc) error {
			e.clock.Advance(6 * time.Minute)
			return e.scf("GetFunction", get, nil)
		}, "AuthFailure.SignatureExpire"},
		{"server clock 6 minutes behind", func(e *tc) error {
			e.clock.Advance(-6 * time.Minute)
			return e.scf("GetFunction", get, nil)
		}, "AuthFailure.SignatureExpire"},
		{"4 minutes of skew is fine", func(e *tc) error {
			e.clock.Advance(4 * time.Minute)
			return e.scf("GetFunction", get, nil)
		}, ""},
		{"a token with a permanent key", func(e *tc) error {
			return send(e.clientWith(common.NewTokenCredential(e.SecretID(), e.SecretKey(), "bogus"), e.Region()), "scf", "2018-04-16", "GetFunction", get, nil, false)
		}, "AuthFailure.TokenFailure"},
		{"scope names another service", func(e *tc) error {
			return send(e.client(), "sts", "2018-04-16", "GetFunction", get, nil, false)
		}, "AuthFailure.InvalidAuthorization"},
		{"Host changed after signing", func(e *tc) error {
			c := e.client().WithHttpTransport(hostRewriter{"scf.tencentcloudapi.com"})
			return send(c, "scf", "2018-04-16", "GetFunction", get, nil, false)
		}, "AuthFailure.SignatureFailure"},
		{"unsigned SCF call", func(e *tc) error {
			return send(e.clientWith(nil, e.Region()), "scf", "2018-04-16", "GetFunction", get, nil, true)
		}, "AuthFailure.InvalidAuthorization"},
		{"unsigned payload (X-TC-Content-SHA256)", func(e *tc) error {
			cpf := e.profile()
			cpf.UnsignedPayload = true
			c := common.NewCommonClient(common.NewCredential(e.SecretID(), e.SecretKey()), e.Region(), cpf)
			return send(c, "scf", "2018-04-16", "GetFunction", get, nil, false)
		}, ""},
		{"unknown field", func(e *tc) error {
			return e.scf("GetFunction", map[string]any{"FunctionName": "fn", "Namespace": "dev-1", "Stamp": "MINI_QCBASE"}, nil)
		}, "UnknownParameter"},
		{"missing field", func(e *tc) error { return e.scf("GetFunction", map[string]any{"Namespace": "dev-1"}, nil) }, "MissingParameter"},
		{"unknown action", func(e *tc) error { return e.scf("Frobnicate", get, nil) }, "InvalidAction"},
		{"wrong version", func(e *tc) error {
			return send(e.client(), "scf", "2017-03-12", "GetFunction", get, nil, false)
		}, "NoSuchVersion"},
		{"a region without the env", func(e *tc) error {
			return send(e.clientWith(common.NewCredential(e.SecretID(), e.SecretKey()), "ap-guangzhou"), "scf", "2018-04-16", "GetFunction", get, nil, false)
		}, "ResourceNotFound.Namespace"},
		{"a region that does not exist", func(e *tc) error {
			return send(e.clientWith(common.NewCredential(e.SecretID(), e.SecretKey()), "mars-north-1"), "scf", "2018-04-16", "GetFunction", get, nil, false)
		}, "UnsupportedRegion"},
		{"an env the emulator does not have", func(e *tc) error {
			return e.scf("GetFunction", map[string]any{"FunctionName": "fn", "Namespace": "other"}, nil)
		}, "ResourceNotFound.Namespace"},
		{"no Namespace (the vendor's default)", func(e *tc) error {
			return e.scf("GetFunction", map[string]any{"FunctionName": "fn"}, nil)
		}, "ResourceNotFound.Namespace"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newTC(t, emulator.Options{Envs: []string{"dev-1"}, Node: "-"})
			e.Seed("dev-1", "fn", makeZip(t, map[string]string{"index.js": ""}))
			err := c.call(e)
			if got := codeOf(err); got != c.code {
				t.Errorf("got %q (%v), want %q", got, err, c.code)
			}
			if err != nil && (strings.Contains(err.Error(), "%s") || strings.Contains(err.Error(), "%!")) {
				t.Errorf("message with an unfilled placeholder: %v", err)
			}
			calls := e.Calls()
			if len(calls) != 1 || calls[0].ErrorCode != c.code || calls[0].HTTPStatus != 200 {
				t.Errorf("calls = %+v, want one answered %q with HTTP 200", calls, c.code)
			}
		})
	}
}

// TestTencentRawRequests sends what the SDK never would.
func TestTencentRawRequests(t *testing.T) {
	t.Parallel()
	e := newTC(t, emulator.Options{Node: "-"})
	ts := func() string { return jsonNumber(e.clock.Now().Unix()) }
	base := func() http.Header {
		h := http.Header{}
		for k, v := range map[string]string{
			"Content-Type": "application/json", "X-TC-Action": "GetFunction", "X-TC-Version": "2018-04-16",
			"X-TC-Timestamp": ts(), "X-TC-Region": "ap-shanghai",
			"Authorization": "TC3-HMAC-SHA256 Credential=" + e.SecretID() + "/2020-01-01/scf/tc3_request, SignedHeaders=content-type;host, Signature=00",
		} {
			h.Set(k, v)
		}
		return h
	}
	cases := []struct {
		name   string
		method string
		edit   func(h http.Header)
		body   string
		code   string
	}{
		{"no Authorization", "POST", func(h http.Header) { h.Del("Authorization") }, "{}", "AuthFailure.InvalidAuthorization"},
		{"another algorithm", "POST", func(h http.Header) { h.Set("Authorization", "HMAC-SHA1 x") }, "{}", "AuthFailure.InvalidAuthorization"},
		{"Credential without a scope", "POST", func(h http.Header) {
			h.Set("Authorization", "TC3-HMAC-SHA256 Credential=AKID, SignedHeaders=content-type;host, Signature=00")
		}, "{}", "AuthFailure.InvalidAuthorization"},
		{"host not signed", "POST", func(h http.Header) {
			h.Set("Authorization", "TC3-HMAC-SHA256 Credential="+e.SecretID()+"/2020-01-01/scf/tc3_request, SignedHeaders=content-type, Signature=00")
		}, "{}", "AuthFailure.InvalidAuthorization"},
		{"wrong signature", "POST", func(h http.Header) {
			date := e.clock.Now().UTC().Format("2006-01-02")
			h.Set("Authorization", "TC3-HMAC-SHA256 Credential="+e.SecretID()+"/"+date+"/scf/tc3_request, SignedHeaders=content-type;host, Signature=00")
		}, "{}", "AuthFailure.SignatureFailure"},
		{"scope dated another day", "POST", nil, "{}", "AuthFailure.SignatureFailure"},
		{"no X-TC-Timestamp", "POST", func(h http.Header) { h.Del("X-TC-Timestamp") }, "{}", "MissingParameter"},
		{"no X-TC-Region", "POST", func(h http.Header) { h.Del("X-TC-Region") }, "{}", "MissingParameter"},
		{"GET", "GET", nil, "", "UnsupportedProtocol"},
		{"form body", "POST", func(h http.Header) { h.Set("Content-Type", "application/x-www-form-urlencoded") }, "a=b", "UnsupportedProtocol"},
	}
	for _, c := range cases {
		h := base()
		if c.edit != nil {
			c.edit(h)
		}
		req, _ := http.NewRequest(c.method, e.url+"/", strings.NewReader(c.body))
		req.Header = h
		res, err := e.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		data, _ := io.ReadAll(res.Body)
		res.Body.Close()
		var env struct {
			Response struct {
				Error     struct{ Code, Message string }
				RequestId string
			}
		}
		if err := json.Unmarshal(data, &env); err != nil || res.StatusCode != 200 || env.Response.Error.Code != c.code || env.Response.RequestId == "" {
			t.Errorf("%s: HTTP %d %s, want HTTP 200 and %s", c.name, res.StatusCode, data, c.code)
		}
	}
}

func jsonNumber(n int64) string { b, _ := json.Marshal(n); return string(b) }

// TestSCFSettingsValidated: CreateFunction refuses what the vendor refuses.
func TestSCFSettingsValidated(t *testing.T) {
	t.Parallel()
	zip := nodeFn(t, "exports.main = () => 1")
	bigEnv := []any{}
	for i := range 40 {
		bigEnv = append(bigEnv, map[string]any{"Key": "K" + jsonNumber(int64(i)), "Value": strings.Repeat("v", 100)})
	}
	env := func(vars ...any) map[string]any { return map[string]any{"Variables": vars} }
	kv := func(k, v string) map[string]any { return map[string]any{"Key": k, "Value": v} }
	cases := []struct {
		name   string
		params map[string]any
		code   string
	}{
		{"fine", createParams("dev-1", "fn", zip), ""},
		{"64 MB", createParams("dev-1", "fn", zip, "MemorySize", 64), ""},
		{"3072 MB and 900 s", createParams("dev-1", "fn", zip, "MemorySize", 3072, "Timeout", 900), ""},
		{"timeout 0", createParams("dev-1", "fn", zip, "Timeout", 0), "InvalidParameterValue.Timeout"},
		{"timeout 901", createParams("dev-1", "fn", zip, "Timeout", 901), "LimitExceeded.Timeout"},
		{"timeout as text", createParams("dev-1", "fn", zip, "Timeout", "10"), "InvalidParameter"},
		{"timeout 3.5", createParams("dev-1", "fn", zip, "Timeout", 3.5), "InvalidParameter"},
		{"100 MB", createParams("dev-1", "fn", zip, "MemorySize", 100), "InvalidParameterValue.MemorySize"},
		{"200 MB", createParams("dev-1", "fn", zip, "MemorySize", 200), "InvalidParameterValue.MemorySize"},
		{"3200 MB", createParams("dev-1", "fn", zip, "MemorySize", 3200), "LimitExceeded.Memory"},
		{"variables over 4 KB", createParams("dev-1", "fn", zip, "Environment", env(bigEnv...)), "InvalidParameterValue.EnvironmentExceededLimit"},
		{"variable name with a dash", createParams("dev-1", "fn", zip, "Environment", env(kv("A-B", "x"))), "InvalidParameterValue.Environment"},
		{"variable twice", createParams("dev-1", "fn", zip, "Environment", env(kv("A", "x"), kv("A", "y"))), "InvalidParameterValue.Environment"},
		{"variable with an unknown field", createParams("dev-1", "fn", zip, "Environment", env(map[string]any{"Name": "A"})), "UnknownParameter"},
		{"retired runtime", createParams("dev-1", "fn", zip, "Runtime", "Nodejs8.9"), "InvalidParameterValue.Runtime"},
		{"no runtime", createParams("dev-1", "fn", zip, "Runtime", nil), "MissingParameter.Runtime"},
		{"no code", createParams("dev-1", "fn", zip, "Code", nil), "MissingParameter.Code"},
		{"empty code", createParams("dev-1", "fn", zip, "Code", map[string]any{}), "MissingParameter.Code"},
		{"code from COS", createParams("dev-1", "fn", zip, "Code", map[string]any{"CosBucketName": "b", "CosObjectName": "/a.zip"}), "UnsupportedOperation"},
		{"unknown Code field", createParams("dev-1", "fn", zip, "Code", map[string]any{"ZipFile": b64(zip), "Zip": "x"}), "UnknownParameter"},
		{"Stamp (manager-node's hidden field)", createParams("dev-1", "fn", zip, "Stamp", "MINI_QCBASE"), "UnknownParameter"},
		{"layers", createParams("dev-1", "fn", zip, "Layers", []any{map[string]any{"LayerName": "l", "LayerVersion": 1}}), "UnsupportedOperation"},
		{"no layers", createParams("dev-1", "fn", zip, "Layers", []any{}), ""},
		{"name starting with a digit", createParams("dev-1", "9lives", zip), "InvalidParameterValue.FunctionName"},
		{"handler without a dot", createParams("dev-1", "fn", zip, "Handler", "index"), "InvalidParameterValue.Handler"},
		{"InstallDependency yes", createParams("dev-1", "fn", zip, "InstallDependency", "yes"), "InvalidParameterValue"},
		{"not base64", createParams("dev-1", "fn", zip, "Code", map[string]any{"ZipFile": "UEsDB BQ"}), "InvalidParameterValue.ZipFileBase64BinasciiError"},
		{"not a zip", createParams("dev-1", "fn", zip, "Code", map[string]any{"ZipFile": b64([]byte("hello"))}), "InvalidParameterValue.ZipFile"},
		{"an env the emulator does not have", createParams("nope", "fn", zip), "ResourceNotFound.Namespace"},
		{"exists", createParams("dev-1", "taken", zip), "ResourceInUse.Function"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newTC(t, emulator.Options{Envs: []string{"dev-1"}, Node: "-"})
			e.Seed("dev-1", "taken", zip)
			for k, v := range c.params {
				if v == nil {
					delete(c.params, k)
				}
			}
			err := e.scf("CreateFunction", c.params, nil)
			if got := codeOf(err); got != c.code {
				t.Errorf("got %q (%v), want %q", got, err, c.code)
			}
			if err != nil && (strings.Contains(err.Error(), "%s") || strings.Contains(err.Error(), "%!")) {
				t.Errorf("message with an unfilled placeholder: %v", err)
			}
			_, made := e.Function("dev-1", "fn")
			if made != (c.code == "") {
				t.Errorf("function made: %v, want %v", made, c.code == "")
			}
		})
	}
}

// TestSCFUpdates: code and configuration updates, each refused while the
// function is still Updating, and the dependency install outcome.
func TestSCFUpdates(t *testing.T) {
	t.Parallel()
	e := newTC(t, emulator.Options{Node: "-"})
	v1 := nodeFn(t, "exports.main = () => 1", "package.json", `{"name":"a"}`)
	v2 := nodeFn(t, "exports.main = () => 2", "package.json", `{"name":`)
	v3 := nodeFn(t, "exports.main = () => 3", "package.json", `{"name":"a"}`)
	e.mustSCF("CreateFunction", createParams("dev", "fn", v1, "InstallDependency", "TRUE"), nil)
	update := func(kv ...any) map[string]any {
		p := map[string]any{"FunctionName": "fn", "Namespace": "dev"}
		for i := 0; i+1 < len(kv); i += 2 {
			p[kv[i].(string)] = kv[i+1]
		}
		return p
	}
	steps := []struct {
		name   string
		action string
		params map[string]any
		code   string
		status []string // statuses seen by waitActive after the step
	}{
		{"code while Creating", "UpdateFunctionCode", update("ZipFile", b64(v3)), "FailedOperation.UpdateFunctionCode", []string{"Creating", "Creating", "Creating", "Active"}},
		{"both ZipFile and Code.ZipFile", "UpdateFunctionCode", update("ZipFile", b64(v3), "Code", map[string]any{"ZipFile": b64(v3)}), "InvalidParameterValue.Code", nil},
		{"no code", "UpdateFunctionCode", update("Handler", "index.main"), "MissingParameter", nil},
		{"publishing a version", "UpdateFunctionCode", update("ZipFile", b64(v3), "Publish", "TRUE"), "UnsupportedOperation", nil},
		{"a package.json npm cannot read", "UpdateFunctionCode", update("ZipFile", b64(v2)), "", []string{"Updating", "Updating", "Updating", "UpdateFailed"}},
		{"fixed", "UpdateFunctionCode", update("Code", map[string]any{"ZipFile": b64(v3)}, "Handler", "index.main"), "", []string{"Updating", "Updating", "Updating", "Active"}},
		{"configuration", "UpdateFunctionConfiguration", update("Timeout", 20, "MemorySize", 512, "Environment", map[string]any{"Variables": []any{map[string]any{"Key": "A", "Value": "1"}}}), "", nil},
		{"configuration while Updating", "UpdateFunctionConfiguration", update("Timeout", 30), "FailedOperation.UpdateFunctionConfiguration", []string{"Updating", "Updating", "Updating", "Active"}},
		{"a missing function", "UpdateFunctionCode", map[string]any{"FunctionName": "nope", "Namespace": "dev", "ZipFile": b64(v3)}, "ResourceNotFound.Function", nil},
	}
	for _, s := range steps {
		err := e.scf(s.action, s.params, nil)
		if got := codeOf(err); got != s.code {
			t.Fatalf("%s: got %q (%v), want %q", s.name, got, err, s.code)
		}
		if s.status == nil {
			continue
		}
		if seen := e.waitActive("dev", "fn"); !slices.Equal(seen, s.status) {
			t.Errorf("%s: statuses %v, want %v", s.name, seen, s.status)
		}
		if s.name == "a package.json npm cannot read" {
			g := e.get("dev", "fn")
			if len(g.StatusReasons) != 1 || g.StatusReasons[0].ErrorCode != "InstallDependencyFailed" || !strings.Contains(g.StatusReasons[0].ErrorMessage, "package.json") {
				t.Errorf("StatusReasons = %+v, want one naming package.json", g.StatusReasons)
			}
		}
	}
	g := e.get("dev", "fn")
	if g.Timeout != 20 || g.MemorySize != 512 || len(g.Environment.Variables) != 1 || g.Environment.Variables[0].Key != "A" || len(g.StatusReasons) != 0 {
		t.Errorf("after the updates: %+v", g)
	}
	if f, _ := e.Function("dev", "fn"); !bytes.Equal(f.Zip, v3) || f.Version != 3 {
		t.Errorf("stored code is version %d, want v3 as version 3", f.Version)
	}
}

// TestSCFCreateFailed: a package.json that does not parse fails the create
// when dependencies are installed, and only then.
func TestSCFCreateFailed(t *testing.T) {
	t.Parallel()
	e := newTC(t, emulator.Options{Node: "-"})
	bad := nodeFn(t, "exports.main = () => 1", "package.json", "{oops")
	e.mustSCF("CreateFunction", createParams("dev", "deps", bad, "InstallDependency", "TRUE"), nil)
	e.mustSCF("CreateFunction", createParams("dev", "nodeps", bad, "InstallDependency", "FALSE"), nil)
	if seen := e.waitActive("dev", "deps"); seen[len(seen)-1] != "CreateFailed" {
		t.Errorf("with InstallDependency TRUE: %v, want CreateFailed", seen)
	}
	if f, _ := e.Function("dev", "deps"); len(f.StatusReasons) != 1 || !strings.Contains(f.StatusReasons[0].ErrorMessage, "package.json") {
		t.Errorf("StatusReasons = %+v", f.StatusReasons)
	}
	if st := e.get("dev", "nodeps").Status; st != "Active" {
		t.Errorf("with InstallDependency FALSE: %s, want Active", st)
	}
	if err := e.scf("Invoke", map[string]any{"FunctionName": "deps", "Namespace": "dev"}, nil); codeOf(err) != "FailedOperation.FunctionStatusError" {
		t.Errorf("Invoke of a failed function: %v", err)
	}
}

// TestSCFInvoke: results, failures and their logs.
func TestSCFInvoke(t *testing.T) {
	needNode(t)
	t.Parallel()
	cases := []struct {
		name    string
		src     string
		handler string
		params  map[string]any
		code    string
		ret     string
		failed  bool
		log     []string // in the log tail
		errMsg  string   // in ErrMsg
	}{
		{name: "event and env", src: `exports.main = async (e) => ({ a: e.a, v: process.env.V, ns: process.env.SCF_NAMESPACE })`,
			params: map[string]any{"ClientContext": `{"a":1}`}, ret: `{"a":1,"v":"x","ns":"dev"}`},
		{name: "another handler", src: `exports.handler = async () => "h"`, handler: "index.handler", ret: `"h"`},
		{name: "a throw shows in ErrMsg and in the log", src: `exports.main = async () => { console.log("about to fail"); throw new Error("boom") }`,
			failed: true, log: []string{"about to fail", "Error: boom", "at exports.main (/var/user/index.js"}, errMsg: `"errorMessage":"boom"`},
		{name: "a missing module", src: `require("wx-server-sdk"); exports.main = () => 1`, failed: true,
			log: []string{"Cannot find module 'wx-server-sdk'"}, errMsg: "Cannot find module"},
		{name: "time limit", src: `exports.main = () => { for (;;) {} }`, params: map[string]any{"LogType": "Tail"},
			failed: true, log: []string{"timed out after 1 seconds"}, errMsg: "timed out"},
		{name: "ClientContext not JSON", src: `exports.main = () => 1`, params: map[string]any{"ClientContext": "{oops"}, code: "InvalidParameterValue.Param"},
		{name: "asynchronous", src: `exports.main = () => 1`, params: map[string]any{"InvocationType": "Event"}, code: "UnsupportedOperation"},
		{name: "a version", src: `exports.main = () => 1`, params: map[string]any{"Qualifier": "1"}, code: "InvalidParameterValue.Qualifier"},
		{name: "no log without Tail", src: `exports.main = () => { console.log("quiet"); return 1 }`, params: map[string]any{"LogType": "None"}, ret: "1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			e := newTC(t, emulator.Options{StatusDelay: -1, TempDir: tmp})
			timeout := 10
			if c.name == "time limit" {
				timeout = 1
			}
			e.mustSCF("CreateFunction", createParams("dev", "fn", nodeFn(t, c.src), "Handler", cmpOr(c.handler, "index.main"), "Timeout", timeout,
				"Environment", map[string]any{"Variables": []any{map[string]any{"Key": "V", "Value": "x"}}}), nil)
			params := map[string]any{"FunctionName": "fn", "Namespace": "dev", "LogType": "Tail"}
			for k, v := range c.params {
				params[k] = v
			}
			var out struct {
				Result struct {
					RetMsg, ErrMsg, Log string
					InvokeResult        int
				}
			}
			err := e.scf("Invoke", params, &out)
			if codeOf(err) != c.code {
				t.Fatalf("got %v, want %q", err, c.code)
			}
			if c.code != "" {
				return
			}
			r := out.Result
			if (r.InvokeResult != 0) != c.failed || !c.failed && r.RetMsg != c.ret || !strings.Contains(r.ErrMsg, c.errMsg) {
				t.Errorf("Result %+v, want failed=%v RetMsg %s ErrMsg ~ %q", r, c.failed, c.ret, c.errMsg)
			}
			for _, want := range c.log {
				if !strings.Contains(r.Log, want) {
					t.Errorf("log tail lacks %q:\n%s", want, r.Log)
				}
			}
			if strings.Contains(r.Log, tmp) || strings.Contains(r.ErrMsg, tmp) {
				t.Errorf("the temporary directory shows:\n%s\n%s", r.Log, r.ErrMsg)
			}
			if params["LogType"] == "None" && r.Log != "" {
				t.Errorf("Log = %q with LogType None", r.Log)
			}
		})
	}
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// TestSCFTriggers: timers are created, read back as the vendor shows them
// and deleted.
func TestSCFTriggers(t *testing.T) {
	t.Parallel()
	e := newTC(t, emulator.Options{Node: "-", StatusDelay: -1})
	e.mustSCF("CreateFunction", createParams("dev", "fn", nodeFn(t, "")), nil)
	trig := func(name, typ, desc string, kv ...any) map[string]any {
		p := map[string]any{"FunctionName": "fn", "Namespace": "dev", "TriggerName": name, "Type": typ, "TriggerDesc": desc}
		for i := 0; i+1 < len(kv); i += 2 {
			p[kv[i].(string)] = kv[i+1]
		}
		return p
	}
	steps := []struct {
		name   string
		action string
		params map[string]any
		code   string
	}{
		{"nightly", "CreateTrigger", trig("nightly", "timer", "0 0 2 * * * *"), ""},
		{"closed", "CreateTrigger", trig("hourly", "timer", "0 0 */1 * * MON-FRI *", "Enable", "CLOSE"), ""},
		{"again", "CreateTrigger", trig("nightly", "timer", "0 0 3 * * * *"), "ResourceInUse.Trigger"},
		{"5-field cron", "CreateTrigger", trig("five", "timer", "0 2 * * *"), "InvalidParameterValue.TriggerDesc"},
		{"hour 24", "CreateTrigger", trig("late", "timer", "0 0 24 * * * *"), "InvalidParameterValue.TriggerDesc"},
		{"JSON form on create", "CreateTrigger", trig("json", "timer", `{"cron":"0 0 2 * * * *"}`), "InvalidParameterValue.TriggerDesc"},
		{"cos", "CreateTrigger", trig("bucket", "cos", `{"event":"cos:ObjectCreated:*"}`), "InvalidParameterValue.Type"},
		{"bad name", "CreateTrigger", trig("no spaces", "timer", "0 0 2 * * * *"), "InvalidParameterValue.TriggerName"},
		{"Enable maybe", "CreateTrigger", trig("maybe", "timer", "0 0 2 * * * *", "Enable", "maybe"), "InvalidParameterValue.Enable"},
		{"missing function", "CreateTrigger", map[string]any{"FunctionName": "nope", "Namespace": "dev", "TriggerName": "x", "Type": "timer", "TriggerDesc": "0 0 2 * * * *"}, "ResourceNotFound.Function"},
	}
	for _, s := range steps {
		if err := e.scf(s.action, s.params, nil); codeOf(err) != s.code {
			t.Errorf("%s: %v, want %q", s.name, err, s.code)
		}
	}
	g := e.get("dev", "fn")
	if len(g.Triggers) != 2 || g.Triggers[0].TriggerDesc != `{"cron":"0 0 2 * * * *"}` || g.Triggers[0].Enable != 1 || g.Triggers[1].Enable != 0 || g.Triggers[0].Type != "timer" {
		t.Errorf("GetFunction.Triggers = %+v", g.Triggers)
	}
	var list struct {
		TotalCount int
		Triggers   []struct {
			TriggerName, TriggerDesc string
			Enable                   int
		}
	}
	e.mustSCF("ListTriggers", map[string]any{"FunctionName": "fn", "Namespace": "dev", "Order": "DESC"}, &list)
	if list.TotalCount != 2 || list.Triggers[0].TriggerName != "hourly" || list.Triggers[0].TriggerDesc != `{"cron":"0 0 */1 * * MON-FRI *"}` {
		t.Errorf("ListTriggers = %+v", list)
	}
	e.mustSCF("DeleteTrigger", map[string]any{"FunctionName": "fn", "Namespace": "dev", "TriggerName": "nightly", "Type": "timer"}, nil)
	if err := e.scf("DeleteTrigger", map[string]any{"FunctionName": "fn", "Namespace": "dev", "TriggerName": "nightly", "Type": "timer"}, nil); codeOf(err) != "ResourceNotFound.Trigger" {
		t.Errorf("deleting twice: %v", err)
	}
	if f, _ := e.Function("dev", "fn"); len(f.Triggers) != 1 || f.Triggers[0].Name != "hourly" || f.Triggers[0].Enable || f.Triggers[0].Cron != "0 0 */1 * * MON-FRI *" {
		t.Errorf("state: %+v", f.Triggers)
	}
}

// TestSCFAddressListDelete: the code's address and checksum, listing one
// namespace, deleting.
func TestSCFAddressListDelete(t *testing.T) {
	t.Parallel()
	for _, b64sum := range []bool{false, true} {
		e := newTC(t, emulator.Options{Node: "-", StatusDelay: -1, CodeSha256Base64: b64sum})
		zip := nodeFn(t, "exports.main = () => 1")
		for _, name := range []string{"b-fn", "a-fn", "c-fn"} {
			e.mustSCF("CreateFunction", createParams("dev", name, zip), nil)
		}
		e.mustSCF("CreateFunction", createParams("other", "z-fn", zip), nil)
		var addr struct{ Url, CodeSha256 string }
		e.mustSCF("GetFunctionAddress", map[string]any{"FunctionName": "a-fn", "Namespace": "dev"}, &addr)
		want := sha(zip)
		if b64sum {
			raw := sha256Raw(zip)
			want = base64.StdEncoding.EncodeToString(raw)
		}
		if addr.CodeSha256 != want {
			t.Errorf("CodeSha256 = %q, want %q (base64: %v)", addr.CodeSha256, want, b64sum)
		}
		res, err := e.hc.Get(addr.Url)
		if err != nil {
			t.Fatal(err)
		}
		got, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 || !bytes.Equal(got, zip) || !strings.HasPrefix(addr.Url, e.url+"/_emulator/code/dev/a-fn/1?sign=") {
			t.Errorf("GET %s: %d, %d bytes", addr.Url, res.StatusCode, len(got))
		}
		var list struct {
			TotalCount int
			Functions  []struct{ FunctionName, Namespace, Status string }
		}
		e.mustSCF("ListFunctions", map[string]any{"Namespace": "dev", "Limit": 2, "Offset": 1, "Orderby": "FunctionName"}, &list)
		if list.TotalCount != 3 || len(list.Functions) != 2 || list.Functions[0].FunctionName != "b-fn" || list.Functions[1].Status != "Active" {
			t.Errorf("ListFunctions = %+v", list)
		}
		e.mustSCF("DeleteFunction", map[string]any{"FunctionName": "a-fn", "Namespace": "dev"}, nil)
		if err := e.scf("GetFunction", map[string]any{"FunctionName": "a-fn", "Namespace": "dev"}, nil); codeOf(err) != "ResourceNotFound.Function" {
			t.Errorf("GetFunction after DeleteFunction: %v", err)
		}
		if err := e.scf("ListFunctions", map[string]any{"Namespace": "dev", "Limit": 101}, nil); codeOf(err) != "InvalidParameterValue.Limit" {
			t.Errorf("Limit 101: %v", err)
		}
		if len(e.FunctionsIn("dev")) != 2 || len(e.FunctionsIn("other")) != 1 {
			t.Errorf("FunctionsIn: %d in dev, %d in other", len(e.FunctionsIn("dev")), len(e.FunctionsIn("other")))
		}
	}
}

// TestBothSidesShareFunctions: WeChat and Tencent Cloud see the same envs.
func TestBothSidesShareFunctions(t *testing.T) {
	t.Parallel()
	e := newTC(t, emulator.Options{Node: "-"})
	zip := nodeFn(t, "exports.main = () => 1")
	if r := e.call(pBatchCreate, batch("wx", []string{"dev"}, zip)); r.Errcode != 0 || len(r.FailEnvList) != 0 {
		t.Fatalf("batchuploadscf: %+v", r)
	}
	if g := e.get("dev", "wx"); g.Status != "Active" || g.Runtime != "Nodejs18.15" || g.Handler != "index.main" {
		t.Errorf("a WeChat function seen from SCF: %+v", g)
	}
	e.mustSCF("CreateFunction", createParams("dev", "tc", zip), nil)
	if r := e.call(pInvoke, "{}", "env", "dev", "name", "tc"); r.Errcode != -501000 {
		t.Errorf("WeChat invoke of a Creating function: %+v, want -501000", r)
	}
	e.clock.Advance(time.Second)
	if r := e.call(pDownload, single("dev", "tc")); r.Errcode != 0 || r.Checksum != sha(zip) {
		t.Errorf("WeChat download of an SCF function: %+v", r)
	}
}

// TestOIDCToSTSToSCF: keyless deploys. The fake GitHub endpoint issues a JWT,
// STS (unsigned, through the SDK) trades it for temporary keys, and those
// sign SCF calls with X-TC-Token until they expire.
func TestOIDCToSTSToSCF(t *testing.T) {
	t.Parallel()
	var logMu sync.Mutex
	var logs []string
	e := newTC(t, emulator.Options{Node: "-", Logf: func(f string, a ...any) {
		logMu.Lock()
		defer logMu.Unlock()
		logs = append(logs, fmt.Sprintf(f, a...))
	}})
	req, _ := http.NewRequest("GET", e.OIDCRequestURL(e.url)+"&audience=sts.tencentcloudapi.com", nil)
	req.Header.Set("Authorization", "bearer "+e.OIDCRequestToken())
	res, err := e.hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct{ Value string }
	_ = json.NewDecoder(res.Body).Decode(&tok)
	res.Body.Close()
	if res.StatusCode != 200 || strings.Count(tok.Value, ".") != 2 {
		t.Fatalf("OIDC endpoint: HTTP %d %+v", res.StatusCode, tok)
	}
	var creds struct {
		Credentials struct{ Token, TmpSecretId, TmpSecretKey string }
		ExpiredTime int64
		Expiration  string
	}
	params := map[string]any{
		"ProviderId": "github", "WebIdentityToken": tok.Value, "RoleSessionName": "github-actions-octo",
		"RoleArn": "qcs::cam::uin/100000000001:roleName/deployer", "DurationSeconds": 120,
	}
	if err := e.sts(params, &creds); err != nil {
		t.Fatalf("AssumeRoleWithWebIdentity: %v", err)
	}
	c := creds.Credentials
	if c.Token == "" || c.TmpSecretId == "" || c.TmpSecretKey == "" || creds.ExpiredTime != e.clock.Now().Unix()+120 || creds.Expiration == "" {
		t.Fatalf("credentials %+v", creds)
	}
	tmp := e.clientWith(common.NewTokenCredential(c.TmpSecretId, c.TmpSecretKey, c.Token), e.Region())
	list := map[string]any{"Namespace": "dev"}
	if err := send(tmp, "scf", "2018-04-16", "ListFunctions", list, nil, false); err != nil {
		t.Errorf("SCF with temporary keys: %v", err)
	}
	noToken := e.clientWith(common.NewCredential(c.TmpSecretId, c.TmpSecretKey), e.Region())
	if err := send(noToken, "scf", "2018-04-16", "ListFunctions", list, nil, false); codeOf(err) != "AuthFailure.TokenFailure" {
		t.Errorf("temporary keys without their token: %v", err)
	}
	e.clock.Advance(121 * time.Second)
	if err := send(tmp, "scf", "2018-04-16", "ListFunctions", list, nil, false); codeOf(err) != "AuthFailure.TokenFailure" {
		t.Errorf("expired temporary keys: %v", err)
	}
	if c := e.Calls(); c[0].Path != "/_github/oidc/token" || c[1].Action != "AssumeRoleWithWebIdentity" {
		t.Errorf("calls: %+v", c[:2])
	}
	logMu.Lock()
	defer logMu.Unlock()
	all := strings.Join(logs, "\n")
	for _, secret := range []string{e.SecretKey(), e.OIDCRequestToken(), tok.Value, c.Token, c.TmpSecretKey} {
		if strings.Contains(all, secret) {
			t.Errorf("the log holds a secret:\n%s", all)
		}
	}
	if !strings.Contains(all, "AssumeRoleWithWebIdentity") || !strings.Contains(all, "AuthFailure.TokenFailure") {
		t.Errorf("the log does not say what was called and answered:\n%s", all)
	}
}

// TestSTSRefusals: what AssumeRoleWithWebIdentity refuses.
func TestSTSRefusals(t *testing.T) {
	t.Parallel()
	const role = "qcs::cam::uin/100000000001:roleName/deployer"
	cases := []struct {
		name  string
		opts  emulator.Options
		token func(e *tc) string
		edit  map[string]any
		code  string
	}{
		{name: "fine", code: ""},
		{name: "another provider", edit: map[string]any{"ProviderId": "gitlab"}, code: "InvalidParameter.ParamError"},
		{name: "malformed role", edit: map[string]any{"RoleArn": "deployer"}, code: "InvalidParameter.ParamError"},
		{name: "a role that does not exist", opts: emulator.Options{RoleArn: "qcs::cam::uin/100000000001:roleName/other"}, code: "ResourceNotFound.RoleNotFound"},
		{name: "session name of one character", edit: map[string]any{"RoleSessionName": "x"}, code: "InvalidParameter.ParamError"},
		{name: "13 hours", edit: map[string]any{"DurationSeconds": 43201}, code: "InvalidParameter.OverTimeError"},
		{name: "no token", edit: map[string]any{"WebIdentityToken": ""}, code: "MissingParameter"},
		{name: "another audience", token: func(e *tc) string { return e.IssueOIDCToken("https://github.com/octo-org") }, code: "InvalidParameter.WebIdentityTokenError"},
		{name: "expired", token: func(e *tc) string {
			tok := e.IssueOIDCToken("sts.tencentcloudapi.com")
			e.clock.Advance(6 * time.Minute)
			return tok
		}, code: "InvalidParameter.WebIdentityTokenError"},
		{name: "tampered", token: func(e *tc) string {
			tok := e.IssueOIDCToken("sts.tencentcloudapi.com")
			parts := strings.Split(tok, ".")
			claims, _ := base64.RawURLEncoding.DecodeString(parts[1])
			parts[1] = base64.RawURLEncoding.EncodeToString(bytes.Replace(claims, []byte("octo-repo"), []byte("evil-repo"), 1))
			return strings.Join(parts, ".")
		}, code: "InvalidParameter.WebIdentityTokenError"},
		{name: "another emulator's token", token: func(*tc) string {
			return emulator.New(emulator.Options{}).IssueOIDCToken("sts.tencentcloudapi.com")
		}, code: "InvalidParameter.WebIdentityTokenError"},
		{name: "unsigned alg none", token: func(*tc) string {
			h := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none"}`))
			c := base64.RawURLEncoding.EncodeToString([]byte(`{"aud":"sts.tencentcloudapi.com","iss":"https://token.actions.githubusercontent.com","exp":9999999999}`))
			return h + "." + c + "."
		}, code: "InvalidParameter.WebIdentityTokenError"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			e := newTC(t, c.opts)
			tok := e.IssueOIDCToken("sts.tencentcloudapi.com")
			if c.token != nil {
				tok = c.token(e)
			}
			params := map[string]any{"ProviderId": "github", "WebIdentityToken": tok, "RoleArn": role, "RoleSessionName": "ci"}
			for k, v := range c.edit {
				params[k] = v
			}
			var out struct{ Credentials struct{ Token string } }
			err := e.sts(params, &out)
			if codeOf(err) != c.code || (c.code == "") != (out.Credentials.Token != "") {
				t.Errorf("got %v (token %q), want %q", err, out.Credentials.Token, c.code)
			}
		})
	}
}

func TestGitHubOIDCEndpoint(t *testing.T) {
	t.Parallel()
	e := newTC(t, emulator.Options{OIDCRequestToken: "req-t0ken"})
	cases := []struct {
		name, method, auth string
		status             int
	}{
		{"no bearer", "GET", "", 401},
		{"wrong bearer", "GET", "Bearer nope", 401},
		{"POST", "POST", "Bearer req-t0ken", 405},
		{"fine", "GET", "Bearer req-t0ken", 200},
	}
	for _, c := range cases {
		req, _ := http.NewRequestWithContext(context.Background(), c.method, e.OIDCRequestURL(e.url), nil)
		if c.auth != "" {
			req.Header.Set("Authorization", c.auth)
		}
		res, err := e.hc.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct{ Value string }
		_ = json.NewDecoder(res.Body).Decode(&body)
		res.Body.Close()
		if res.StatusCode != c.status || (c.status == 200) != (body.Value != "") {
			t.Errorf("%s: HTTP %d %+v, want %d", c.name, res.StatusCode, body, c.status)
		}
		if c.status == 200 {
			// Without ?audience= GitHub's default is the owner's URL: not
			// what STS trusts.
			err := e.sts(map[string]any{"ProviderId": "github", "WebIdentityToken": body.Value, "RoleArn": "qcs::cam::uin/1:roleName/r", "RoleSessionName": "ci"}, nil)
			if codeOf(err) != "InvalidParameter.WebIdentityTokenError" {
				t.Errorf("default audience accepted by STS: %v", err)
			}
		}
	}
}

// TestUpdateFunctionCodeSizeLimit: a zip one byte over 20 MiB is refused as
// the top-level ZipFile and taken as Code.ZipFile (50 MB), through the SDK.
func TestUpdateFunctionCodeSizeLimit(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("moves 28 MiB bodies (the arithmetic is TestCodeZipSizeLimits)")
	}
	t.Parallel()
	e := newTC(t, emulator.Options{Node: "-", StatusDelay: -1})
	e.mustSCF("CreateFunction", createParams("dev", "big", nodeFn(t, "")), nil)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, _ := zw.CreateHeader(&zip.FileHeader{Name: "index.js", Method: zip.Store})
	_, _ = w.Write(make([]byte, 20<<20))
	_ = zw.Close()
	z := buf.Bytes()
	err := e.scf("UpdateFunctionCode", map[string]any{"FunctionName": "big", "Namespace": "dev", "ZipFile": b64(z)}, nil)
	if codeOf(err) != "InvalidParameterValue.ZipFile" || !strings.Contains(err.Error(), "20 MB") {
		t.Errorf("top-level ZipFile of %d bytes: %v", len(z), err)
	}
	e.mustSCF("UpdateFunctionCode", map[string]any{"FunctionName": "big", "Namespace": "dev", "Code": map[string]any{"ZipFile": b64(z)}}, nil)
	if f, _ := e.Function("dev", "big"); f.SHA256 != sha(z) {
		t.Error("the 20 MiB zip was not stored")
	}
}
