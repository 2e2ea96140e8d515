package wxcloud

import (
	"errors"
	"reflect"
	"testing"
)

func TestDecodeResponse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    *response
		wantErr string // bodyError kind
	}{
		{"ok", `{"errcode":0,"errmsg":"ok"}`, &response{Errmsg: "ok"}, ""},
		{"errcode absent", `{"url":"u","checksum":"c"}`, &response{URL: "u", Checksum: "c"}, ""},
		{"errcode as string", `{"errcode":"85088","errmsg":"no qbase privilege"}`, &response{Errcode: 85088, Errmsg: "no qbase privilege"}, ""},
		{"negative errcode", `{"errcode":-501000,"errmsg":"x"}`, &response{Errcode: -501000, Errmsg: "x"}, ""},
		{"seed sample with trailing comma", "{\n\"errcode\": 0,\n\"errmsg\": \"ok\",\n}", &response{Errmsg: "ok"}, ""},
		{"resp_data string", `{"errcode":0,"resp_data":"{\"a\":1}"}`, &response{RespData: `{"a":1}`}, ""},
		{"resp_data object", `{"errcode":0,"resp_data":{"a":1}}`, &response{RespData: `{"a":1}`}, ""},
		{"tokens", `{"access_token":"A","component_access_token":"C","expires_in":"7200"}`, &response{AccessToken: "A", ComponentAccessToken: "C", ExpiresIn: 7200}, ""},
		{"both fail lists", `{"fail_env_list":[{"env":"a","errmsg":"m1"}],"fail_list":[{"env":"b","errormsg":"m2","errcode":"-1"}]}`,
			&response{FailEntries: []failEntry{
				{raw: `{"env":"a","errmsg":"m1"}`, object: true, env: "a", envKind: "string", msg: "m1"},
				{raw: `{"env":"b","errormsg":"m2","errcode":"-1"}`, object: true, env: "b", envKind: "string", msg: "m2", errcode: -1}}}, ""},
		{"null fail list", `{"fail_list":null}`, &response{}, ""},
		{"fail list as one object", `{"fail_list":{"env":"a","errmsg":"m"}}`, &response{FailListProblem: "fail_list is an object, not an array"}, ""},
		{"fail list as a string", `{"fail_env_list":"dev-1"}`, &response{FailListProblem: "fail_env_list is a string, not an array"}, ""},
		{"fail list as a number", `{"fail_list":3}`, &response{FailListProblem: "fail_list is a number, not an array"}, ""},
		{"fail list of strings", `{"fail_list":["dev-1 failed"]}`, &response{FailEntries: []failEntry{{raw: `"dev-1 failed"`}}}, ""},
		{"fail entry with a numeric env", `{"fail_list":[{"env":7}]}`, &response{FailEntries: []failEntry{{raw: `{"env":7}`, object: true, env: "7", envKind: "a number"}}}, ""},
		{"empty", "", nil, "an empty body"},
		{"blank", " \n", nil, "an empty body"},
		{"html", "<html>502</html>", nil, "a non-JSON body"},
		{"array", `[1]`, nil, "a non-JSON body"},
		{"null", `null`, nil, "a non-JSON body"},
		{"truncated", `{"errcode":0,"errm`, nil, "a truncated JSON body"},
		{"garbage inside", `{"errcode":0 x}`, nil, "a non-JSON body"},
		{"errcode not a number", `{"errcode":"abc"}`, nil, "a malformed JSON body"},
		{"errcode fractional", `{"errcode":1.5}`, nil, "a malformed JSON body"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := decodeResponse(nil, []byte(tt.in))
			if tt.wantErr != "" {
				var be *bodyError
				if !errors.As(err, &be) || be.kind != tt.wantErr {
					t.Fatalf("err = %v, want %s", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}

func FuzzDecodeResponse(f *testing.F) {
	for _, seed := range []string{
		`{"errcode":0,"errmsg":"ok"}`,
		`{"errcode":85088,"errmsg":"no qbase privilege"}`,
		`{"errcode":0,"errmsg":"ok","fail_env_list":[{"env":"dev-1","errmsg":"ResourceInUse"}]}`,
		`{"errcode":0,"errmsg":"ok","fail_list":[{"env":"dev-1","errormsg":"not exist"}]}`,
		`{"errcode":0,"fail_list":[{"env":"DEV-1"},{"errcode":-501000,"errormsg":"rollback failed"}],"fail_env_list":"prod-2"}`,
		`{"errcode":0,"errmsg":"ok","resp_data":"{\"event\":{}}"}`,
		`{"errcode":0,"errmsg":"ok","url":"https://x","checksum":"bf65"}`,
		`{"access_token":"T","expires_in":7200}`,
		"{\n\"errcode\": 0,\n\"errmsg\": \"ok\",\n}",
		`<html>502 Bad Gateway</html>`,
		`{"errcode":0,"errm`,
		``,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r, err := decodeResponse(nil, data)
		if (r == nil) == (err == nil) {
			t.Fatalf("want exactly one of response and error, got %v, %v", r, err)
		}
		if err != nil {
			var be *bodyError
			if !errors.As(err, &be) {
				t.Fatalf("error %v is not a bodyError", err)
			}
			_ = err.Error()
			return
		}
		// Decoding is deterministic.
		r2, _ := decodeResponse(nil, data)
		if !reflect.DeepEqual(r, r2) {
			t.Fatalf("decoded differently twice")
		}
		// Read against a request, a fail list either pins every entry on a
		// requested env or fails the call: never a silent success.
		envs := []string{"dev-1", "prod-2"}
		failed, err := NewClient(nil).readFailList("batchuploadscf", envs, r)
		if err != nil {
			var fe *FailListError
			if !errors.As(err, &fe) {
				t.Fatalf("readFailList error %v is not a FailListError", err)
			}
			return
		}
		if r.FailListProblem != "" || len(failed) != len(r.FailEntries) {
			t.Fatalf("read %d of %d entries (problem %q) without an error", len(failed), len(r.FailEntries), r.FailListProblem)
		}
		for _, f := range failed {
			if f.Env != envs[0] && f.Env != envs[1] {
				t.Fatalf("failure pinned on env %q, which was not requested", f.Env)
			}
		}
	})
}
