package testkit

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
)

// Guard bounds one run of the program in a test: a hang fails that test
// instead of stalling the package until go test's own timeout.
const Guard = 60 * time.Second

// Buffer is a bytes.Buffer safe for the program's concurrent writers and a
// test reading while it still writes.
type Buffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	// grew is closed (and replaced) by every write, for WaitFor.
	grew chan struct{}
}

func (b *Buffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.grew != nil {
		close(b.grew)
		b.grew = nil
	}
	return b.buf.Write(p)
}

// WaitFor waits until what was written matches re, and returns the match
// and its submatches, or ctx's error.
func (b *Buffer) WaitFor(ctx context.Context, re *regexp.Regexp) ([]string, error) {
	for {
		b.mu.Lock()
		m := re.FindStringSubmatch(b.buf.String())
		if m == nil && b.grew == nil {
			b.grew = make(chan struct{})
		}
		grew := b.grew
		b.mu.Unlock()
		if m != nil {
			return m, nil
		}
		select {
		case <-grew:
		case <-ctx.Done():
			return nil, fmt.Errorf("waiting for %q: %w", re, ctx.Err())
		}
	}
}

// String returns what was written so far.
func (b *Buffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Environ turns env into the KEY=VALUE list cli.Main takes, sorted. A key
// whose value is "" is left out: in these maps "" means absent.
func Environ(env map[string]string) []string {
	out := make([]string, 0, len(env))
	for k, v := range env {
		if v != "" {
			out = append(out, k+"="+v)
		}
	}
	sort.Strings(out)
	return out
}

// Outcome is what one run produced.
type Outcome struct {
	Code           int
	Stdout, Stderr string
	// OutputFile and Summary are the raw $GITHUB_OUTPUT and
	// $GITHUB_STEP_SUMMARY after the run ("" when the run had none), Outputs
	// the outputs parsed from OutputFile.
	OutputFile, Summary string
	Outputs             map[string]string
}

func (o Outcome) String() string {
	return fmt.Sprintf("exit %d\n--- stdout:\n%s\n--- stderr:\n%s\n--- GITHUB_OUTPUT:\n%s\n--- summary:\n%s",
		o.Code, o.Stdout, o.Stderr, o.OutputFile, o.Summary)
}

// Run runs cli.Main in-process with args and nothing of the host's
// environment but env. It needs no *testing.T, so a test can run it in a
// goroutine and cancel ctx.
func Run(ctx context.Context, args []string, env map[string]string) Outcome {
	var stdout, stderr Buffer
	code := cli.Main(ctx, args, Environ(env), &stdout, &stderr)
	return Outcome{Code: code, Stdout: stdout.String(), Stderr: stderr.String()}
}

// Process is cli.Main running in the background (a long-lived command
// such as emulate): its streams can be read while it runs.
type Process struct {
	Stdout, Stderr Buffer
	done           chan Outcome
}

// Start runs cli.Main in a goroutine; cancel ctx to stop it.
func Start(ctx context.Context, args []string, env map[string]string) *Process {
	p := &Process{done: make(chan Outcome, 1)}
	go func() {
		code := cli.Main(ctx, args, Environ(env), &p.Stdout, &p.Stderr)
		p.done <- Outcome{Code: code, Stdout: p.Stdout.String(), Stderr: p.Stderr.String()}
	}()
	return p
}

// Done delivers the outcome when cli.Main has returned.
func (p *Process) Done() <-chan Outcome { return p.done }

// Context is the test's context bounded by Guard.
func Context(t testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), Guard)
	t.Cleanup(cancel)
	return ctx
}

// CLI runs the program as a terminal command: args, and env (nil for an
// empty environment).
func CLI(t testing.TB, env map[string]string, args ...string) Outcome {
	t.Helper()
	return Run(Context(t), args, env)
}

// Action runs the program as one step of a GitHub Actions job: no
// arguments, env as the runner's variables, and fresh $GITHUB_OUTPUT and
// $GITHUB_STEP_SUMMARY files as every step gets, unless env names them (""
// leaves one unset). The outputs are parsed the way the runner parses them;
// a file the runner would refuse fails the test.
func Action(t testing.TB, env map[string]string) Outcome {
	t.Helper()
	dir := t.TempDir()
	all := map[string]string{
		"GITHUB_OUTPUT":       filepath.Join(dir, "output"),
		"GITHUB_STEP_SUMMARY": filepath.Join(dir, "summary"),
	}
	for k, v := range env {
		all[k] = v
	}
	for _, k := range []string{"GITHUB_OUTPUT", "GITHUB_STEP_SUMMARY"} {
		if all[k] != "" {
			WriteFile(t, all[k], "")
		}
	}
	o := Run(Context(t), nil, all)
	if p := all["GITHUB_OUTPUT"]; p != "" {
		o.OutputFile = ReadFile(t, p)
	}
	if p := all["GITHUB_STEP_SUMMARY"]; p != "" {
		o.Summary = ReadFile(t, p)
	}
	var err error
	if o.Outputs, err = ParseOutputs(o.OutputFile); err != nil {
		t.Errorf("GITHUB_OUTPUT: %v\n%s", err, o.OutputFile)
	}
	return o
}

// Inputs are action inputs by name ("function-name", "envs"), so one test
// case can be given to either front door: Args for the CLI, Env for the
// action. A value "" means the input is not given.
type Inputs map[string]string

// With returns a copy of in with name/value pairs set.
func (in Inputs) With(kv ...string) Inputs {
	out := Inputs{}
	for k, v := range in {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// Merge returns a copy of in with over's values set.
func (in Inputs) Merge(over map[string]string) Inputs {
	out := in.With()
	for k, v := range over {
		out[k] = v
	}
	return out
}

// Args is the command line: the command input (default deploy), then
// --name=value for every other input given, in name order.
func (in Inputs) Args() []string {
	cmd := in["command"]
	if cmd == "" {
		cmd = "deploy"
	}
	names := make([]string, 0, len(in))
	for k, v := range in {
		if k != "command" && v != "" {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	args := []string{cmd}
	for _, k := range names {
		args = append(args, "--"+k+"="+in[k])
	}
	return args
}

// Env is the runner's INPUT_<NAME> variables (upper-cased, hyphens kept).
func (in Inputs) Env() map[string]string {
	env := map[string]string{}
	for k, v := range in {
		env["INPUT_"+strings.ToUpper(k)] = v
	}
	return env
}
