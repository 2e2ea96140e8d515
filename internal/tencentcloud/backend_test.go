package tencentcloud

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
)

func jsonOf(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var authRE = regexp.MustCompile(`^TC3-HMAC-SHA256 Credential=` + testSecretID + `/\d{4}-\d{2}-\d{2}/scf/tc3_request, SignedHeaders=content-type;host, Signature=[0-9a-f]{64}$`)

// TestRequestShapes asserts every field each action sends, and the headers
// the SDK adds (action, version, region, a TC3 signature, the token).
func TestRequestShapes(t *testing.T) {
	t.Parallel()
	const zipContent = "PK-not-really-a-zip"
	zip64 := base64.StdEncoding.EncodeToString([]byte(zipContent))
	settings := &backend.Settings{Timeout: intp(20), MemorySize: intp(512), EnvVars: map[string]string{"B": "2", "A": "1"}, Handler: "app.run"}
	tests := []struct {
		name   string
		mutate func(o *Options)
		run    func(t *testing.T, b *Backend) error
		action string
		want   map[string]any
		region string
		token  string
	}{
		{
			name: "probe reads the function",
			run: func(t *testing.T, b *Backend) error {
				_, err := b.Probe(context.Background(), "login", "dev-1")
				return err
			},
			action: "GetFunction",
			want:   map[string]any{"FunctionName": "login", "Namespace": "dev-1"},
			region: "ap-shanghai",
		},
		{
			name:   "probe reads the address, in the region given",
			mutate: func(o *Options) { o.Region = "ap-guangzhou" },
			run: func(t *testing.T, b *Backend) error {
				_, err := b.Probe(context.Background(), "login", "dev-1")
				return err
			},
			action: "GetFunctionAddress",
			want:   map[string]any{"FunctionName": "login", "Namespace": "dev-1"},
			region: "ap-guangzhou",
		},
		{
			name: "create sends code, role, settings and VPC, no Stamp",
			mutate: func(o *Options) {
				o.VPCID, o.SubnetID, o.InstallDependency = "vpc-1", "subnet-1", true
			},
			run: func(t *testing.T, b *Backend) error {
				return b.Upload(context.Background(), backend.UploadRequest{Op: backend.Create, Function: "login", Envs: []string{"dev-1"}, Zip: testZip(t, zipContent), Settings: settings})[0].Err
			},
			action: "CreateFunction",
			want: map[string]any{
				"FunctionName": "login", "Namespace": "dev-1", "Handler": "app.run", "Runtime": "Nodejs18.15", "Role": "TCB_QcsRole",
				"InstallDependency": "TRUE", "Timeout": 20, "MemorySize": 512,
				"Environment": map[string]any{"Variables": []any{map[string]any{"Key": "A", "Value": "1"}, map[string]any{"Key": "B", "Value": "2"}}},
				"VpcConfig":   map[string]any{"VpcId": "vpc-1", "SubnetId": "subnet-1"},
				"Code":        map[string]any{"ZipFile": zip64},
			},
			region: "ap-shanghai",
		},
		{
			name:   "update sends a top-level ZipFile, the handler and install dependency, with the session token",
			mutate: func(o *Options) { o.SessionToken = testToken; o.Handler = "main.handler" },
			run: func(t *testing.T, b *Backend) error {
				return b.Upload(context.Background(), backend.UploadRequest{Op: backend.Update, Function: "login", Envs: []string{"dev-1"}, Zip: testZip(t, zipContent)})[0].Err
			},
			action: "UpdateFunctionCode",
			want:   map[string]any{"FunctionName": "login", "Namespace": "dev-1", "Handler": "main.handler", "InstallDependency": "FALSE", "ZipFile": zip64},
			region: "ap-shanghai",
			token:  testToken,
		},
		{
			name: "invoke sends the event as ClientContext with the log tail",
			run: func(t *testing.T, b *Backend) error {
				_, err := b.Invoke(context.Background(), backend.InvokeRequest{Function: "login", Env: "dev-1", Event: []byte(`{"a":1}`)})
				return err
			},
			action: "Invoke",
			want:   map[string]any{"FunctionName": "login", "Namespace": "dev-1", "LogType": "Tail", "ClientContext": `{"a":1}`},
			region: "ap-shanghai",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := newKit(t, tt.mutate)
			k.api.always("GetFunction", fn("Active", nil))
			k.api.always("Invoke", map[string]any{"Result": map[string]any{"RetMsg": "{}"}})
			if err := tt.run(t, k.b); err != nil {
				t.Fatalf("call: %v", err)
			}
			reqs := k.api.requests(tt.action)
			if len(reqs) != 1 {
				t.Fatalf("%d %s requests, want 1", len(reqs), tt.action)
			}
			r := reqs[0]
			if got, want := jsonOf(t, r.Body), jsonOf(t, tt.want); got != want {
				t.Errorf("body\n got %s\nwant %s", got, want)
			}
			if r.Version != scfVersion || r.Region != tt.region || r.Token != tt.token || r.ContentType != "application/json" || r.Language != "en-US" {
				t.Errorf("headers: version %q region %q token %q content-type %q language %q", r.Version, r.Region, r.Token, r.ContentType, r.Language)
			}
			if !authRE.MatchString(r.Auth) {
				t.Errorf("Authorization %q is not a TC3 signature with the secret ID", r.Auth)
			}
		})
	}
}

func TestCreateEmptySendsAPlaceholder(t *testing.T) {
	t.Parallel()
	k := newKit(t, func(o *Options) { o.InstallDependency = true; o.Handler = "app.handle" })
	if err := k.b.CreateEmpty(context.Background(), "login", "dev-1"); err != nil {
		t.Fatal(err)
	}
	r := k.api.requests("CreateFunction")[0]
	if r.Body["InstallDependency"] != "FALSE" || r.Body["Handler"] != "app.handle" || r.Body["Role"] != "TCB_QcsRole" {
		t.Errorf("body %v", r.Body)
	}
	z64, _ := r.Body["Code"].(map[string]any)["ZipFile"].(string)
	raw, err := base64.StdEncoding.DecodeString(z64)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(raw), int64(len(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if len(zr.File) != 1 || zr.File[0].Name != "app.js" {
		t.Fatalf("zip files %v, want app.js", zr.File)
	}
	rc, _ := zr.File[0].Open()
	src, _ := io.ReadAll(rc)
	if !strings.Contains(string(src), `exports["handle"] = async () => ({});`) {
		t.Errorf("placeholder source %q", src)
	}
}

func TestProbe(t *testing.T) {
	t.Parallel()
	const hexSum = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
	raw, _ := hex.DecodeString(hexSum)
	b64Sum := base64.StdEncoding.EncodeToString(raw)
	tests := []struct {
		name    string
		getFn   answer
		addr    answer
		want    backend.Deployed
		wantErr backend.Kind
	}{
		{"hex checksum, upper case", fn("Active", nil), map[string]any{"Url": "https://cos/x.zip?sign=s", "CodeSha256": strings.ToUpper(hexSum)},
			backend.Deployed{Exists: backend.Exists, Status: "Active", SHA256: hexSum, CodeURL: "https://cos/x.zip?sign=s"}, 0},
		{"base64 checksum", fn("Active", nil), map[string]any{"Url": "u", "CodeSha256": b64Sum},
			backend.Deployed{Exists: backend.Exists, Status: "Active", SHA256: hexSum, CodeURL: "u"}, 0},
		{"unreadable checksum is none", fn("Updating", nil), map[string]any{"Url": "u", "CodeSha256": "md5:abc"},
			backend.Deployed{Exists: backend.Exists, Status: "Updating", CodeURL: "u"}, 0},
		{"missing (Function)", apiErr("ResourceNotFound.Function", "no"), nil, backend.Deployed{Exists: backend.Missing}, 0},
		{"missing (FunctionName)", apiErr("ResourceNotFound.FunctionName", "no"), nil, backend.Deployed{Exists: backend.Missing}, 0},
		{"no env", apiErr("ResourceNotFound.Namespace", "no"), nil, backend.Deployed{}, backend.KindNoEnv},
		{"address refused", fn("CreateFailed", nil), apiErr("UnauthorizedOperation.CAM", "no"),
			backend.Deployed{Exists: backend.Exists, Status: "CreateFailed"}, backend.KindDenied},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := newKit(t, nil)
			k.api.always("GetFunction", tt.getFn)
			k.api.always("GetFunctionAddress", tt.addr)
			d, err := k.b.Probe(context.Background(), "login", "dev-1")
			if d != tt.want {
				t.Errorf("Deployed = %+v, want %+v", d, tt.want)
			}
			if (err != nil) != (tt.wantErr != 0) || backend.KindOf(err) != tt.wantErr && err != nil {
				t.Errorf("err = %v (kind %v), want kind %v", err, backend.KindOf(err), tt.wantErr)
			}
		})
	}
}

func TestUploadOutcomesPerEnvInOrder(t *testing.T) {
	t.Parallel()
	k := newKit(t, func(o *Options) { o.UploadBudget = 1 }) // every upload takes the whole budget
	var inFlight, peak atomic.Int32
	k.api.on("UpdateFunctionCode", func(r apiRequest, n int) answer {
		cur := inFlight.Add(1)
		defer inFlight.Add(-1)
		for {
			p := peak.Load()
			if cur <= p || peak.CompareAndSwap(p, cur) {
				break
			}
		}
		time.Sleep(5 * time.Millisecond) // let another upload overlap if the bound were broken
		switch r.Body["Namespace"] {
		case "gone":
			return apiErr("ResourceNotFound.FunctionName", "function not found")
		case "nowhere":
			return apiErr("ResourceNotFound.Namespace", "namespace not found")
		}
		return nil
	})
	envs := []string{"a-1", "gone", "b-2", "nowhere", "c-3"}
	out := k.b.Upload(context.Background(), backend.UploadRequest{Op: backend.Update, Function: "login", Envs: envs, Zip: testZip(t, "zip")})
	wantKinds := []backend.Kind{backend.KindOther, backend.KindNotFound, backend.KindOther, backend.KindNoEnv, backend.KindOther}
	for i, o := range out {
		if o.Env != envs[i] || !o.PerEnv {
			t.Errorf("outcome %d = %+v, want env %q per env", i, o, envs[i])
		}
		if (o.Err != nil) != (wantKinds[i] != backend.KindOther) || (o.Err != nil && backend.KindOf(o.Err) != wantKinds[i]) {
			t.Errorf("env %s: err %v, want kind %v", o.Env, o.Err, wantKinds[i])
		}
	}
	if p := peak.Load(); p != 1 {
		t.Errorf("%d uploads in flight at once, the budget allows 1", p)
	}
}

func TestUploadRefusesAChangedPackage(t *testing.T) {
	t.Parallel()
	k := newKit(t, nil)
	z := testZip(t, "zip")
	z.SHA256 = strings.Repeat("0", 64)
	out := k.b.Upload(context.Background(), backend.UploadRequest{Op: backend.Create, Function: "login", Envs: []string{"dev-1"}, Zip: z})
	if out[0].Err == nil || out[0].PerEnv || !strings.Contains(out[0].Err.Error(), "changed after it was packed") {
		t.Errorf("outcome %+v", out[0])
	}
	if k.api.writes() != 0 {
		t.Error("a changed package was sent")
	}
}

func TestUpdateWaitsForABusyFunction(t *testing.T) {
	t.Parallel()
	for _, code := range []string{"FailedOperation.UpdateFunctionCode", "FailedOperation.FunctionStatusError", "FailedOperation.OperationConflict"} {
		t.Run(code, func(t *testing.T) {
			t.Parallel()
			k := newKit(t, func(o *Options) { o.PollInterval = 2 * time.Second })
			k.api.on("UpdateFunctionCode", func(r apiRequest, n int) answer {
				if n == 1 {
					return apiErr(code, "function is updating")
				}
				return nil
			})
			k.api.on("GetFunction", func(r apiRequest, n int) answer {
				if n < 3 {
					return fn("Updating", nil)
				}
				return fn("Active", nil)
			})
			out := k.b.Upload(context.Background(), backend.UploadRequest{Op: backend.Update, Function: "login", Envs: []string{"dev-1"}, Zip: testZip(t, "zip")})
			if out[0].Err != nil {
				t.Fatal(out[0].Err)
			}
			if got := k.api.count("UpdateFunctionCode"); got != 2 {
				t.Errorf("%d updates sent, want 2 (one refused, one after the wait)", got)
			}
			if got := k.api.count("GetFunction"); got != 3 {
				t.Errorf("%d polls, want 3 (Updating, Updating, Active)", got)
			}
			for _, d := range k.clock.slept() {
				if d <= 0 || d > 2*time.Second {
					t.Errorf("slept %s, want at most the poll interval", d)
				}
			}
		})
	}
}

func TestBusyUpdateGivesUpAsBusy(t *testing.T) {
	t.Parallel()
	k := newKit(t, func(o *Options) { o.Retries = 2 })
	k.api.always("UpdateFunctionCode", apiErr("FailedOperation.FunctionStatusError", "busy"))
	k.api.always("GetFunction", fn("Active", nil))
	err := k.b.Upload(context.Background(), backend.UploadRequest{Op: backend.Update, Function: "login", Envs: []string{"dev-1"}, Zip: testZip(t, "zip")})[0].Err
	if backend.KindOf(err) != backend.KindBusy || !strings.Contains(err.Error(), "FailedOperation.FunctionStatusError") {
		t.Errorf("err = %v, want KindBusy with the code", err)
	}
	if got := k.api.count("UpdateFunctionCode"); got != 3 {
		t.Errorf("%d updates, want 3 (the first and 2 retries)", got)
	}
}

func TestWaitReady(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		statuses []answer
		want     backend.Kind
		wantMsg  []string
		polls    int
	}{
		{"active at once", []answer{fn("Active", nil)}, backend.KindOther, nil, 1},
		{"creating then active", []answer{fn("Creating", nil), fn("Creating", nil), fn("Active", nil)}, backend.KindOther, nil, 3},
		{"update failed with reasons", []answer{fn("Updating", nil), fn("UpdateFailed", map[string]any{"StatusReasons": []any{
			map[string]any{"ErrorCode": "InstallDependencyFailed", "ErrorMessage": "npm ERR! 404 left-pad"}}})},
			backend.KindDeployFailed, []string{"UpdateFailed", "InstallDependencyFailed", "npm ERR! 404 left-pad", "package.json"}, 2},
		{"create failed", []answer{fn("CreateFailed", map[string]any{"StatusDesc": "image pull failed"})}, backend.KindDeployFailed, []string{"CreateFailed", "image pull failed"}, 1},
		// Waits of 0.5, 1, 2, 2, 2, 2 s: polls at 0, 0.5, 1.5, 3.5, 5.5, 7.5, 9.5, 11.5 s.
		{"times out", []answer{fn("Updating", nil)}, backend.KindBusy, []string{"still Updating after 10s"}, 8},
		{"gone", []answer{apiErr("ResourceNotFound.Function", "no")}, backend.KindNotFound, []string{"does not exist"}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := newKit(t, func(o *Options) { o.PollInterval = 2 * time.Second; o.ReadyTimeout = 10 * time.Second })
			k.api.on("GetFunction", func(r apiRequest, n int) answer { return tt.statuses[min(n, len(tt.statuses))-1] })
			err := k.b.WaitReady(context.Background(), "login", "dev-1", backend.Zip{})
			if tt.want == backend.KindOther && err != nil || tt.want != backend.KindOther && backend.KindOf(err) != tt.want {
				t.Fatalf("err = %v (kind %v), want kind %v", err, backend.KindOf(err), tt.want)
			}
			for _, m := range tt.wantMsg {
				if !strings.Contains(err.Error(), m) {
					t.Errorf("error %q lacks %q", err, m)
				}
			}
			if got := k.api.count("GetFunction"); got != tt.polls {
				t.Errorf("%d polls, want %d", got, tt.polls)
			}
		})
	}
}

func TestWaitReadyStopsWithTheContext(t *testing.T) {
	t.Parallel()
	k := newKit(t, nil)
	ctx, cancel := context.WithCancel(context.Background())
	k.api.on("GetFunction", func(r apiRequest, n int) answer { cancel(); return fn("Updating", nil) })
	err := k.b.WaitReady(ctx, "login", "dev-1", backend.Zip{})
	if backend.KindOf(err) != backend.KindCancelled || !errors.Is(err, context.Canceled) {
		t.Errorf("err = %v, want cancelled", err)
	}
}

func TestInvoke(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		answer  answer
		want    backend.InvokeResult
		wantErr backend.Kind
	}{
		{"ok", map[string]any{"Result": map[string]any{"RetMsg": `{"ok":true}`, "Log": "START\nEND", "Duration": 12.5, "InvokeResult": 0, "ErrMsg": ""}},
			backend.InvokeResult{RespData: `{"ok":true}`, Log: "START\nEND", Duration: 12500 * time.Microsecond}, 0},
		{"function threw", map[string]any{"Result": map[string]any{"RetMsg": "", "ErrMsg": "TypeError: x is undefined", "InvokeResult": 1, "Log": "stack"}},
			backend.InvokeResult{FunctionError: "TypeError: x is undefined", Log: "stack"}, 0},
		{"not active", apiErr("FailedOperation.FunctionStatusError", "function status is Updating"), backend.InvokeResult{}, backend.KindBusy},
		{"no result", map[string]any{}, backend.InvokeResult{}, backend.KindUnreachable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			k := newKit(t, nil)
			k.api.always("Invoke", tt.answer)
			got, err := k.b.Invoke(context.Background(), backend.InvokeRequest{Function: "login", Env: "dev-1"})
			if got != tt.want {
				t.Errorf("result %+v, want %+v", got, tt.want)
			}
			if tt.wantErr == 0 && err != nil || tt.wantErr != 0 && backend.KindOf(err) != tt.wantErr {
				t.Errorf("err = %v, want kind %v", err, tt.wantErr)
			}
			if n := k.api.count("Invoke"); n != 1 {
				t.Errorf("%d invokes: an invoke runs the function, it is not retried", n)
			}
			if r := k.api.requests("Invoke")[0]; r.Body["ClientContext"] != "{}" {
				t.Errorf("ClientContext %v, want {} for no event", r.Body["ClientContext"])
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	k := newKit(t, nil)
	k.api.always("GetFunction", fn("Active", nil))
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := k.b.Probe(context.Background(), "login", "dev-1"); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
}
