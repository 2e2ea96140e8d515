package e2e

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

const (
	fnName = "hello"
	// testToken is distinctive so that a leak into any output is easy to spot.
	testToken = "e2e-tok-Qv81xZr3Lm"

	pathBatchCreate = "/componenttcb/batchuploadscf"
	pathBatchUpdate = "/componenttcb/batchuploadscfcode"
	pathDownload    = "/tcb/downloadfunction"
	pathInvoke      = "/tcb/invokecloudfunction"
)

// helloSrc is the repository's sample function.
var helloSrc = filepath.Join("..", "..", "testdata", "functions", "hello")

// copyDir copies the regular files of src (one level: the sample function is flat).
func copyDir(t *testing.T, src, dst string) {
	t.Helper()
	entries, err := os.ReadDir(src)
	if err != nil {
		t.Fatalf("reading the sample function: %v", err)
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// helloCopy returns a private copy of the sample function, so a test that
// deploys it cannot be disturbed by another touching the repository's copy.
func helloCopy(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), fnName)
	copyDir(t, helloSrc, dir)
	return dir
}

// harness is one emulator behind a real loopback HTTP server.
type harness struct {
	emu *emulator.Server
	srv *httptest.Server
}

// newHarness starts an emulator in echo mode (no node: fast and deterministic).
// wrap, when set, sits in front of it to misbehave in ways Fault cannot express.
func newHarness(t *testing.T, wrap func(http.Handler) http.Handler) *harness {
	t.Helper()
	emu := emulator.New(emulator.Options{Token: testToken, Node: "-"})
	var h http.Handler = emu
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &harness{emu: emu, srv: srv}
}

// callsTo counts the requests the emulator received on path.
func (h *harness) callsTo(path string) int {
	n := 0
	for _, c := range h.emu.Calls() {
		if c.Path == path {
			n++
		}
	}
	return n
}

// outcome is what one run of the program produced.
type outcome struct {
	code           int
	stdout, stderr string
}

// lockedBuffer lets a test read output while the program may still write.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// envFunc turns a map into a getenv: nothing of the host's environment leaks
// into a run.
func envFunc(env map[string]string) func(string) string {
	return func(k string) string { return env[k] }
}

// runCLI runs cli.Main in-process.
func runCLI(ctx context.Context, args []string, env map[string]string) outcome {
	var stdout, stderr lockedBuffer
	code := cli.Main(ctx, args, envFunc(env), &stdout, &stderr)
	return outcome{code: code, stdout: stdout.String(), stderr: stderr.String()}
}

// deployArgs is the fault suite's command line against h.
func deployArgs(h *harness, dir string, envs []string, extra ...string) []string {
	args := []string{"deploy",
		"--function-name", fnName,
		"--path", dir,
		"--envs", strings.Join(envs, ","),
		"--api-base-url", h.srv.URL,
		"--access-token", testToken,
		"--retries", "3",
		"--timeout", "300ms",
		"--json",
	}
	return append(args, extra...)
}

// decodeResults parses the --json output: a bare array of results.
func decodeResults(t *testing.T, out outcome) []result.Result {
	t.Helper()
	var res []result.Result
	if err := json.Unmarshal([]byte(out.stdout), &res); err != nil {
		t.Fatalf("--json output is not a results array: %v\nstdout:\n%s\nstderr:\n%s", err, out.stdout, out.stderr)
	}
	return res
}

var sha256Hex = regexp.MustCompile(`^[0-9a-f]{64}$`)

// checkTruthful is the suite's invariant: the results and the exit status
// agree with what the emulator actually holds.
//
//   - one result per requested env, in input order, for the one function;
//   - created/updated/unchanged: the env holds the function with exactly the
//     reported SHA-256 (the package every result names);
//   - failed/rolled_back: a non-empty reason;
//   - exit 0 exactly when every pair succeeded, otherwise 1 (2 is for bad
//     input and would mean the run lied about sending nothing).
func checkTruthful(t *testing.T, emu *emulator.Server, envs []string, out outcome, res []result.Result) {
	t.Helper()
	if len(res) != len(envs) {
		t.Errorf("got %d results for %d envs %v: %+v", len(res), len(envs), envs, res)
	}
	allOK := len(res) > 0
	pkgSHA := ""
	for i, r := range res {
		if i < len(envs) && r.Env != envs[i] {
			t.Errorf("result %d is for env %q, want %q (input order)", i, r.Env, envs[i])
		}
		if r.Function != fnName {
			t.Errorf("result %d is for function %q, want %q", i, r.Function, fnName)
		}
		if !sha256Hex.MatchString(r.SHA256) {
			t.Errorf("%s@%s: sha256 %q is not a hex SHA-256", r.Function, r.Env, r.SHA256)
		}
		if pkgSHA == "" {
			pkgSHA = r.SHA256
		} else if r.SHA256 != pkgSHA {
			t.Errorf("%s@%s: sha256 %s differs from the other results' %s (one package)", r.Function, r.Env, r.SHA256, pkgSHA)
		}
		switch r.Action {
		case result.Created, result.Updated, result.Unchanged:
			fn, ok := emu.Function(r.Env, r.Function)
			switch {
			case !ok:
				t.Errorf("%s@%s: reported %s, but the env has no such function", r.Function, r.Env, r.Action)
			case fn.SHA256 != r.SHA256:
				t.Errorf("%s@%s: reported %s with sha256 %s, but the env runs %s", r.Function, r.Env, r.Action, r.SHA256, fn.SHA256)
			}
			if r.Error != "" {
				t.Errorf("%s@%s: reported %s with an error %q", r.Function, r.Env, r.Action, r.Error)
			}
			if r.Invoke != nil && !r.Invoke.OK {
				t.Errorf("%s@%s: reported %s although its smoke test failed: %+v", r.Function, r.Env, r.Action, r.Invoke)
			}
		case result.Failed, result.RolledBack:
			allOK = false
			if strings.TrimSpace(r.Error) == "" {
				t.Errorf("%s@%s: reported %s without a reason", r.Function, r.Env, r.Action)
			}
		default:
			allOK = false
			t.Errorf("%s@%s: unexpected action %q for a deploy", r.Function, r.Env, r.Action)
		}
	}
	want := cli.ExitFailed
	if allOK {
		want = cli.ExitOK
	}
	if out.code != want {
		t.Errorf("exit status %d, want %d for results %s", out.code, want, summarize(res))
	}
	checkNoSecret(t, out)
}

// checkNoSecret: the token must appear nowhere the user can see. The
// ::add-mask:: command is the one place it must appear: it is how the runner
// learns what to hide, and the runner never shows that line.
func checkNoSecret(t *testing.T, out outcome) {
	t.Helper()
	for name, text := range map[string]string{"stdout": out.stdout, "stderr": out.stderr} {
		for _, line := range strings.Split(text, "\n") {
			if strings.Contains(line, testToken) && !strings.HasPrefix(line, "::add-mask::") {
				t.Errorf("the access token leaked into %s: %q", name, line)
			}
		}
	}
}

func summarize(res []result.Result) string {
	var parts []string
	for _, r := range res {
		s := r.Env + "=" + string(r.Action)
		if r.Error != "" {
			s += " (" + r.Error + ")"
		}
		parts = append(parts, s)
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// oldZip is a different version of the function, for envs where it already
// exists.
func oldZip(t *testing.T) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.Create("index.js")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte("exports.main = async () => ({ version: 'old' });\n")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// packZip builds dir's zip exactly as deploy will, through the pack command.
func packZip(t *testing.T, dir string) []byte {
	t.Helper()
	out := filepath.Join(t.TempDir(), "pkg.zip")
	o := runCLI(t.Context(), []string{"pack", "--function-name", fnName, "--path", dir, "--output", out}, nil)
	if o.code != cli.ExitOK {
		t.Fatalf("pack exited %d: %s", o.code, o.stderr)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
