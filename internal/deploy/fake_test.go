package deploy

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/expect"
)

// fake is an in-memory backend: envs hold functions with code, and every
// answer can be scripted per call and env. It answers like a careful vendor
// client would: an outcome per env, errors classified.
type fake struct {
	mu    sync.Mutex
	envs  map[string]bool              // envs that exist; nil means every env
	code  map[string]map[string][]byte // env -> function -> zip
	calls []string                     // "probe dev-a", "upload create dev-a,dev-b", ...

	probeErr  map[string]error
	uploadErr map[string]error // "create dev-a" -> error for that env
	perEnv    bool             // upload errors are per-env answers
	waitErr   map[string]error
	invoke    func(env string, call int) (backend.InvokeResult, error)
	invokes   map[string]int
	fetches   int
	// reportSHA, when set, replaces the checksum the probe reports (a vendor
	// computing it another way).
	reportSHA func(code []byte) string
	// hook, when set, runs at the start of every call (to block, to cancel).
	hook func(call string)
}

func newFake() *fake {
	return &fake{code: map[string]map[string][]byte{}, probeErr: map[string]error{}, uploadErr: map[string]error{},
		waitErr: map[string]error{}, invokes: map[string]int{}}
}

func (f *fake) record(call string) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	hook := f.hook
	f.mu.Unlock()
	if hook != nil {
		hook(call)
	}
}

func (f *fake) count(prefix string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			n++
		}
	}
	return n
}

func (f *fake) seed(env, fn string, zip []byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.code[env] == nil {
		f.code[env] = map[string][]byte{}
	}
	f.code[env][fn] = zip
}

func (f *fake) deployed(env, fn string) ([]byte, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	z, ok := f.code[env][fn]
	return z, ok
}

func (f *fake) Name() string { return "fake" }

func (f *fake) CallName(op backend.Op) string { return "Fake" + string(op) }

func (f *fake) envOK(env string) error {
	if f.envs != nil && !f.envs[env] {
		return &backend.Error{K: backend.KindNoEnv, Msg: fmt.Sprintf("env %q does not exist", env)}
	}
	return nil
}

func (f *fake) Probe(ctx context.Context, fn, env string) (backend.Deployed, error) {
	f.record("probe " + env)
	if err := ctx.Err(); err != nil {
		return backend.Deployed{}, err
	}
	if err := f.probeErr[env]; err != nil {
		return backend.Deployed{}, err
	}
	if err := f.envOK(env); err != nil {
		return backend.Deployed{}, err
	}
	z, ok := f.deployed(env, fn)
	if !ok {
		return backend.Deployed{Exists: backend.Missing}, nil
	}
	sum := sha(z)
	if f.reportSHA != nil {
		sum = f.reportSHA(z)
	}
	return backend.Deployed{Exists: backend.Exists, SHA256: sum, CodeURL: "fake://" + env + "/" + fn}, nil
}

func (f *fake) FetchCode(ctx context.Context, d backend.Deployed, w io.Writer, limit int64) (int64, error) {
	f.record("fetch " + d.CodeURL)
	f.mu.Lock()
	f.fetches++
	f.mu.Unlock()
	parts := strings.Split(strings.TrimPrefix(d.CodeURL, "fake://"), "/")
	z, ok := f.deployed(parts[0], parts[1])
	if !ok {
		return 0, &backend.Error{K: backend.KindNotFound, Msg: "gone"}
	}
	n, err := w.Write(z)
	return int64(n), err
}

func (f *fake) Upload(ctx context.Context, req backend.UploadRequest) []backend.Outcome {
	f.record(fmt.Sprintf("upload %s %s", req.Op, strings.Join(req.Envs, ",")))
	data, err := io.ReadAll(io.NewSectionReader(req.Zip.R, 0, req.Zip.Size))
	out := make([]backend.Outcome, len(req.Envs))
	for i, env := range req.Envs {
		out[i].Env = env
		switch {
		case err != nil:
			out[i].Err = err
		case ctx.Err() != nil:
			out[i].Err = &backend.Error{K: backend.KindCancelled, Msg: "interrupted", Err: ctx.Err()}
		case f.uploadErr[string(req.Op)+" "+env] != nil:
			out[i].Err, out[i].PerEnv = f.uploadErr[string(req.Op)+" "+env], f.perEnv
		case f.envOK(env) != nil:
			out[i].Err, out[i].PerEnv = f.envOK(env), true
		default:
			out[i].Err, out[i].PerEnv = f.apply(req.Op, env, req.Function, data), true
		}
	}
	return out
}

// apply is what the vendor does with an upload: a create of an existing
// function and an update of a missing one are refused.
func (f *fake) apply(op backend.Op, env, fn string, zip []byte) error {
	_, exists := f.deployed(env, fn)
	switch {
	case op == backend.Create && exists:
		return &backend.Error{K: backend.KindExists, Msg: "[ResourceInUse.Function] function already exists"}
	case op == backend.Update && !exists:
		return &backend.Error{K: backend.KindNotFound, Msg: "[ResourceNotFound.Function] function not found"}
	}
	f.seed(env, fn, zip)
	return nil
}

func (f *fake) WaitReady(ctx context.Context, fn, env string, want backend.Zip) error {
	f.record("wait " + env)
	if err := ctx.Err(); err != nil {
		return err
	}
	return f.waitErr[env]
}

func (f *fake) Invoke(ctx context.Context, req backend.InvokeRequest) (backend.InvokeResult, error) {
	f.record("invoke " + req.Env)
	f.mu.Lock()
	f.invokes[req.Env]++
	n := f.invokes[req.Env]
	f.mu.Unlock()
	if f.invoke != nil {
		return f.invoke(req.Env, n)
	}
	return backend.InvokeResult{RespData: `{"ok":true}`}, nil
}

func (f *fake) CreateEmpty(ctx context.Context, fn, env string) error {
	f.record("create-empty " + env)
	if err := f.envOK(env); err != nil {
		return err
	}
	return f.apply(backend.Create, env, fn, nil)
}

// configurer adds settings to the fake.
type configurer struct {
	*fake
	changes map[string][]string // env -> lines the next Configure returns
	err     map[string]error
	dry     []bool
}

func (c *configurer) Configure(ctx context.Context, fn, env string, want backend.Settings, dryRun bool) ([]string, error) {
	c.record(fmt.Sprintf("configure %s dry=%v", env, dryRun))
	c.mu.Lock()
	c.dry = append(c.dry, dryRun)
	c.mu.Unlock()
	return c.changes[env], c.err[env]
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// makeZip builds a zip of files, sorted, with the given compression.
func makeZip(t testing.TB, method uint16, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: n, Method: method})
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(w, files[n])
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// fn is a packed function of one file whose content is version.
func fn(t testing.TB, name, version string, envs ...string) Function {
	z := makeZip(t, zip.Deflate, map[string]string{"index.js": "exports.main = () => " + version})
	return Function{Name: name, Zip: backend.Zip{R: bytes.NewReader(z), Size: int64(len(z)), SHA256: sha(z)}, Files: 1, Envs: envs}
}

func zipOf(t testing.TB, f Function) []byte {
	b, err := io.ReadAll(io.NewSectionReader(f.Zip.R, 0, f.Zip.Size))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func testConfig(envs ...string) *config.Config {
	e, _ := expect.Parse("")
	return &config.Config{
		Command: config.Deploy, Mode: config.ModeAuto, Envs: envs, SkipUnchanged: true,
		Concurrency: 4, InvokeData: []byte("{}"), InvokeExpect: e,
	}
}

func testDeps(be backend.Backend) (Deps, *lines) {
	l := &lines{}
	return Deps{Backend: be, Logf: l.logf, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}, l
}

// lines collects progress lines.
type lines struct {
	mu  sync.Mutex
	all []string
}

func (l *lines) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.all = append(l.all, fmt.Sprintf(format, args...))
}

func (l *lines) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.all, "\n")
}
