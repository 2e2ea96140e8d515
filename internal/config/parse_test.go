package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   string
		want int64
		frag string // error fragment when want is 0
	}{
		{in: "20MiB", want: 20 << 20},
		{in: "15MB", want: 15_000_000},
		{in: "512KiB", want: 512 << 10},
		{in: "1048576", want: 1 << 20},
		{in: "20 mib", want: 20 << 20},
		{in: "  1GiB  ", want: 1 << 30},
		{in: "1.5KiB", want: 1536},
		{in: "1.5kb", want: 1500},
		{in: "0.5B", frag: "greater than zero"},
		{in: "7 bytes", want: 7},
		{in: "2TB", want: 2_000_000_000_000},
		{in: "8388607TiB", want: 8388607 << 40},
		{in: "8388608TiB", frag: "too large"},
		{in: "9223372036854775807", want: 1<<63 - 1},
		{in: "9223372036854775808", frag: "too large"},
		{in: "0", frag: "greater than zero"},
		{in: "-1", frag: "greater than zero"},
		{in: "", frag: "is not a size"},
		{in: "MiB", frag: "is not a size"},
		{in: "1e6", frag: "is not a size"}, {in: "20 furlongs", frag: `unknown unit "furlongs"`},
		{in: "20 M iB", frag: "is not a size"},
		{in: "20m", frag: `ambiguous unit "m" (use MiB for powers of 1024 or MB`},
		{in: "1,000", frag: "is not a size"},
		{in: "0x10", frag: "is not a size"},
		{in: "1.", frag: "is not a size"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			got, err := ParseSize(tc.in)
			if tc.frag == "" {
				if err != nil || got != tc.want {
					t.Fatalf("ParseSize(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
				}
				return
			}
			var ie *InputError
			if !errors.As(err, &ie) || ie.Input != "size-limit" || !strings.Contains(err.Error(), tc.frag) {
				t.Fatalf("ParseSize(%q) = %d, %v; want a size-limit error containing %q", tc.in, got, err, tc.frag)
			}
		})
	}
}

func TestParseEnvs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		in    string
		want  []string
		frags []string
	}{
		{name: "comma", in: "a,b", want: []string{"a", "b"}},
		{name: "newlines and spaces", in: "  prod-3gewtf9c10f60c76 \n\n dev-1\r\n", want: []string{"prod-3gewtf9c10f60c76", "dev-1"}},
		{name: "blanks between commas", in: ",a,,b,", want: []string{"a", "b"}},
		{name: "empty", in: " \n , ", want: nil},
		{name: "64 chars", in: strings.Repeat("x", 64), want: []string{strings.Repeat("x", 64)}},
		{name: "65 chars", in: strings.Repeat("x", 65), frags: []string{"is not a valid env ID"}},
		{name: "space inside", in: "dev 1", frags: []string{`"dev 1" is not a valid env ID (letters, digits and '-' only`}},
		{name: "underscore", in: "dev_1", frags: []string{`"dev_1" is not a valid env ID`}},
		{name: "non-ASCII", in: "dév", frags: []string{"is not a valid env ID"}},
		{name: "duplicate reported once", in: "a,b,a,a", frags: []string{`"a" is listed more than once`}},
		{name: "all problems", in: "a b,c,c", frags: []string{`"a b" is not`, `"c" is listed`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ParseEnvs(tc.in)
			if tc.frags == nil {
				if err != nil || !reflect.DeepEqual(got, tc.want) {
					t.Fatalf("ParseEnvs(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil || got != nil {
				t.Fatalf("ParseEnvs(%q) = %q, %v; want an error", tc.in, got, err)
			}
			ies := inputErrors(t, err)
			if len(ies) != len(tc.frags) {
				t.Errorf("got %d errors, want %d: %v", len(ies), len(tc.frags), err)
			}
			for i, f := range tc.frags {
				if i < len(ies) && (ies[i].Input != "envs" || !strings.Contains(ies[i].Error(), f)) {
					t.Errorf("error %d = %v, want envs error containing %q", i, ies[i], f)
				}
			}
		})
	}
}

func TestParseBool(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"true", "True", "TRUE"} {
		if v, err := ParseBool("x", s); err != nil || !v {
			t.Errorf("ParseBool(%q) = %v, %v", s, v, err)
		}
	}
	for _, s := range []string{"false", "False", "FALSE"} {
		if v, err := ParseBool("x", s); err != nil || v {
			t.Errorf("ParseBool(%q) = %v, %v", s, v, err)
		}
	}
	for _, s := range []string{"", "yes", "1", "on", "tRue", " true", "y"} {
		_, err := ParseBool("dry-run", s)
		var ie *InputError
		if !errors.As(err, &ie) || ie.Input != "dry-run" || !strings.Contains(err.Error(), "use true or false") {
			t.Errorf("ParseBool(%q) error = %v", s, err)
		}
	}
}

func TestInputErrorFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  *InputError
		want string
	}{
		{"example", &InputError{Input: "envs", Value: "dev 1", Msg: "is not a valid env ID (letters, digits, '-' only)"},
			`envs: "dev 1" is not a valid env ID (letters, digits, '-' only)`},
		{"no value", &InputError{Input: "envs", Msg: "is required"}, "envs: is required"},
		{"escapes", &InputError{Input: "x", Value: "a\nb\x00\xff", Msg: "m"}, `x: "a\nb\x00\xff" m`},
		{"truncated", &InputError{Input: "x", Value: strings.Repeat("a", 100), Msg: "m"},
			`x: "` + strings.Repeat("a", 60) + `"... (100 bytes) m`},
		{"truncated at rune", &InputError{Input: "x", Value: strings.Repeat("a", 59) + "é" + strings.Repeat("b", 10), Msg: "m"},
			`x: "` + strings.Repeat("a", 59) + `"... (71 bytes) m`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := tc.err.Error(); got != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

func TestSuggest(t *testing.T) {
	t.Parallel()
	names := []string{"function-name", "functions", "dry-run", "envs", "json", "concurrency"}
	tests := map[string]string{
		"functon-name":           "function-name",
		"function_name":          "function-name",
		"Dry-Run":                "dry-run",
		"env":                    "envs",
		"concur":                 "concurrency",
		"jsn":                    "json",
		"verbose":                "",
		"x":                      "",
		strings.Repeat("a", 100): "",
	}
	for in, want := range tests {
		if got := suggest(in, names); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProjectFunctionRoot(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		content string // "" = no file
		want    string
		found   bool
		errFrag string
	}{
		{name: "no file"},
		{name: "root", content: `{"miniprogramRoot":"miniprogram/","cloudfunctionRoot":"cloudfunctions/"}`, want: "cloudfunctions/", found: true},
		{name: "windows slashes", content: `{"cloudfunctionRoot":"cloud\\functions\\"}`, want: "cloud/functions/", found: true},
		{name: "no root", content: `{"appid":"wx1"}`},
		{name: "empty root", content: `{"cloudfunctionRoot":"  "}`},
		{name: "malformed", content: `{"cloudfunctionRoot":`, errFrag: "is not valid JSON"},
		{name: "root not a string", content: `{"cloudfunctionRoot":1}`, errFrag: "is not valid JSON"},
		{name: "escaping root", content: `{"cloudfunctionRoot":"../other/"}`, errFrag: "leaves the project directory"},
		{name: "absolute root", content: `{"cloudfunctionRoot":"/etc/"}`, errFrag: "leaves the project directory"},
		{name: "drive root", content: `{"cloudfunctionRoot":"C:\\fns"}`, errFrag: "leaves the project directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tc.content != "" {
				if err := os.WriteFile(filepath.Join(dir, "project.config.json"), []byte(tc.content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			got, found, err := ProjectFunctionRoot(dir)
			if tc.errFrag != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errFrag) {
					t.Fatalf("err = %v, want one containing %q", err, tc.errFrag)
				}
				return
			}
			if err != nil || got != tc.want || found != tc.found {
				t.Fatalf("= %q, %v, %v; want %q, %v, nil", got, found, err, tc.want, tc.found)
			}
		})
	}
}

// A project.config.json naming a root that leaves the workspace is reported
// as bad input before anything is sent.
func TestProjectFunctionRootInConfig(t *testing.T) {
	t.Parallel()
	ws := newWorkspace(t)
	if err := os.WriteFile(filepath.Join(ws, "project.config.json"), []byte(`{"cloudfunctionRoot":"../x"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := viaAction(t, "pack", nil, map[string]string{"GITHUB_WORKSPACE": ws})
	var ie *InputError
	if !errors.As(err, &ie) || ie.Input != "functions" || !strings.Contains(err.Error(), "leaves the project directory") {
		t.Fatalf("err = %v", err)
	}
}
