package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/testkit"
)

// providers are the two backends, each pointed at its side of emu: every
// CLI deploy case runs through both and must give the same results.
var providers = []struct {
	name   string
	inputs func(*testkit.Emulator) testkit.Inputs
}{
	{"wechat", (*testkit.Emulator).WeChat},
	{"tencentcloud", (*testkit.Emulator).TencentCloud},
}

// TestCLIDeployJSON: --json prints the results array alone on stdout; the
// human table goes to stderr; each result names what the emulator holds.
func TestCLIDeployJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// json: stdout must be the results array; else stdout stays empty.
		json, invoke bool
	}{
		{name: "json", json: true},
		{name: "json with smoke test", json: true, invoke: true},
		{name: "table only"},
	}
	for _, p := range providers {
		for _, tt := range tests {
			t.Run(p.name+"/"+tt.name, func(t *testing.T) {
				t.Parallel()
				emu := newEmulator(t, testkit.EmulatorOptions{})
				in := p.inputs(emu).With("function-name", fnName, "path", helloCopy(t), "envs", "dev-a1,dev-b2",
					"json", strconv.FormatBool(tt.json), "invoke", strconv.FormatBool(tt.invoke))
				o := testkit.CLI(t, nil, in.Args()...)
				if o.Code != cli.ExitOK {
					t.Fatalf("%v", o)
				}
				if !regexp.MustCompile(`(?m)^FUNCTION +ENV +ACTION`).MatchString(o.Stderr) ||
					!regexp.MustCompile(`(?m)^hello +dev-a1 +created`).MatchString(o.Stderr) ||
					!regexp.MustCompile(`(?m)^2 created$`).MatchString(o.Stderr) {
					t.Errorf("stderr has no human table of the results:\n%s", o.Stderr)
				}
				if !strings.Contains(o.Stderr, "upload: ") {
					t.Errorf("stderr has no upload progress line:\n%s", o.Stderr)
				}
				if !tt.json {
					if o.Stdout != "" {
						t.Errorf("without --json stdout should stay empty, got:\n%s", o.Stdout)
					}
					return
				}
				res := jsonResults(t, o, tt.invoke)
				if len(res) != 2 {
					t.Fatalf("%d results, want 2:\n%s", len(res), o.Stdout)
				}
				for i, env := range []string{"dev-a1", "dev-b2"} {
					r := res[i]
					fn, ok := emu.Function(env, fnName)
					if r.Function != fnName || r.Env != env || r.Action != result.Created || r.Errcode != 0 || r.Error != "" {
						t.Errorf("result %d: %+v, want hello@%s created", i, r, env)
					}
					if !ok || fn.SHA256 != r.SHA256 {
						t.Errorf("%s: reported sha256 %s, emulator holds %v %s", env, r.SHA256, ok, fn.SHA256)
					}
					if tt.invoke && (r.Invoke == nil || !r.Invoke.OK) {
						t.Errorf("%s: invoke %+v, want a passed smoke test", env, r.Invoke)
					}
				}
				checkNoSecret(t, o, emuToken, emu.SecretKey())
			})
		}
	}
}

// TestCLIEmulatorDemo is the README's zero-setup demo: --emulator deploys
// to an in-process emulator without credentials, through the Tencent Cloud
// API unless --provider wechat asks for WeChat's.
func TestCLIEmulatorDemo(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		extra []string
		want  string
	}{
		{"default: tencentcloud", nil, "(tencentcloud API)"},
		{"--provider wechat", []string{"--provider", "wechat"}, "(wechat API)"},
		{"--provider tencentcloud", []string{"--provider", "tencentcloud"}, "(tencentcloud API)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			args := append([]string{"deploy", "--emulator", "--function-name", fnName, "--path", helloCopy(t),
				"--envs", "dev-a1,dev-b2", "--invoke", "--json"}, tt.extra...)
			o := testkit.CLI(t, nil, args...)
			if o.Code != cli.ExitOK {
				t.Fatalf("%v", o)
			}
			if !regexp.MustCompile(`(?m)^using the embedded emulator at http://127\.0\.0\.1:\d+ ` + regexp.QuoteMeta(tt.want) + `$`).MatchString(o.Stderr) {
				t.Errorf("stderr does not say which emulator API %s was used:\n%s", tt.want, o.Stderr)
			}
			res := jsonResults(t, o, true)
			if len(res) != 2 {
				t.Fatalf("results %+v, want two", res)
			}
			for _, r := range res {
				if r.Action != result.Created || r.Invoke == nil || !r.Invoke.OK {
					t.Errorf("%s@%s: %s %+v, want created with a passed smoke test", r.Function, r.Env, r.Action, r.Invoke)
				}
			}
		})
	}
}

// TestCLIPack: pack writes the zip, reports it (the results and the pack
// line agree with the file), and is reproducible; --path alone names the
// function after its folder.
func TestCLIPack(t *testing.T) {
	t.Parallel()
	ws := testkit.NewWorkspace(t)
	ws.Hello("hello")
	env := map[string]string{"GITHUB_WORKSPACE": ws.Dir}

	pack := func(t *testing.T, args ...string) (testkit.Outcome, result.Result, []byte) {
		t.Helper()
		out := ws.Path(t.Name()[strings.LastIndex(t.Name(), "/")+1:] + ".zip")
		o := testkit.CLI(t, env, append(append([]string{"pack"}, args...), "--output", out, "--json")...)
		if o.Code != cli.ExitOK {
			t.Fatalf("%v", o)
		}
		res := jsonResults(t, o, false)
		if len(res) != 1 {
			t.Fatalf("%d results, want one per function:\n%s", len(res), o.Stdout)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatalf("pack wrote no zip: %v\n%v", err, o)
		}
		return o, res[0], data
	}

	t.Run("function-name", func(t *testing.T) {
		o, r, data := pack(t, "--function-name", "hello", "--path", "hello")
		sum := testkit.SHA256Hex(data)
		if r.Function != "hello" || r.Action != result.Packed || r.SHA256 != sum || r.Size != int64(len(data)) {
			t.Errorf("result %+v, want hello packed with the written zip's sha256 %s and size %d", r, sum, len(data))
		}
		line := regexp.MustCompile(`(?m)^hello: \S+ B, 2 files, sha256 ([0-9a-f]{12}) \(hello\)$`).FindStringSubmatch(o.Stderr)
		if line == nil || line[1] != sum[:12] {
			t.Errorf("no \"hello: …, sha256 %s (hello)\" line:\n%s", sum[:12], o.Stderr)
		}
		if names := testkit.ZipNames(t, data); strings.Join(names, ",") != "index.js,package.json" {
			t.Errorf("zip holds %q, want the function's files at the root", names)
		}
		// The same input makes the same zip.
		if _, _, again := pack(t, "--function-name", "hello", "--path", "hello"); testkit.SHA256Hex(again) != sum {
			t.Errorf("packing the same directory twice gave different zips")
		}
	})
	t.Run("path only", func(t *testing.T) {
		_, r, data := pack(t, "--path", "hello")
		if r.Function != "hello" || r.SHA256 != testkit.SHA256Hex(data) {
			t.Errorf("result %+v, want the function named after its folder (hello) with the zip's sha256", r)
		}
	})
}

// TestCLIPackSeveralFunctions: functions globs pack one zip per function
// into the output folder.
func TestCLIPackSeveralFunctions(t *testing.T) {
	t.Parallel()
	ws := testkit.NewWorkspace(t)
	for _, n := range []string{"login", "pay"} {
		ws.Hello("cloudfunctions/" + n)
	}
	o := testkit.CLI(t, map[string]string{"GITHUB_WORKSPACE": ws.Dir}, "pack", "--functions", "cloudfunctions/*", "--output", "dist/", "--json")
	if o.Code != cli.ExitOK {
		t.Fatalf("%v", o)
	}
	res := jsonResults(t, o, false)
	if len(res) != 2 {
		t.Fatalf("%d results, want 2:\n%s", len(res), o.Stdout)
	}
	for i, n := range []string{"login", "pay"} {
		data, err := os.ReadFile(filepath.Join(ws.Dir, "dist", n+".zip"))
		if err != nil {
			t.Fatalf("no zip for %s: %v\n%v", n, err, o)
		}
		if res[i].Function != n || res[i].SHA256 != testkit.SHA256Hex(data) {
			t.Errorf("result %d: %+v, want %s with its zip's sha256", i, res[i], n)
		}
	}
}

// TestCLIPlanShards: plan --shards splits the pairs into balanced slices
// and names the matrix.
func TestCLIPlanShards(t *testing.T) {
	t.Parallel()
	ws := testkit.NewWorkspace(t)
	ws.Hello("hello")
	o := testkit.CLI(t, map[string]string{"GITHUB_WORKSPACE": ws.Dir},
		"plan", "--function-name", "hello", "--path", "hello", "--envs", "dev-a,dev-b,dev-c", "--shards", "2")
	if o.Code != cli.ExitOK {
		t.Fatalf("%v", o)
	}
	for _, want := range []string{
		"shard 1/2: 1 pair\n", "shard 2/2: 2 pairs\n",
		"plan: 1 function × 3 envs = 3 pairs\n",
		`matrix: {"shard":["1/2","2/2"]}` + "\n",
	} {
		if !strings.Contains(o.Stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, o.Stderr)
		}
	}
	if o.Stdout != "" {
		t.Errorf("stdout should stay empty without --json:\n%s", o.Stdout)
	}
}

// TestCLIUsage: help succeeds on stdout; mistakes exit 2 with a suggestion
// on stderr.
func TestCLIUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		// want is a regexp matched against stdout (exit 0) or stderr.
		want string
	}{
		{name: "--help", args: []string{"--help"}, want: `--function-name NAME`},
		{name: "help", args: []string{"help"}, want: `(?m)^Usage:`},
		{name: "deploy --help", args: []string{"deploy", "--help"}, want: `--function-name`},
		{name: "version", args: []string{"version"}, want: `^wxcloud-deploy \S`},
		{name: "unknown flag", args: []string{"deploy", "--functon-name", "hello"}, wantCode: 2, want: `did you mean --function-name\?`},
		{name: "unknown flag with =", args: []string{"deploy", "--envz=dev-a1", "--function-name", "hello"}, wantCode: 2, want: `did you mean --envs\?`},
		{name: "unknown command", args: []string{"deplyo"}, wantCode: 2, want: `did you mean deploy\?`},
		{name: "no arguments", args: nil, wantCode: 2, want: `(?m)^Usage:`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := testkit.CLI(t, nil, tt.args...)
			if o.Code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%v", o.Code, tt.wantCode, o)
			}
			text, other := o.Stderr, o.Stdout
			if tt.wantCode == 0 {
				text, other = o.Stdout, o.Stderr
			}
			if !regexp.MustCompile(tt.want).MatchString(text) {
				t.Errorf("output does not match %q:\n%v", tt.want, o)
			}
			if other != "" {
				t.Errorf("the other stream should stay empty:\n%v", o)
			}
		})
	}
}
