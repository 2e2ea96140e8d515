// Command wxcloud-deploy deploys WeChat Mini Program cloud functions. It is a
// GitHub Action (run with no arguments inside Actions) and a CLI; see README.md.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
)

func main() {
	// A cancelled job gets SIGINT then SIGTERM: stop in-flight requests and
	// report what is known instead of dying mid-upload without a word. Once
	// the first signal arrived, the handler is removed, so a second one ends
	// the process at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	code := cli.Main(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
