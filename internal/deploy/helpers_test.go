package deploy

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/emulator"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/wxcloud"
)

// world is one emulator with a client pointed at it.
type world struct {
	srv    *emulator.Server
	url    string
	client *wxcloud.Client
}

func noSleep(ctx context.Context, d time.Duration) error { return ctx.Err() }

func newWorld(t testing.TB, opts emulator.Options, tokens ...wxcloud.TokenSource) *world {
	t.Helper()
	if opts.Node == "" {
		opts.Node = "-" // echo mode: fast and independent of node
	}
	srv := emulator.New(opts)
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	w := &world{srv: srv, url: ts.URL}
	var access wxcloud.TokenSource = wxcloud.StaticToken(srv.Token())
	if len(tokens) > 0 {
		access = tokens[0]
	}
	w.client = wxcloud.NewClient(ts.Client(),
		wxcloud.WithBaseURL(ts.URL),
		wxcloud.WithRetries(2),
		wxcloud.WithSleep(noSleep),
		wxcloud.WithTimeout(5*time.Second),
		wxcloud.WithTokens(access, nil),
	)
	return w
}

func (w *world) deps() Deps {
	return Deps{Client: w.client, Sleep: noSleep}
}

// baseConfig is what config.FromArgs would give for `deploy --envs ...`.
func baseConfig(envs ...string) *config.Config {
	return &config.Config{
		Command:       "deploy",
		Mode:          "auto",
		Files:         "**",
		Entry:         "index.js",
		Envs:          envs,
		SkipUnchanged: true,
		SizeLimit:     20 << 20,
		Concurrency:   4,
		InvokeData:    []byte(`{"ping":true}`),
		Retries:       2,
		Timeout:       5 * time.Second,
		Comment:       "never",
	}
}

// writeFunction creates a function directory whose code says version.
func writeFunction(t testing.TB, root, name, version string) string {
	t.Helper()
	dir := filepath.Join(root, name)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"index.js":     "exports.main = async (event) => ({ ok: true, version: '" + version + "', event })\n",
		"package.json": `{"name":"` + name + `","version":"1.0.0"}` + "\n",
	}
	for n, c := range files {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// build packs one function from a fresh directory.
func build(t testing.TB, cfg *config.Config, name, version string) Built {
	t.Helper()
	dir := writeFunction(t, t.TempDir(), name, version)
	built, err := Pack(context.Background(), cfg, []Target{{Name: name, Dir: dir}})
	if err != nil {
		t.Fatal(err)
	}
	return built[0]
}

// actions maps env -> action for one function's results.
func actions(run *result.Run, fn string) map[string]result.Action {
	out := map[string]result.Action{}
	for _, r := range run.Results {
		if r.Function == fn {
			out[r.Env] = r.Action
		}
	}
	return out
}

func resultFor(t testing.TB, run *result.Run, fn, env string) result.Result {
	t.Helper()
	for _, r := range run.Results {
		if r.Function == fn && r.Env == env {
			return r
		}
	}
	t.Fatalf("no result for %s@%s in %+v", fn, env, run.Results)
	return result.Result{}
}

func writesTo(srv *emulator.Server, path string) int {
	n := 0
	for _, c := range srv.Calls() {
		if c.Path == path {
			n++
		}
	}
	return n
}
