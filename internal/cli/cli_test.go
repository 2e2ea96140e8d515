package cli_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestCLIDeployJSON: --json prints the results array alone on stdout; the
// human table goes to stderr.
func TestCLIDeployJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		extra []string
		// json: stdout must be the results array; else stdout stays empty.
		json bool
	}{
		{name: "json", extra: []string{"--json"}, json: true},
		{name: "json with smoke test", extra: []string{"--json", "--invoke", "true"}, json: true},
		{name: "table only", extra: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			emu, api := newEmulator(t, nil)
			dir := filepath.Join(t.TempDir(), "hello")
			copyDir(t, helloSrc, dir)
			args := append([]string{"deploy", "--function-name", "hello", "--path", dir,
				"--envs", "dev-a1,dev-b2", "--api-base-url", api.URL, "--access-token", emuToken}, tt.extra...)
			o := runCLI(t, nil, args...)
			if o.code != 0 {
				t.Fatalf("%v", o)
			}
			if !regexp.MustCompile(`(?m)^FUNCTION +ENV +ACTION`).MatchString(o.stderr) ||
				!regexp.MustCompile(`(?m)^hello +dev-a1 +created`).MatchString(o.stderr) ||
				!strings.Contains(o.stderr, "2 created") {
				t.Errorf("stderr has no human table of the results:\n%s", o.stderr)
			}
			if !tt.json {
				if o.stdout != "" {
					t.Errorf("without --json stdout should stay empty, got:\n%s", o.stdout)
				}
				return
			}
			if strings.Contains(o.stdout, "FUNCTION") {
				t.Errorf("the table leaked into stdout:\n%s", o.stdout)
			}
			invoke := strings.Contains(strings.Join(tt.extra, " "), "--invoke")
			res := decodeResults(t, o.stdout, invoke)
			if len(res) != 2 {
				t.Fatalf("%d results, want 2:\n%s", len(res), o.stdout)
			}
			for i, env := range []string{"dev-a1", "dev-b2"} {
				r := res[i]
				fn, ok := emu.Function(env, "hello")
				if r.Function != "hello" || r.Env != env || r.Action != "created" || r.Errcode != 0 || r.Error != "" {
					t.Errorf("result %d: %+v, want hello@%s created", i, r, env)
				}
				if !ok || fn.SHA256 != r.SHA256 {
					t.Errorf("%s: reported sha256 %s, emulator holds %v %s", env, r.SHA256, ok, fn.SHA256)
				}
				if invoke && (r.Invoke == nil || !r.Invoke.OK) {
					t.Errorf("%s: invoke %+v, want a passed smoke test", env, r.Invoke)
				}
			}
		})
	}
}

// TestCLIEmulatorDemo is the README's zero-setup demo: --emulator deploys to
// an in-process emulator without credentials.
func TestCLIEmulatorDemo(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "hello")
	copyDir(t, helloSrc, dir)
	o := runCLI(t, nil, "deploy", "--emulator", "--function-name", "hello", "--path", dir, "--envs", "dev-a1", "--json")
	if o.code != 0 {
		t.Fatalf("%v", o)
	}
	res := decodeResults(t, o.stdout, false)
	if len(res) != 1 || res[0].Action != "created" || res[0].Env != "dev-a1" {
		t.Errorf("results %+v, want hello@dev-a1 created", res)
	}
}

// TestCLIPackOutput: pack writes the zip and prints its SHA-256.
func TestCLIPackOutput(t *testing.T) {
	t.Parallel()
	ws := t.TempDir()
	copyDir(t, helloSrc, filepath.Join(ws, "hello"))
	out := filepath.Join(ws, "f.zip")
	o := runCLI(t, map[string]string{"GITHUB_WORKSPACE": ws}, "pack", "--function-name", "hello", "--path", "hello", "--output", out)
	if o.code != 0 {
		t.Fatalf("%v", o)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatalf("pack wrote no zip: %v", err)
	}
	sum := sha256Hex(data)
	m := regexp.MustCompile(`(?m)^hello: sha256 ([0-9a-f]{64}), (\d+) bytes`).FindStringSubmatch(o.stderr)
	if m == nil {
		t.Fatalf("no \"hello: sha256 ...\" line:\n%v", o)
	}
	if m[1] != sum {
		t.Errorf("printed sha256 %s, the written zip's is %s", m[1], sum)
	}
	if want := len(data); m[2] != strconv.Itoa(want) {
		t.Errorf("printed size %s, the written zip has %d bytes", m[2], want)
	}
	names := zipNames(t, data)
	if strings.Join(names, ",") != "index.js,package.json" {
		t.Errorf("zip holds %q, want the function's files at the root", names)
	}

	// The same input makes the same zip: pack is reproducible.
	out2 := filepath.Join(ws, "g.zip")
	if o := runCLI(t, map[string]string{"GITHUB_WORKSPACE": ws}, "pack", "--function-name", "hello", "--path", "hello", "--output", out2); o.code != 0 {
		t.Fatalf("second pack: %v", o)
	}
	if data2, _ := os.ReadFile(out2); sha256Hex(data2) != sum {
		t.Errorf("packing the same directory twice gave different zips")
	}
}

// TestCLIUsage: help succeeds; mistakes exit 2 with a suggestion.
func TestCLIUsage(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		wantCode int
		// want is a regexp matched against stdout (exit 0) or stderr.
		want string
	}{
		{name: "--help", args: []string{"--help"}, want: `--function-name`},
		{name: "help", args: []string{"help"}, want: `--function-name`},
		{name: "deploy --help", args: []string{"deploy", "--help"}, want: `--function-name`},
		{name: "unknown flag", args: []string{"deploy", "--functon-name", "hello"}, wantCode: 2, want: `did you mean --function-name\?`},
		{name: "unknown flag with =", args: []string{"deploy", "--envz=dev-a1", "--function-name", "hello"}, wantCode: 2, want: `did you mean --envs\?`},
		{name: "unknown command", args: []string{"deplyo"}, wantCode: 2, want: `did you mean deploy\?`},
		{name: "no arguments", args: nil, wantCode: 2, want: `deploy`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			o := runCLI(t, map[string]string{}, tt.args...)
			if o.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%v", o.code, tt.wantCode, o)
			}
			text := o.stderr
			if tt.wantCode == 0 {
				text = o.stdout
			}
			if !regexp.MustCompile(tt.want).MatchString(text) {
				t.Errorf("output does not match %q:\n%v", tt.want, o)
			}
		})
	}
}
