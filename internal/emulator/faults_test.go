package emulator_test

import (
	"context"
	"errors"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
)

// post sends one request with the emulator's token and returns what came back
// without judging it.
func (e *emu) post(ctx context.Context, path string, body any, kv ...string) (int, string, error) {
	q := url.Values{"access_token": {e.Token()}}
	for i := 0; i+1 < len(kv); i += 2 {
		q.Set(kv[i], kv[i+1])
	}
	status, _, data, err := e.raw(ctx, "POST", path, q, body)
	return status, string(data), err
}

func TestFaults(t *testing.T) {
	t.Parallel()
	zip := makeZip(t, map[string]string{"index.js": "x"})
	download := single("a", "fn")
	cases := []struct {
		name   string
		faults []emulator.Fault
		check  func(t *testing.T, e *emu)
	}{
		{
			name:   "errcode once, then normal",
			faults: []emulator.Fault{{Path: pDownload, Errcode: -1, Times: 1}},
			check: func(t *testing.T, e *emu) {
				if r := e.call(pDownload, download); r.Errcode != -1 || r.Errmsg != "system error" {
					t.Errorf("first: %d %q, want -1 system error", r.Errcode, r.Errmsg)
				}
				if r := e.call(pDownload, download); r.Errcode != 0 {
					t.Errorf("second: %d, want 0", r.Errcode)
				}
				if c := e.Calls(); !c[0].Faulted || c[0].Errcode != -1 || c[1].Faulted {
					t.Errorf("calls = %+v", c)
				}
			},
		},
		{
			name:   "Times 0 is every request",
			faults: []emulator.Fault{{Path: pDownload, Errcode: 45009}},
			check: func(t *testing.T, e *emu) {
				for range 3 {
					if r := e.call(pDownload, download); r.Errcode != 45009 || r.Errmsg != "reach max api daily quota limit" {
						t.Errorf("%d %q, want 45009", r.Errcode, r.Errmsg)
					}
				}
			},
		},
		{
			name:   "HTTP 502 gateway page",
			faults: []emulator.Fault{{Path: pBatchUpdate, HTTPStatus: 502}},
			check: func(t *testing.T, e *emu) {
				status, body, err := e.post(context.Background(), pBatchUpdate, batch("fn", []string{"a"}, zip))
				if err != nil || status != 502 || !strings.Contains(body, "<center><h1>502 Bad Gateway</h1></center>") || !strings.Contains(body, "nginx") {
					t.Errorf("HTTP %d %q %v", status, body, err)
				}
				if c := e.Calls()[0]; c.HTTPStatus != 502 || c.Write || e.Writes() != 0 {
					t.Errorf("call %+v writes %d: a faulted write must not count", c, e.Writes())
				}
				if f, _ := e.Function("a", "fn"); f.Version != 1 {
					t.Error("a faulted update changed the function")
				}
			},
		},
		{
			name:   "HTTP status with a body",
			faults: []emulator.Fault{{Path: pDownload, HTTPStatus: 503, Body: "upstream overloaded"}},
			check: func(t *testing.T, e *emu) {
				status, body, err := e.post(context.Background(), pDownload, download)
				if err != nil || status != 503 || body != "upstream overloaded" {
					t.Errorf("HTTP %d %q %v", status, body, err)
				}
			},
		},
		{
			name:   "truncated JSON",
			faults: []emulator.Fault{{Path: pDownload, Body: `{"errcode":0,"errm`}},
			check: func(t *testing.T, e *emu) {
				status, body, err := e.post(context.Background(), pDownload, download)
				if err != nil || status != 200 || body != `{"errcode":0,"errm` {
					t.Errorf("HTTP %d %q %v", status, body, err)
				}
			},
		},
		{
			name:   "empty body",
			faults: []emulator.Fault{{Path: pDownload, EmptyBody: true}},
			check: func(t *testing.T, e *emu) {
				status, body, err := e.post(context.Background(), pDownload, download)
				if err != nil || status != 200 || body != "" {
					t.Errorf("HTTP %d %q %v", status, body, err)
				}
			},
		},
		{
			name:   "connection reset",
			faults: []emulator.Fault{{Path: pBatchCreate, Reset: true, Times: 1}},
			check: func(t *testing.T, e *emu) {
				status, body, err := e.post(context.Background(), pBatchCreate, batch("other", []string{"a"}, zip))
				if err == nil {
					t.Errorf("got HTTP %d %q, want a connection error", status, body)
				}
				if _, ok := e.Function("a", "other"); ok {
					t.Error("a reset call created the function")
				}
				if c := e.Calls()[0]; c.HTTPStatus != 0 || !c.Faulted {
					t.Errorf("call = %+v", c)
				}
				if r := e.call(pBatchCreate, batch("other", []string{"a"}, zip)); r.Errcode != 0 {
					t.Errorf("after the reset: %+v", r)
				}
			},
		},
		{
			name:   "stall until the client gives up",
			faults: []emulator.Fault{{Path: pInvoke, Stall: true, Times: 1}},
			check: func(t *testing.T, e *emu) {
				// Long enough for the request to reach the handler (and use up
				// the fault) even on a loaded CI machine; shorter deadlines
				// made the follow-up call meet the unused stall.
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				defer cancel()
				start := time.Now()
				_, _, err := e.post(ctx, pInvoke, "{}", "env", "a", "name", "fn")
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("err = %v, want the client's deadline", err)
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("took %v", d)
				}
				if r := e.call(pInvoke, "{}", "env", "a", "name", "fn"); r.Errcode != 0 {
					t.Errorf("after the stall: %+v", r)
				}
			},
		},
		{
			name:   "delay, then the normal answer",
			faults: []emulator.Fault{{Path: pDownload, Delay: 50 * time.Millisecond, Times: 1}},
			check: func(t *testing.T, e *emu) {
				start := time.Now()
				r := e.call(pDownload, download)
				if d := time.Since(start); d < 50*time.Millisecond || r.Errcode != 0 || r.URL == "" {
					t.Errorf("took %v, got %+v: want ≥ 50ms and the normal answer", d, r)
				}
				if !e.Calls()[0].Faulted {
					t.Error("delayed call not marked Faulted")
				}
			},
		},
		{
			name:   "delay ends when the client goes away",
			faults: []emulator.Fault{{Path: pBatchUpdate, Delay: time.Hour}},
			check: func(t *testing.T, e *emu) {
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				defer cancel()
				if _, _, err := e.post(ctx, pBatchUpdate, batch("fn", []string{"a"}, zip)); err == nil {
					t.Error("no error from a request delayed an hour")
				}
				// The handler must give up too: the update never happens.
				waitFor(t, func() bool { return e.Calls()[0].Faulted })
				if e.Writes() != 0 {
					t.Error("the abandoned write reached the handler")
				}
			},
		},
		{
			name:   "empty Path: every API call but not the token endpoints",
			faults: []emulator.Fault{{Errcode: -1000}},
			check: func(t *testing.T, e *emu) {
				for _, p := range []string{pDownload, pCreate} {
					if r := e.call(p, download); r.Errcode != -1000 {
						t.Errorf("%s: %d, want -1000", p, r.Errcode)
					}
				}
				r := e.callQ("POST", pStable, url.Values{}, map[string]any{"grant_type": "client_credential", "appid": "wx1", "secret": "s"})
				if r.Errcode != 0 || r.AccessToken == "" {
					t.Errorf("stable_token faulted: %+v", r)
				}
			},
		},
		{
			name:   "a token endpoint when named",
			faults: []emulator.Fault{{Path: pStable, Errcode: 40164}},
			check: func(t *testing.T, e *emu) {
				r := e.callQ("POST", pStable, url.Values{}, map[string]any{"grant_type": "client_credential", "appid": "wx1", "secret": "s"})
				if r.Errcode != 40164 || r.AccessToken != "" {
					t.Errorf("%+v, want 40164", r)
				}
			},
		},
		{
			name:   "code downloads when named",
			faults: []emulator.Fault{{Path: "/_emulator/code", HTTPStatus: 500, Times: 1}},
			check: func(t *testing.T, e *emu) {
				u := e.call(pDownload, download).URL
				for _, want := range []int{500, 200} {
					res, err := e.hc.Get(u)
					if err != nil {
						t.Fatal(err)
					}
					res.Body.Close()
					if res.StatusCode != want {
						t.Errorf("GET code: %d, want %d", res.StatusCode, want)
					}
				}
			},
		},
		{
			name:   "Env limits single-env calls and batch calls holding it",
			faults: []emulator.Fault{{Env: "b", Errcode: -1}},
			check: func(t *testing.T, e *emu) {
				if r := e.call(pInvoke, "{}", "env", "a", "name", "fn"); r.Errcode != 0 {
					t.Errorf("env a: %d", r.Errcode)
				}
				if r := e.call(pInvoke, "{}", "env", "b", "name", "fn"); r.Errcode != -1 {
					t.Errorf("env b: %d, want -1", r.Errcode)
				}
				if r := e.call(pBatchUpdate, batch("fn", []string{"a", "b"}, zip)); r.Errcode != -1 {
					t.Errorf("batch with b: %d, want -1", r.Errcode)
				}
				if r := e.call(pBatchUpdate, batch("fn", []string{"a"}, zip)); r.Errcode != 0 {
					t.Errorf("batch without b: %d, want 0", r.Errcode)
				}
			},
		},
		{
			name: "FailEnv: requested env fails untouched, unrequested env is listed",
			faults: []emulator.Fault{
				{Path: pBatchCreate, FailEnv: "c", FailMsg: "[LimitExceeded.Function] quota", Times: 1},
				{Path: pBatchCreate, FailEnv: "zz", Times: 1},
			},
			check: func(t *testing.T, e *emu) {
				r := e.call(pBatchCreate, batch("new", []string{"c", "d"}, zip))
				want := []map[string]string{
					{"env": "c", "errmsg": "[LimitExceeded.Function] quota"},
					{"env": "zz", "errmsg": "[InternalError] emulated failure"},
				}
				if r.Errcode != 0 || !reflect.DeepEqual(r.FailEnvList, want) {
					t.Errorf("got %d %v, want 0 %v", r.Errcode, r.FailEnvList, want)
				}
				if _, ok := e.Function("c", "new"); ok {
					t.Error("the failed env got the function")
				}
				if _, ok := e.Function("d", "new"); !ok {
					t.Error("the other env did not")
				}
				if e.Writes() != 1 || !e.Calls()[0].Faulted {
					t.Errorf("writes %d calls %+v: the call was handled (and modified)", e.Writes(), e.Calls())
				}
				if r := e.call(pBatchCreate, batch("new", []string{"c"}, zip)); len(r.FailEnvList) != 0 {
					t.Errorf("Times 1 applied twice: %v", r.FailEnvList)
				}
			},
		},
		{
			name:   "FailEnv on update uses the update's key",
			faults: []emulator.Fault{{FailEnv: "a", FailMsg: "boom"}},
			check: func(t *testing.T, e *emu) {
				// An invoke first: FailEnv must not use itself up there.
				e.call(pInvoke, "{}", "env", "a", "name", "fn")
				r := e.call(pBatchUpdate, batch("fn", []string{"a"}, zip))
				if want := []map[string]string{{"env": "a", "errormsg": "boom"}}; !reflect.DeepEqual(r.FailList, want) {
					t.Errorf("fail_list %v, want %v", r.FailList, want)
				}
				if f, _ := e.Function("a", "fn"); f.Version != 1 {
					t.Error("the failed env was updated")
				}
			},
		},
		{
			name: "an answering fault beats modifiers injected before it",
			faults: []emulator.Fault{
				{Path: pBatchUpdate, FailEnv: "a", Times: 1},
				{Path: pBatchUpdate, Errcode: -1, Times: 1},
			},
			check: func(t *testing.T, e *emu) {
				if r := e.call(pBatchUpdate, batch("fn", []string{"a"}, zip)); r.Errcode != -1 {
					t.Errorf("first: %d, want -1", r.Errcode)
				}
				if r := e.call(pBatchUpdate, batch("fn", []string{"a"}, zip)); r.Errcode != 0 || len(r.FailList) != 1 {
					t.Errorf("second: %+v, want the FailEnv", r)
				}
			},
		},
		{
			name:   "ClearFaults",
			faults: []emulator.Fault{{Errcode: -1}},
			check: func(t *testing.T, e *emu) {
				e.ClearFaults()
				if r := e.call(pDownload, download); r.Errcode != 0 {
					t.Errorf("%d after ClearFaults", r.Errcode)
				}
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newEmu(t, emulator.Options{Node: "-"})
			for _, env := range []string{"a", "b"} {
				e.Seed(env, "fn", zip)
			}
			for _, f := range tc.faults {
				e.Inject(f)
			}
			tc.check(t, e)
		})
	}
}
