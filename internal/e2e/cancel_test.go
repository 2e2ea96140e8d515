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
)

// guard bounds every wait on the program: a hang fails the test instead of
// stalling the suite until go test's own timeout. Nothing sleeps for it.
const guard = 15 * time.Second

// watcher reports when the first request to path reaches the server and when
// the server is done with it (answered, or abandoned by the client).
type watcher struct {
	path     string
	arrived  chan struct{}
	finished chan struct{}
	once     sync.Once
}

func watch(path string) *watcher {
	return &watcher{path: path, arrived: make(chan struct{}), finished: make(chan struct{})}
}

func (w *watcher) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		first := false
		if r.URL.Path == w.path {
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

// cancelCases stall the deploy at each stage; the run is cancelled once the
// stalled request has arrived.
var cancelCases = []struct {
	name   string
	path   string
	invoke bool
	// wantErr: what every env's error must say.
	wantErr []string
	// noWrites: nothing may have been uploaded.
	noWrites bool
}{
	{name: "during the probe", path: pathDownload, wantErr: []string{"interrupted"}, noWrites: true},
	{name: "during the upload", path: pathBatchCreate, wantErr: []string{"interrupted", "may or may not have been applied"}},
	{name: "during the smoke test", path: pathInvoke, invoke: true, wantErr: []string{"smoke test", "interrupted"}},
}

func TestCancelInProcess(t *testing.T) {
	t.Parallel()
	for _, tc := range cancelCases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := watch(tc.path)
			h := newHarness(t, w.wrap)
			h.emu.Inject(emulator.Fault{Path: tc.path, Stall: true})
			// The stall must outlast the run: only the cancellation ends it.
			args := withFlag(deployArgs(h, helloCopy(t), envs3), "--timeout", "60s")
			if tc.invoke {
				args = append(args, "--invoke", "true")
			}

			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			done := make(chan outcome, 1)
			go func() { done <- runCLI(ctx, args, nil) }()

			select {
			case <-w.arrived:
			case out := <-done:
				t.Fatalf("the run ended (exit %d) before the stalled request arrived:\n%s", out.code, out.stderr)
			case <-time.After(guard):
				t.Fatalf("no request to %s within %s", tc.path, guard)
			}
			cancelled := time.Now()
			cancel()

			var out outcome
			select {
			case out = <-done:
			case <-time.After(guard):
				t.Fatalf("cli.Main did not return within %s of the cancellation", guard)
			}
			if d := time.Since(cancelled); d > 5*time.Second {
				t.Errorf("cli.Main took %s to return after the cancellation, want promptly", d)
			}
			select {
			case <-w.finished:
			case <-time.After(guard):
				t.Errorf("the in-flight request to %s was not abandoned after the cancellation", tc.path)
			}

			checkInterrupted(t, h, out, tc.wantErr)
			if tc.noWrites && h.emu.Writes() != 0 {
				t.Errorf("%d write calls reached the API after a cancellation during the probe, want 0", h.emu.Writes())
			}
		})
	}
}

// withFlag sets flag to value in args, replacing an earlier occurrence.
func withFlag(args []string, flag, value string) []string {
	out := make([]string, 0, len(args)+2)
	for i := 0; i < len(args); i++ {
		if args[i] == flag && i+1 < len(args) {
			i++
			continue
		}
		out = append(out, args[i])
	}
	return append(out, flag, value)
}

// checkInterrupted: a cancelled run exits 1, prints a result for every env,
// none of them a success it cannot vouch for, each saying why.
func checkInterrupted(t *testing.T, h *harness, out outcome, wantErr []string) {
	t.Helper()
	if out.code != cli.ExitFailed {
		t.Errorf("exit status %d after a cancellation, want %d", out.code, cli.ExitFailed)
	}
	res := decodeResults(t, out)
	checkTruthful(t, h.emu, envs3, out, res)
	for _, r := range res {
		if r.Action.OK() {
			t.Errorf("%s: %s although the run was cancelled before it finished", r.Env, r.Action)
		}
		for _, want := range wantErr {
			if !strings.Contains(r.Error, want) {
				t.Errorf("%s: error %q does not say %q", r.Env, r.Error, want)
			}
		}
	}
	if !strings.Contains(out.stderr, "cancelled") {
		t.Errorf("stderr does not say the run was cancelled:\n%s", out.stderr)
	}
	if t.Failed() {
		t.Logf("stderr:\n%s", out.stderr)
	}
}

// TestCancelSignal sends the real signals a cancelled GitHub job sends to the
// built binary (main.go's signal wiring included) in the middle of an upload.
func TestCancelSignal(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGINT/SIGTERM cannot be sent to a process on Windows")
	}
	if testing.Short() {
		t.Skip("builds the binary")
	}
	t.Parallel()
	bin := buildBinary(t)

	for _, sig := range []os.Signal{os.Interrupt, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			w := watch(pathBatchCreate)
			h := newHarness(t, w.wrap)
			h.emu.Inject(emulator.Fault{Path: pathBatchCreate, Stall: true})
			args := withFlag(deployArgs(h, helloCopy(t), envs3), "--timeout", "60s")

			var stdout, stderr lockedBuffer
			cmd := exec.Command(bin, args...)
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			cmd.Env = []string{} // nothing of the host: no GITHUB_* variables
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()
			t.Cleanup(func() {
				if cmd.ProcessState == nil {
					_ = cmd.Process.Kill()
					<-exited
				}
			})

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
			out := outcome{code: cmd.ProcessState.ExitCode(), stdout: stdout.String(), stderr: stderr.String()}
			checkInterrupted(t, h, out, []string{"interrupted", "may or may not have been applied"})
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
		t.Skip("no go tool on PATH to build the binary")
	}
	bin := filepath.Join(t.TempDir(), "wxcloud-deploy")
	cmd := exec.Command(goTool, "build", "-o", bin, "github.com/wxcloud-deploy/wxcloud-deploy")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}
