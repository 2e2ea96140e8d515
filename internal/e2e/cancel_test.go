package e2e

import (
	"context"
	"errors"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/testkit"
)

// guard bounds every wait on the program: a hang fails the test instead of
// stalling the suite until go test's own timeout. Nothing sleeps for it.
const guard = 15 * time.Second

// watcher reports when the first request that matches reaches the server
// and when the server is done with it (answered, or abandoned by the
// client).
type watcher struct {
	match    func(*http.Request) bool
	arrived  chan struct{}
	finished chan struct{}
	once     sync.Once
}

func watch(match func(*http.Request) bool) *watcher {
	return &watcher{match: match, arrived: make(chan struct{}), finished: make(chan struct{})}
}

func (w *watcher) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		first := false
		if w.match(r) {
			w.once.Do(func() { first = true })
		}
		if first {
			close(w.arrived)
			// Deferred so that it also runs when the emulator aborts the
			// stalled request (panic(http.ErrAbortHandler)).
			defer close(w.finished)
		}
		next.ServeHTTP(rw, r)
	})
}

func onPath(path string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.URL.Path == path }
}

func onAction(action string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Header.Get("X-TC-Action") == action }
}

// cancelCases stall the deploy at each stage; the run is cancelled once the
// stalled request has arrived.
var cancelCases = []struct {
	name  string
	fault emulator.Fault
	match func(*http.Request) bool
	// tencentcloud: the deploy goes through the Tencent Cloud API.
	tencentcloud, invoke bool
	// wantErr: what every env's error must say.
	wantErr []string
	// noWrites: nothing may have been uploaded.
	noWrites bool
}{
	{name: "during the probe", fault: emulator.Fault{Path: testkit.PathDownload, Stall: true}, match: onPath(testkit.PathDownload),
		wantErr: []string{"interrupted"}, noWrites: true},
	{name: "during the upload", fault: emulator.Fault{Path: testkit.PathBatchCreate, Stall: true}, match: onPath(testkit.PathBatchCreate),
		wantErr: []string{"interrupted", "may or may not have been applied"}},
	{name: "during the smoke test", fault: emulator.Fault{Path: testkit.PathInvoke, Stall: true}, match: onPath(testkit.PathInvoke), invoke: true,
		wantErr: []string{"smoke test", "interrupted"}},
	{name: "during the tencentcloud upload", tencentcloud: true,
		fault: emulator.Fault{Action: "CreateFunction", Stall: true}, match: onAction("CreateFunction"),
		wantErr: []string{"interrupted"}},
}

// TestCancelInProcess cancels cli.Main's context while a request stalls:
// it returns promptly, abandons the request, and reports every env as not
// done, saying why.
func TestCancelInProcess(t *testing.T) {
	t.Parallel()
	for _, tc := range cancelCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := watch(tc.match)
			emu := newEmulator(t, testkit.EmulatorOptions{Wrap: w.wrap})
			emu.Inject(tc.fault)
			in := emu.WeChat()
			if tc.tencentcloud {
				in = emu.TencentCloud()
			}
			// The stall must outlast the run: only the cancellation ends it.
			in = in.With("function-name", fnName, "path", helloCopy(t), "envs", strings.Join(envs3, ","),
				"timeout", "60s", "json", "true", "invoke", map[bool]string{true: "true", false: "false"}[tc.invoke])

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			run := testkit.Start(ctx, in.Args(), nil)

			select {
			case <-w.arrived:
			case o := <-run.Done():
				t.Fatalf("the run ended before the stalled request arrived:\n%v", o)
			case <-time.After(guard):
				t.Fatalf("no stalled request within %s", guard)
			}
			cancelled := time.Now()
			cancel()

			var o testkit.Outcome
			select {
			case o = <-run.Done():
			case <-time.After(guard):
				t.Fatalf("cli.Main did not return within %s of the cancellation", guard)
			}
			if d := time.Since(cancelled); d > 5*time.Second {
				t.Errorf("cli.Main took %s to return after the cancellation, want promptly", d)
			}
			select {
			case <-w.finished:
			case <-time.After(guard):
				t.Errorf("the in-flight request was not abandoned after the cancellation")
			}

			checkInterrupted(t, emu, o, tc.invoke, tc.wantErr)
			if tc.noWrites && emu.Writes() != 0 {
				t.Errorf("%d write calls reached the API after a cancellation during the probe, want 0", emu.Writes())
			}
		})
	}
}

// checkInterrupted: a cancelled run exits 1, prints a result for every
// env, none of them a success it cannot vouch for, each saying why.
func checkInterrupted(t *testing.T, emu *testkit.Emulator, o testkit.Outcome, invoke bool, wantErr []string) {
	t.Helper()
	if o.Code != cli.ExitFailed {
		t.Errorf("exit status %d after a cancellation, want %d", o.Code, cli.ExitFailed)
	}
	res := jsonResults(t, o, invoke)
	checkTruthful(t, emu.Server, envs3, o, res)
	for _, r := range res {
		if r.Action != result.Failed {
			t.Errorf("%s: %s although the run was cancelled before it finished", r.Env, r.Action)
		}
		for _, want := range wantErr {
			if !strings.Contains(r.Error, want) {
				t.Errorf("%s: error %q does not say %q", r.Env, r.Error, want)
			}
		}
	}
	if !strings.Contains(o.Stderr, "cancelled") {
		t.Errorf("stderr does not say the run was cancelled:\n%s", o.Stderr)
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", o.Stderr)
	}
}

// TestCancelSignal sends the real signals a cancelled GitHub job sends to
// the built binary (main.go's signal wiring included) in the middle of an
// upload.
func TestCancelSignal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGINT/SIGTERM cannot be sent to a process on Windows")
	}
	t.Parallel()
	bin := buildBinary(t)

	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			w := watch(onPath(testkit.PathBatchCreate))
			emu := newEmulator(t, testkit.EmulatorOptions{Wrap: w.wrap})
			emu.Inject(emulator.Fault{Path: testkit.PathBatchCreate, Stall: true})
			args := deployArgs(emu, helloCopy(t), envs3, "timeout", "60s")

			p := startBinary(t, bin, args, []string{}) // nothing of the host: no GITHUB_* variables
			cmd, exited, stdout, stderr := p.cmd, p.exited, &p.stdout, &p.stderr

			select {
			case <-w.arrived:
			case err := <-exited:
				t.Fatalf("the binary exited (%v) before the upload arrived:\n%s", err, stderr.String())
			case <-time.After(guard):
				t.Fatalf("no upload within %s:\n%s", guard, stderr.String())
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			var err error
			select {
			case err = <-exited:
			case <-time.After(guard):
				t.Fatalf("the binary did not exit within %s of %v:\n%s", guard, sig, stderr.String())
			}
			var exitErr *exec.ExitError
			if !errors.As(err, &exitErr) || !cmd.ProcessState.Exited() {
				// Killed by the signal instead of handling it: no results.
				t.Fatalf("the binary did not exit on its own after %v (%v, state %v)", sig, err, cmd.ProcessState)
			}
			o := testkit.Outcome{Code: cmd.ProcessState.ExitCode(), Stdout: stdout.String(), Stderr: stderr.String()}
			checkInterrupted(t, emu, o, false, []string{"interrupted", "may or may not have been applied"})
			select {
			case <-w.finished:
			case <-time.After(guard):
				t.Errorf("the stalled upload was not abandoned after %v", sig)
			}
		})
	}
}

// buildBinary builds the program as users get it (main.go included).
func buildBinary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("no go tool on PATH to build the binary: %v", err)
	}
	bin := filepath.Join(t.TempDir(), "wxcloud-deploy")
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/wxcloud-deploy/wxcloud-deploy")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// proc is the built binary running in a process of its own.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr testkit.Buffer
	exited         chan error // Wait's answer
}

// startBinary runs bin with args in env (nil: the test's own environment)
// and kills it when the test ends, if it is still running.
func startBinary(t *testing.T, bin string, args, env []string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(bin, args...), exited: make(chan error, 1)}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.Env = env
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	t.Cleanup(func() {
		if p.cmd.ProcessState == nil {
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	})
	return p
}
