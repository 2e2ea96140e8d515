package wxcloud

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"reflect"
	"testing"
)

func decodeBody(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("request body is not JSON: %v: %q", err, b)
	}
	return m
}

func TestRequests(t *testing.T) {
	t.Parallel()
	zip := []byte("PK\x03\x04 not really a zip \xff\xfe\x00 but bytes are bytes!")
	tests := []struct {
		name      string
		component bool // configure a separate component token
		call      func(c *Client) (any, error)
		path      string
		answer    string
		wantToken string
		wantQuery map[string]string
		wantBody  map[string]any // JSON fields; "zipfile" is checked by decoding
		wantRaw   string         // exact body, when not JSON fields
		want      any
	}{
		{
			name:      "batch create with vpc uses the component token",
			component: true,
			call: func(c *Client) (any, error) {
				return c.BatchCreate(context.Background(), UploadRequest{FunctionName: "login", Envs: []string{"dev-1", "prod-2"}, Zip: zipOf(zip), VPCID: "vpc-1", SubnetID: "subnet-1"})
			},
			path:      "/componenttcb/batchuploadscf",
			answer:    `{"errcode":0,"errmsg":"ok"}`,
			wantToken: testComponent,
			wantBody:  map[string]any{"functionname": "login", "envs": []any{"dev-1", "prod-2"}, "vpcid": "vpc-1", "subnetid": "subnet-1"},
			want:      &BatchResult{Errcode: 0, Errmsg: "ok"},
		},
		{
			name:      "batch create omits an empty vpc",
			component: true,
			call: func(c *Client) (any, error) {
				return c.BatchCreate(context.Background(), UploadRequest{FunctionName: "login", Envs: []string{"dev-1"}, Zip: zipOf(zip)})
			},
			path:      "/componenttcb/batchuploadscf",
			answer:    `{"errcode":0,"errmsg":"ok"}`,
			wantToken: testComponent,
			wantBody:  map[string]any{"functionname": "login", "envs": []any{"dev-1"}},
			want:      &BatchResult{Errmsg: "ok"},
		},
		{
			name:      "batch update never sends vpc",
			component: true,
			call: func(c *Client) (any, error) {
				return c.BatchUpdate(context.Background(), UploadRequest{FunctionName: "pay", Envs: []string{"dev-1"}, Zip: zipOf(zip), VPCID: "vpc-1"})
			},
			path:      "/componenttcb/batchuploadscfcode",
			answer:    `{"errcode":0,"errmsg":"ok"}`,
			wantToken: testComponent,
			wantBody:  map[string]any{"functionname": "pay", "envs": []any{"dev-1"}},
			want:      &BatchResult{Errmsg: "ok"},
		},
		{
			name:      "createfunction uses the access token",
			component: true,
			call: func(c *Client) (any, error) {
				return nil, c.CreateFunction(context.Background(), "dev-1", "login")
			},
			path: "/tcb/createfunction",
			// The seed page's sample answer, trailing comma and all.
			answer:    "{\n\"errcode\": 0,\n\"errmsg\": \"ok\",\n}",
			wantToken: testToken,
			wantBody:  map[string]any{"env": "dev-1", "function_name": "login"},
		},
		{
			name:      "downloadfunction",
			component: true,
			call: func(c *Client) (any, error) {
				return c.Download(context.Background(), "dev-1", "login")
			},
			path:      "/tcb/downloadfunction",
			answer:    `{"errcode":0,"errmsg":"ok","url":"https://cos.example/code?sign=abc","checksum":"bf65"}`,
			wantToken: testToken,
			wantBody:  map[string]any{"env": "dev-1", "function_name": "login"},
			want:      &DownloadResult{URL: "https://cos.example/code?sign=abc", Checksum: "bf65"},
		},
		{
			name:      "invoke sends env and name in the query and data as the body",
			component: true,
			call: func(c *Client) (any, error) {
				return c.Invoke(context.Background(), InvokeRequest{Env: "dev-1", Name: "login", Data: []byte(`{"ping":1}`)})
			},
			path:      "/tcb/invokecloudfunction",
			answer:    `{"errcode":0,"errmsg":"ok","resp_data":"{\"event\":{\"ping\":1}}"}`,
			wantToken: testToken,
			wantQuery: map[string]string{"env": "dev-1", "name": "login"},
			wantRaw:   `{"ping":1}`,
			want:      &InvokeResult{RespData: `{"event":{"ping":1}}`},
		},
		{
			name:      "invoke in batch mode uses the component token and sends {} for nil data",
			component: true,
			call: func(c *Client) (any, error) {
				return c.Invoke(context.Background(), InvokeRequest{Env: "dev-1", Name: "login", Batch: true})
			},
			path:      "/tcb/invokecloudfunction",
			answer:    `{"errcode":0,"errmsg":"ok","resp_data":"{\"errorCode\":1,\"errorMessage\":\"boom\"}"}`,
			wantToken: testComponent,
			wantQuery: map[string]string{"env": "dev-1", "name": "login"},
			wantRaw:   `{}`,
			want:      &InvokeResult{RespData: `{"errorCode":1,"errorMessage":"boom"}`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeAPI(t, map[string]http.HandlerFunc{tt.path: script(ok(tt.answer))})
			var component TokenSource
			if tt.component {
				component = StaticToken(testComponent)
			}
			c := testClient(srv, WithTokens(StaticToken(testToken), component))
			got, err := tt.call(c)
			if err != nil {
				t.Fatalf("unexpected error: %v", err)
			}
			if tt.want != nil && !reflect.DeepEqual(got, tt.want) {
				t.Errorf("result = %#v, want %#v", got, tt.want)
			}
			reqs := srv.requests("")
			if len(reqs) != 1 {
				t.Fatalf("got %d requests, want 1", len(reqs))
			}
			r := reqs[0]
			if r.Method != http.MethodPost || r.Path != tt.path {
				t.Errorf("request = %s %s, want POST %s", r.Method, r.Path, tt.path)
			}
			if got := r.Query.Get("access_token"); got != tt.wantToken {
				t.Errorf("access_token = %q, want %q", got, tt.wantToken)
			}
			for k, v := range tt.wantQuery {
				if got := r.Query.Get(k); got != v {
					t.Errorf("query %s = %q, want %q", k, got, v)
				}
			}
			if ct := r.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			if ua := r.Header.Get("User-Agent"); ua != "wxcloud-deploy" {
				t.Errorf("User-Agent = %q", ua)
			}
			if tt.wantRaw != "" && string(r.Body) != tt.wantRaw {
				t.Errorf("body = %q, want %q", r.Body, tt.wantRaw)
			}
			if tt.wantBody == nil {
				return
			}
			body := decodeBody(t, r.Body)
			if z, ok := body["zipfile"]; ok {
				dec, err := base64.StdEncoding.DecodeString(z.(string))
				if err != nil || !bytes.Equal(dec, zip) {
					t.Errorf("zipfile decodes to %q (%v), want the zip bytes", dec, err)
				}
				delete(body, "zipfile")
			} else if bytes.Contains([]byte(tt.path), []byte("batch")) {
				t.Errorf("batch body has no zipfile")
			}
			if !reflect.DeepEqual(body, tt.wantBody) {
				t.Errorf("body fields = %v, want %v", body, tt.wantBody)
			}
		})
	}
}

func TestInvalidRequestsSendNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		call func(c *Client) error
		want error // nil: any error
	}{
		{"no function name", func(c *Client) error {
			_, err := c.BatchCreate(context.Background(), UploadRequest{Envs: []string{"e"}, Zip: zipOf([]byte("x"))})
			return err
		}, nil},
		{"no envs", func(c *Client) error {
			_, err := c.BatchUpdate(context.Background(), UploadRequest{FunctionName: "f", Zip: zipOf([]byte("x"))})
			return err
		}, nil},
		{"empty zip", func(c *Client) error {
			_, err := c.BatchUpdate(context.Background(), UploadRequest{FunctionName: "f", Envs: []string{"e"}})
			return err
		}, nil},
		{"no env for download", func(c *Client) error {
			_, err := c.Download(context.Background(), "", "f")
			return err
		}, nil},
		{"no name for invoke", func(c *Client) error {
			_, err := c.Invoke(context.Background(), InvokeRequest{Env: "e"})
			return err
		}, nil},
		{"batch call with only an access token", func(c *Client) error {
			WithTokens(StaticToken(testToken), nil)(c)
			_, err := c.BatchCreate(context.Background(), UploadRequest{FunctionName: "f", Envs: []string{"e"}, Zip: zipOf([]byte("x"))})
			if err != nil && !bytes.Contains([]byte(err.Error()), []byte("batchuploadscf needs a component_access_token: set component-access-token, or component-appid, component-appsecret and component-verify-ticket")) {
				return fmt.Errorf("unexpected message: %w", err)
			}
			return err
		}, ErrNoToken},
		{"batch invoke with only an access token", func(c *Client) error {
			WithTokens(StaticToken(testToken), nil)(c)
			_, err := c.Invoke(context.Background(), InvokeRequest{Env: "e", Name: "f", Batch: true})
			return err
		}, ErrNoToken},
		{"createfunction with only a component token", func(c *Client) error {
			WithTokens(nil, StaticToken(testComponent))(c)
			return c.CreateFunction(context.Background(), "e", "f")
		}, ErrNoToken},
		{"empty static token", func(c *Client) error {
			WithTokens(StaticToken(""), nil)(c)
			return c.CreateFunction(context.Background(), "e", "f")
		}, ErrNoToken},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeAPI(t, nil)
			err := tt.call(testClient(srv))
			if err == nil {
				t.Fatal("want an error")
			}
			if tt.want != nil && !errors.Is(err, tt.want) {
				t.Errorf("error %v is not %v", err, tt.want)
			}
			if n := len(srv.requests("")); n != 0 {
				t.Errorf("sent %d requests, want none", n)
			}
		})
	}
}

func TestPartialFailure(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		update bool
		answer string
		want   []EnvFailure
	}{
		{
			name:   "create: fail_env_list with errmsg",
			answer: `{"errcode":0,"errmsg":"ok","fail_env_list":[{"env":"prod-2","errmsg":"ResourceInUse.Function: function already exists"}]}`,
			want:   []EnvFailure{{Endpoint: "batchuploadscf", Env: "prod-2", Msg: "ResourceInUse.Function: function already exists"}},
		},
		{
			name:   "create: fail_list with errormsg",
			answer: `{"errcode":0,"errmsg":"ok","fail_list":[{"env":"prod-2","errormsg":"boom"}]}`,
			want:   []EnvFailure{{Endpoint: "batchuploadscf", Env: "prod-2", Msg: "boom"}},
		},
		{
			name:   "update: fail_list with errormsg and errcode",
			update: true,
			answer: `{"errcode":0,"errmsg":"ok","fail_list":[{"env":"dev-1","errcode":-501001,"errormsg":"ResourceNotFound.Function"},{"env":"prod-2","errormsg":"云函数不存在"}]}`,
			want: []EnvFailure{{Endpoint: "batchuploadscfcode", Env: "dev-1", Errcode: -501001, Msg: "ResourceNotFound.Function"},
				{Endpoint: "batchuploadscfcode", Env: "prod-2", Msg: "云函数不存在"}},
		},
		{
			name:   "update: fail_env_list with errmsg",
			update: true,
			answer: `{"errcode":0,"errmsg":"ok","fail_env_list":[{"env":"dev-1","errmsg":"function not exist"}]}`,
			want:   []EnvFailure{{Endpoint: "batchuploadscfcode", Env: "dev-1", Msg: "function not exist"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := "/componenttcb/batchuploadscf"
			if tt.update {
				path += "code"
			}
			srv := newFakeAPI(t, map[string]http.HandlerFunc{path: script(ok(tt.answer))})
			c := testClient(srv)
			req := UploadRequest{FunctionName: "f", Envs: []string{"dev-1", "prod-2"}, Zip: zipOf([]byte("zip"))}
			var res *BatchResult
			var err error
			if tt.update {
				res, err = c.BatchUpdate(context.Background(), req)
			} else {
				res, err = c.BatchCreate(context.Background(), req)
			}
			if err != nil {
				t.Fatalf("a partial failure is not an error, got %v", err)
			}
			if !reflect.DeepEqual(res.Failed, tt.want) {
				t.Errorf("Failed = %#v, want %#v", res.Failed, tt.want)
			}
		})
	}
}

// An errcode fails the whole call, whatever its fail list says.
func TestBatchErrcodeFailsTheCall(t *testing.T) {
	t.Parallel()
	srv := newFakeAPI(t, map[string]http.HandlerFunc{"/componenttcb/batchuploadscf": script(ok(
		`{"errcode":85088,"errmsg":"no qbase privilege","fail_env_list":[{"env":"x","errmsg":"no qbase privilege"}]}`))})
	res, err := testClient(srv).BatchCreate(context.Background(), UploadRequest{FunctionName: "f", Envs: []string{"x", "y"}, Zip: zipOf([]byte("z"))})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 85088 {
		t.Fatalf("err = %v, want APIError 85088", err)
	}
	if res != nil {
		t.Errorf("result = %#v, want none with the error", res)
	}
}

func TestInvokeFunctionError(t *testing.T) {
	t.Parallel()
	srv := newFakeAPI(t, map[string]http.HandlerFunc{"/tcb/invokecloudfunction": script(ok(
		`{"errcode":-504002,"errmsg":"functions execute fail","resp_data":""}`))})
	_, err := testClient(srv).Invoke(context.Background(), InvokeRequest{Env: "e", Name: "f"})
	var apiErr *APIError
	if !errors.As(err, &apiErr) || apiErr.Code != -504002 || apiErr.Hint != Explain(-501000) {
		t.Fatalf("err = %v, want APIError -504002 with the function-side hint", err)
	}
	if n := len(srv.requests("")); n != 1 {
		t.Errorf("function-side errors must not be retried: %d requests", n)
	}
}

func TestDownloadIncomplete(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, answer string }{
		{"empty object", `{}`},
		{"errcode 0 without url", `{"errcode":0,"errmsg":"ok","checksum":"abc"}`},
		{"errcode 0 without checksum", `{"errcode":0,"errmsg":"ok","url":"https://x/y"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			srv := newFakeAPI(t, map[string]http.HandlerFunc{"/tcb/downloadfunction": script(ok(tt.answer))})
			_, err := testClient(srv).Download(context.Background(), "e", "f")
			if !errors.Is(err, ErrIncomplete) {
				t.Fatalf("err = %v, want ErrIncomplete", err)
			}
			if !bytes.Contains([]byte(err.Error()), []byte("incomplete")) {
				t.Errorf("message %q does not say the response was incomplete", err)
			}
		})
	}
}
