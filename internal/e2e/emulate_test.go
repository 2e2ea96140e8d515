package e2e

import (
	"context"
	"regexp"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/testkit"
)

// TestEmulateServesBothAPIs: `emulate` prints where it listens and the
// credentials it accepts, and other tools deploy to it through either API
// with exactly those; --envs limits the envs that have cloud development.
func TestEmulateServesBothAPIs(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(testkit.Context(t))
	defer cancel()
	p := testkit.Start(ctx, []string{"emulate", "--listen", "127.0.0.1:0", "--envs", "dev-a,dev-b"}, nil)

	printed := regexp.MustCompile(`(?s)API emulator listening on (http://127\.0\.0\.1:\d+)\n.*` +
		`token \(any kind\): (\S+)\n.*--region (\S+)\n\s+secret-id:\s+(\S+)\n\s+secret-key:\s+(\S+)\n`)
	m, err := p.Stdout.WaitFor(ctx, printed)
	if err != nil {
		t.Fatalf("%v; stdout:\n%s\nstderr:\n%s", err, p.Stdout.String(), p.Stderr.String())
	}
	url, token, region, id, key := m[1], m[2], m[3], m[4], m[5]

	dir := helloCopy(t)
	wechat := testkit.Inputs{"provider": "wechat", "api-base-url": url, "access-token": token, "component-access-token": token}
	tencent := testkit.Inputs{"tencentcloud-api-url": url, "region": region, "secret-id": id, "secret-key": key}
	for _, tc := range []struct {
		name string
		in   testkit.Inputs
		fn   string
	}{{"wechat", wechat, "hello"}, {"tencentcloud", tencent, "hello_tc"}} {
		in := tc.in.With("function-name", tc.fn, "path", dir, "envs", "dev-a,dev-c", "json", "true", "retries", "0")
		o := testkit.CLI(t, nil, in.Args()...)
		res := jsonResults(t, o, false)
		if o.Code != cli.ExitFailed || len(res) != 2 || res[0].Action != result.Created || res[1].Action != result.Failed {
			t.Errorf("%s: want %s created in dev-a and failed in dev-c (not in --envs), exit 1:\n%v", tc.name, tc.fn, o)
		}
	}

	cancel()
	select {
	case o := <-p.Done():
		if o.Code != cli.ExitOK {
			t.Errorf("emulate exited %d after the cancel, want 0:\n%v", o.Code, o)
		}
	case <-time.After(guard):
		t.Fatalf("emulate did not return within %s of the cancel", guard)
	}
}
