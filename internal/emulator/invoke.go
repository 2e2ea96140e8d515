package emulator

import (
	"archive/zip"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// defaultAppID stands in for the caller's app in event.userInfo when the token
// was not minted for an app (Options.Token).
const defaultAppID = "emulator-appid"

// maxUnpacked bounds what one invoke unpacks: a zip bomb must not fill the disk.
const maxUnpacked = 256 << 20

// harnessJS runs main(event, context) the way the cloud's Node runtime does
// and writes the outcome to a file of its own, because the function may print
// anything to stdout. It exits as soon as main settles: the cloud returns then
// too, whatever timers the function left behind.
const harnessJS = `'use strict';
const fs = require('fs');
const path = require('path');
const [codeDir, file, exportName, eventPath, contextPath, outPath] = process.argv.slice(2);
let written = false;
function finish(result) {
  if (written) return;
  written = true;
  result.rss = process.memoryUsage().rss;
  fs.writeFileSync(outPath, JSON.stringify(result));
  process.exit(0);
}
function failure(kind, err) {
  let name = 'Error';
  let message = String(err);
  let stack = '';
  if (err !== null && typeof err === 'object' && 'message' in err) {
    name = err.name ? String(err.name) : 'Error';
    message = String(err.message);
    stack = err.stack ? String(err.stack) : '';
  }
  finish({ ok: false, kind, name, message, stack });
}
process.on('uncaughtException', (e) => failure('throw', e));
process.on('unhandledRejection', (e) => failure('throw', e));
(async () => {
  let mod;
  try {
    mod = require(path.join(codeDir, file));
  } catch (e) {
    return failure('load', e);
  }
  if (!mod || typeof mod[exportName] !== 'function') {
    return finish({ ok: false, kind: 'nomain', name: 'TypeError', message: exportName + ' is not a function' });
  }
  const event = JSON.parse(fs.readFileSync(eventPath, 'utf8'));
  const context = JSON.parse(fs.readFileSync(contextPath, 'utf8'));
  let value;
  try {
    value = await mod[exportName](event, context);
  } catch (e) {
    return failure('throw', e);
  }
  let data;
  try {
    data = JSON.stringify(value);
  } catch (e) {
    return failure('throw', e);
  }
  finish({ ok: true, data: data === undefined ? 'null' : data });
})();
`

// invoke serves invokecloudfunction (invokecloudfunction.txt): env and name
// in the query, the body is the event.
func (s *Server) invoke(rq *request) reply {
	if r := s.precheck(rq); r != nil {
		return *r
	}
	q := rq.r.URL.Query()
	env, name := q.Get("env"), q.Get("name")
	switch {
	case env == "":
		return errReply(codeMissingParam, "env")
	case name == "":
		return errReply(codeMissingParam, "name")
	case !s.hasCloudDev(env):
		return errReply(codeNoQbase, "")
	}
	var (
		fn  Function
		seq int
		rep *reply
	)
	s.locked(func() {
		fn, seq, rep = s.invokable(rq, env, name)
	})
	if rep != nil {
		return *rep
	}

	throwAsResp := false
	for _, m := range rq.mods {
		throwAsResp = throwAsResp || m.ThrowAsRespData
	}
	event := bytes.TrimSpace(rq.body)
	file, export := handlerParts(fn.Handler)
	if s.node == "" || !strings.HasPrefix(fn.Runtime, "Nodejs") || !hasRootFile(fn.Zip, file+".js") {
		return echo(event, env, name, fn.Version)
	}
	requestID := fmt.Sprintf("emulator-%d", seq)
	fctx, _ := json.Marshal(map[string]any{
		"function_name":      name,
		"env":                env,
		"namespace":          env,
		"request_id":         requestID,
		"function_version":   "$LATEST",
		"memory_limit_in_mb": fn.MemorySize,
		"time_limit_in_ms":   s.opts.InvokeTimeout.Milliseconds(),
	})
	out := s.runNode(rq.r.Context(), nodeRun{
		code: fn.Zip, env: env, name: name, file: file, export: export,
		event: withUserInfo(event, rq.appid), context: fctx,
		vars: s.functionVars(fn), timeout: s.opts.InvokeTimeout,
	})
	return out.reply(throwAsResp, s.opts.InvokeTimeout)
}

// invokable picks the function to invoke (s.mu held): it must exist, be
// ready, and a component token may invoke only in batch mode (a function
// whose code a batch call uploaded).
func (s *Server) invokable(rq *request, env, name string) (Function, int, *reply) {
	k := fnKey{env, name}
	f := s.funcs[k]
	if f == nil {
		r := msgReply(codeFunctionOp, msgFunctionMissing)
		return Function{}, 0, &r
	}
	if rq.kind == kindComponent && !f.Batch {
		r := errReply(codeUnauthorized, "a component_access_token invokes only in batch mode (functions uploaded by batchuploadscf/batchuploadscfcode)")
		return Function{}, 0, &r
	}
	if n := s.notReady[k]; n > 0 || f.status(s.opts.Now(), s.opts.StatusDelay) != "Active" {
		if n == 1 {
			delete(s.notReady, k)
		} else if n > 1 {
			s.notReady[k] = n - 1
		}
		r := msgReply(codeFunctionOp, msgFunctionBusy)
		return Function{}, 0, &r
	}
	s.invokeSeq++
	return f.snapshot(), s.invokeSeq, nil
}

// snapshot is the function as one run needs it (s.mu held). Zip is shared:
// it is never mutated (setCode stores new slices), and copying tens of MB
// per invoke would cost for nothing.
func (f *function) snapshot() Function {
	fn := f.Function
	fn.Environment = slices.Clone(f.Environment)
	fn.Triggers = nil
	return fn
}

// functionVars is the environment a function runs with: its own variables,
// then the ones the cloud sets (which win). Never the host's: a function run
// in CI must not see the runner's secrets.
func (s *Server) functionVars(fn Function) []string {
	vars := make([]string, 0, len(fn.Environment)+8)
	for _, v := range fn.Environment {
		vars = append(vars, v.Key+"="+v.Value)
	}
	return append(vars,
		"TCB_ENV="+fn.Env,
		"SCF_NAMESPACE="+fn.Env,
		"SCF_FUNCTIONNAME="+fn.Name,
		"SCF_FUNCTIONVERSION=$LATEST",
		"SCF_RUNTIME="+fn.Runtime,
		"TENCENTCLOUD_REGION="+s.opts.Region,
		"TENCENTCLOUD_RUNENV=SCF",
	)
}

// handlerParts splits a handler "index.main" into the module file and the
// export; a handler without a dot is taken as index.<handler>.
func handlerParts(h string) (file, export string) {
	i := strings.LastIndexByte(h, '.')
	if i < 0 {
		return "index", cmp.Or(h, "main")
	}
	return h[:i], h[i+1:]
}

// echo is the answer when no function can run (no node, or no index.js at
// the zip root): deterministic, so tests can assert on it.
func echo(event []byte, env, name string, version int) reply {
	data, err := echoData(event, env, name, version)
	if err != nil {
		return errReply(-1, "emulator could not encode the echo")
	}
	return respData(data)
}

func echoData(event []byte, env, name string, version int) (string, error) {
	data, err := json.Marshal(struct {
		Echo     json.RawMessage `json:"echo"`
		Env      string          `json:"env"`
		Function string          `json:"function"`
		Version  int             `json:"version"`
	}{event, env, name, version})
	return string(data), err
}

func respData(data string) reply {
	return reply{body: struct {
		Errcode  int    `json:"errcode"`
		Errmsg   string `json:"errmsg"`
		RespData string `json:"resp_data"`
	}{0, "ok", data}}
}

// withUserInfo adds userInfo.appId to an object event, as the seed page's
// sample shows the platform doing for HTTP API invocations.
func withUserInfo(event []byte, appid string) []byte {
	var obj map[string]json.RawMessage
	if json.Unmarshal(event, &obj) != nil || obj == nil {
		return event
	}
	if _, ok := obj["userInfo"]; ok {
		return event
	}
	if appid == "" {
		appid = defaultAppID
	}
	ui, _ := json.Marshal(map[string]string{"appId": appid})
	obj["userInfo"] = ui
	b, err := json.Marshal(obj)
	if err != nil {
		return event
	}
	return b
}

func hasRootFile(code []byte, name string) bool {
	if len(code) == 0 {
		return false
	}
	zr, err := zip.NewReader(bytes.NewReader(code), int64(len(code)))
	if err != nil {
		return false
	}
	for _, f := range zr.File {
		if f.Name == name {
			return true
		}
	}
	return false
}

// nodeRun is one run of a function: its code, the module and export of its
// handler, the event and context (JSON), its environment and time limit.
type nodeRun struct {
	code         []byte
	env, name    string
	file, export string
	event        []byte
	context      []byte
	vars         []string
	timeout      time.Duration
}

// nodeOutcome is what one run of the harness came to.
type nodeOutcome struct {
	ok       bool
	data     string
	kind     string // "throw", "load", "nomain", "exit"
	errName  string
	errMsg   string
	stack    string // the error's stack, code paths as the cloud shows them
	timedOut bool
	gone     bool  // the client went away
	internal error // the emulator itself failed
	console  string
	rss      int64 // bytes, as the function's process last reported
	elapsed  time.Duration
}

// harnessResult is the JSON the harness writes.
type harnessResult struct {
	OK      bool   `json:"ok"`
	Data    string `json:"data"`
	Kind    string `json:"kind"`
	Name    string `json:"name"`
	Message string `json:"message"`
	Stack   string `json:"stack"`
	RSS     int64  `json:"rss"`
}

// cloudCodeDir is where the cloud's Node runtime keeps a function's code:
// stacks and logs name it instead of the emulator's temporary directory.
const cloudCodeDir = "/var/user"

// cloudRuntimeDir stands for the emulator's harness in stacks.
const cloudRuntimeDir = "/var/runtime"

// runNode unpacks the code into a temporary directory (removed after), runs
// the harness with node and reads its outcome.
func (s *Server) runNode(ctx context.Context, run nodeRun) nodeOutcome {
	dir, err := os.MkdirTemp(s.opts.TempDir, "wxcloud-emulator-*")
	if err != nil {
		return nodeOutcome{internal: err}
	}
	defer os.RemoveAll(dir)
	codeDir := filepath.Join(dir, "code")
	if err := unzipTo(run.code, codeDir); err != nil {
		return nodeOutcome{kind: "load", errName: "Error", errMsg: err.Error()}
	}
	paths := map[string][]byte{"harness.cjs": []byte(harnessJS), "event.json": run.event, "context.json": run.context}
	for name, data := range paths {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			return nodeOutcome{internal: err}
		}
	}
	outPath := filepath.Join(dir, "result.json")

	tctx, cancel := context.WithTimeout(ctx, run.timeout)
	defer cancel()
	cmd := exec.CommandContext(tctx, s.node, filepath.Join(dir, "harness.cjs"), codeDir, run.file, run.export,
		filepath.Join(dir, "event.json"), filepath.Join(dir, "context.json"), outPath)
	cmd.Dir = codeDir
	cmd.Env = append([]string{"HOME=" + dir}, run.vars...)
	console := &capped{max: 16 << 10}
	cmd.Stdout, cmd.Stderr = console, console
	// A grandchild holding the pipes must not keep the request hanging.
	cmd.WaitDelay = time.Second
	start := time.Now()
	runErr := cmd.Run()
	out := s.outcome(ctx, tctx, runErr, outPath)
	out.elapsed = time.Since(start)
	// The function's paths as the cloud shows them, never the host's.
	hide := strings.NewReplacer(codeDir, cloudCodeDir, dir, cloudRuntimeDir)
	out.console = hide.Replace(console.String())
	out.stack = hide.Replace(out.stack)
	if s.opts.Logf != nil && out.console != "" {
		s.opts.Logf("emulator: %s in %s printed: %s", run.name, run.env, strings.TrimSpace(out.console))
	}
	return out
}

// outcome reads what the harness wrote, or why it wrote nothing.
func (s *Server) outcome(ctx, tctx context.Context, runErr error, outPath string) nodeOutcome {
	switch {
	case ctx.Err() != nil:
		return nodeOutcome{gone: true}
	case errors.Is(tctx.Err(), context.DeadlineExceeded):
		return nodeOutcome{timedOut: true}
	}
	raw, err := os.ReadFile(outPath)
	if err != nil {
		msg := "the function's process exited before main returned"
		if runErr != nil {
			msg += " (" + runErr.Error() + ")"
		}
		return nodeOutcome{kind: "exit", errName: "Error", errMsg: msg}
	}
	var res harnessResult
	if err := json.Unmarshal(raw, &res); err != nil {
		return nodeOutcome{internal: fmt.Errorf("harness output: %w", err)}
	}
	if res.OK {
		return nodeOutcome{ok: true, data: res.Data, rss: res.RSS}
	}
	msg := res.Message
	if res.Kind == "load" {
		// Node appends a "Require stack" naming the temporary directory.
		msg, _, _ = strings.Cut(msg, "\n")
	}
	return nodeOutcome{kind: res.Kind, errName: res.Name, errMsg: msg, stack: res.Stack, rss: res.RSS}
}

// reply maps the outcome to WeChat's answers (the -504xxx messages are
// assumptions, see doc.go).
func (o nodeOutcome) reply(throwAsResp bool, timeout time.Duration) reply {
	switch {
	case o.gone:
		return reply{abort: true, note: "client went away during the invoke"}
	case o.internal != nil:
		return errReply(-1, "emulator could not run the function: "+o.internal.Error())
	case o.timedOut:
		secs := strconv.FormatFloat(timeout.Seconds(), 'f', -1, 64)
		return msgReply(codeTimeLimit, fmt.Sprintf("%s: Invoking task timed out after %s seconds", ErrorText(codeTimeLimit), secs))
	case o.ok:
		return respData(o.data)
	}
	if throwAsResp {
		data, _ := json.Marshal(struct {
			ErrorCode    int    `json:"errorCode"`
			ErrorMessage string `json:"errorMessage"`
			ErrorType    string `json:"errorType"`
		}{-1, o.errMsg, o.errName})
		return respData(string(data))
	}
	if o.kind == "nomain" {
		return msgReply(codeExecuteFail, ErrorText(codeExecuteFail)+" | "+o.errMsg)
	}
	return msgReply(codeExecuteFail, fmt.Sprintf("%s | %s: %s", ErrorText(codeExecuteFail), o.errName, o.errMsg))
}

// unzipTo extracts code under dir, skipping entries that would land outside
// it (zip slip) and symlinks.
func unzipTo(code []byte, dir string) error {
	zr, err := zip.NewReader(bytes.NewReader(code), int64(len(code)))
	if err != nil {
		return fmt.Errorf("cannot open the code zip: %w", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	budget := int64(maxUnpacked)
	for _, f := range zr.File {
		name := filepath.FromSlash(f.Name)
		if !filepath.IsLocal(name) || f.Mode()&fs.ModeSymlink != 0 {
			continue
		}
		dst := filepath.Join(dir, name)
		if f.FileInfo().IsDir() {
			if err := os.MkdirAll(dst, 0o755); err != nil {
				return err
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			return err
		}
		n, err := extract(f, dst, budget)
		if err != nil {
			return err
		}
		budget -= n
	}
	return nil
}

func extract(f *zip.File, dst string, budget int64) (int64, error) {
	rc, err := f.Open()
	if err != nil {
		return 0, fmt.Errorf("cannot read %q from the code zip: %w", f.Name, err)
	}
	defer rc.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(out, io.LimitReader(rc, budget+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return n, fmt.Errorf("cannot unpack %q: %w", f.Name, err)
	}
	if n > budget {
		return n, fmt.Errorf("the code unpacks to more than %d MiB", maxUnpacked>>20)
	}
	return n, nil
}

// capped keeps the last max bytes written to it (the function's console):
// the end of a log is what shows why it failed.
type capped struct {
	mu  sync.Mutex
	buf []byte
	max int
}

func (c *capped) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.buf = append(c.buf, p...)
	if over := len(c.buf) - c.max; over > 0 {
		c.buf = append(c.buf[:0], c.buf[over:]...)
	}
	return len(p), nil
}

func (c *capped) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return string(c.buf)
}
