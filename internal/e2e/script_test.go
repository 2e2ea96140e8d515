package e2e

import (
	"context"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
)

// TestMain lets the test binary double as the wxcloud-deploy command that
// the scripts run, wired like main.go.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"wxcloud-deploy": func() {
			ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
			code := cli.Main(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
			stop()
			os.Exit(code)
		},
	})
}

// TestScripts runs testdata/script/*.txtar: one user-facing scenario each,
// against the embedded emulator (--emulator), so they need no server.
func TestScripts(t *testing.T) {
	t.Parallel()
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/script",
		RequireExplicitExec: true,
		Setup: func(env *testscript.Env) error {
			// Under -race every command that exits 0 would otherwise wait
			// a second for late race reports (GORACE's atexit_sleep_ms).
			env.Setenv("GORACE", "atexit_sleep_ms=0")
			return nil
		},
	})
}
