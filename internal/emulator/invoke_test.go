package emulator_test

import (
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
)

func needNode(t *testing.T) {
	t.Helper()
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node is not on PATH")
	}
}

func TestInvokeWithNode(t *testing.T) {
	needNode(t)
	t.Parallel()
	cases := []struct {
		name    string
		files   map[string]string
		event   string
		timeout time.Duration
		fault   *emulator.Fault
		code    int
		msg     string // errmsg prefix
		resp    string // exact resp_data
	}{
		{
			name:  "returns main's result with event and context",
			files: map[string]string{"index.js": `exports.main = async (event, context) => ({ got: event.x, app: event.userInfo.appId, fn: context.function_name, env: context.env, ns: context.namespace })`},
			event: `{"x": [1, "two"]}`,
			resp:  `{"got":[1,"two"],"app":"emulator-appid","fn":"fn","env":"e1","ns":"e1"}`,
		},
		{
			name:  "stdout is the function's, not the answer",
			files: map[string]string{"index.js": `console.log("noise"); exports.main = (event) => { console.log("more"); return "x" }`},
			event: `{}`,
			resp:  `"x"`,
		},
		{
			name:  "undefined is null",
			files: map[string]string{"index.js": `exports.main = async () => {}`},
			event: `{}`,
			resp:  `null`,
		},
		{
			name:  "a non-object event is passed as is",
			files: map[string]string{"index.js": `exports.main = async (event) => event`},
			event: `[1,2]`,
			resp:  `[1,2]`,
		},
		{
			name:  "relative requires work",
			files: map[string]string{"index.js": `const u = require('./lib/u'); exports.main = () => u.twice(21)`, "lib/u.js": `exports.twice = (n) => n * 2`},
			event: `{}`,
			resp:  `42`,
		},
		{
			name:  "the host's environment is not visible",
			files: map[string]string{"index.js": `exports.main = () => ({ path: process.env.PATH || null, tcb: process.env.TCB_ENV })`},
			event: `{}`,
			resp:  `{"path":null,"tcb":"e1"}`,
		},
		{
			name:    "timers left behind do not hold the answer",
			files:   map[string]string{"index.js": `exports.main = async () => { setInterval(() => {}, 1000); return 1 }`},
			event:   `{}`,
			timeout: 3 * time.Second,
			resp:    `1`,
		},
		{
			name:  "throw",
			files: map[string]string{"index.js": `exports.main = async () => { throw new Error("boom") }`},
			event: `{}`,
			code:  -504002,
			msg:   "functions execute fail | Error: boom",
		},
		{
			name:  "rejected promise keeps the error's type",
			files: map[string]string{"index.js": `exports.main = () => Promise.reject(new TypeError("bad input"))`},
			event: `{}`,
			code:  -504002,
			msg:   "functions execute fail | TypeError: bad input",
		},
		{
			name:  "throw as resp_data",
			files: map[string]string{"index.js": `exports.main = async () => { throw new Error("boom") }`},
			event: `{}`,
			fault: &emulator.Fault{Path: "/tcb/invokecloudfunction", ThrowAsRespData: true},
			resp:  `{"errorCode":-1,"errorMessage":"boom","errorType":"Error"}`,
		},
		{
			name:  "ThrowAsRespData leaves a success alone",
			files: map[string]string{"index.js": `exports.main = async () => "fine"`},
			event: `{}`,
			fault: &emulator.Fault{ThrowAsRespData: true},
			resp:  `"fine"`,
		},
		{
			name:    "endless loop hits the time limit",
			files:   map[string]string{"index.js": `exports.main = () => { for (;;) {} }`},
			event:   `{}`,
			timeout: 300 * time.Millisecond,
			code:    -504003,
			msg:     "functions time limit exceeded: Invoking task timed out after 0.3 seconds",
		},
		{
			name:  "no main",
			files: map[string]string{"index.js": `exports.handler = async () => 1`},
			event: `{}`,
			code:  -504002,
			msg:   "functions execute fail | main is not a function",
		},
		{
			name:  "syntax error",
			files: map[string]string{"index.js": `exports.main = async () => {`},
			event: `{}`,
			code:  -504002,
			msg:   "functions execute fail | SyntaxError: ",
		},
		{
			name:  "missing dependency names the module, not the temp dir",
			files: map[string]string{"index.js": `const x = require('wx-server-sdk'); exports.main = () => 1`},
			event: `{}`,
			code:  -504002,
			msg:   "functions execute fail | Error: Cannot find module 'wx-server-sdk'",
		},
		{
			name:  "process exits inside main",
			files: map[string]string{"index.js": `exports.main = () => { process.exit(3) }`},
			event: `{}`,
			code:  -504002,
			msg:   "functions execute fail | Error: the function's process exited before main returned",
		},
		{
			name:  "no index.js at the root: echo",
			files: map[string]string{"src/index.js": `exports.main = () => 1`},
			event: `{"a":1}`,
			resp:  `{"echo":{"a":1},"env":"e1","function":"fn","version":1}`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			tmp := t.TempDir()
			timeout := tc.timeout
			if timeout == 0 {
				timeout = 10 * time.Second // generous: -race and a shared machine
			}
			e := newEmu(t, emulator.Options{InvokeTimeout: timeout, TempDir: tmp})
			e.Seed("e1", "fn", makeZip(t, tc.files))
			if tc.fault != nil {
				e.Inject(*tc.fault)
			}
			start := time.Now()
			r := e.call(pInvoke, tc.event, "env", "e1", "name", "fn")
			elapsed := time.Since(start)
			if r.Errcode != tc.code || !strings.HasPrefix(r.Errmsg, tc.msg) || tc.code == 0 && r.RespData != tc.resp {
				t.Errorf("got %d %q resp_data %s, want %d %q resp_data %s", r.Errcode, r.Errmsg, r.RespData, tc.code, tc.msg, tc.resp)
			}
			if tc.code != 0 && strings.Contains(r.Errmsg, tmp) {
				t.Errorf("errmsg %q names the temporary directory", r.Errmsg)
			}
			if tc.timeout > 0 && elapsed > tc.timeout+2*time.Second {
				t.Errorf("took %v with a %v limit", elapsed, tc.timeout)
			}
			if left, _ := os.ReadDir(tmp); len(left) != 0 {
				t.Errorf("temporary files left behind: %v", left)
			}
		})
	}
}

func TestInvokeUserInfoFromToken(t *testing.T) {
	needNode(t)
	t.Parallel()
	e := newEmu(t, emulator.Options{InvokeTimeout: 10 * time.Second})
	e.Seed("e1", "fn", makeZip(t, map[string]string{"index.js": `exports.main = (event) => event`}))
	tok := e.callQ("POST", pStable, url.Values{}, map[string]any{"grant_type": "client_credential", "appid": "wx1234", "secret": "s"}).AccessToken
	r := e.callQ("POST", pInvoke, url.Values{"access_token": {tok}, "env": {"e1"}, "name": {"fn"}}, `{"n":1}`)
	if want := `{"n":1,"userInfo":{"appId":"wx1234"}}`; r.Errcode != 0 || r.RespData != want {
		t.Errorf("got %d %s, want %s", r.Errcode, r.RespData, want)
	}
	r = e.callQ("POST", pInvoke, url.Values{"access_token": {tok}, "env": {"e1"}, "name": {"fn"}}, `{"userInfo":"mine"}`)
	if want := `{"userInfo":"mine"}`; r.RespData != want {
		t.Errorf("got %s, want the caller's userInfo kept: %s", r.RespData, want)
	}
}
