package yamlsubset

import (
	"encoding/json"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"testing"
)

func TestRead(t *testing.T) {
	for _, tc := range []struct {
		name, src string
		want      any
	}{
		{"mapping", "a: b\nc:\n  d: 'e''s'\n", map[string]any{"a": "b", "c": map[string]any{"d": "e's"}}},
		{"scalar list", "goos:\n  - linux\n  - \"windows\"\n", map[string]any{"goos": []any{"linux", "windows"}}},
		{"list at key indentation", "a:\n- x\n- y\nb: z\n", map[string]any{"a": []any{"x", "y"}, "b": "z"}},
		{"list of mappings", "s:\n  - id: a\n    run: x\n  - id: b\n", map[string]any{"s": []any{
			map[string]any{"id": "a", "run": "x"}, map[string]any{"id": "b"}}}},
		{"comments and blanks", "# c\n\na: https://x.y/z # not a comment? no: quoted below\n", nil},
		{"empty value", "a:\nb: c\n", map[string]any{"a": nil, "b": "c"}},
		{"colon without space is a scalar", "- https://x\n- -s -w\n", []any{"https://x", "-s -w"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Read(tc.src)
			if tc.want == nil {
				if err == nil {
					t.Errorf("Read(%q) = %v, want an error", tc.src, got)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Read(%q) = %#v, %v; want %#v", tc.src, got, err, tc.want)
			}
		})
	}
}

func TestReadRejects(t *testing.T) {
	for _, src := range []string{
		"a: [x, y]\n", "a: {x: y}\n", "run: |\n  echo\n", "a: b\na: c\n", "a: b\n\tc: d\n", "a: \"x\n", "a:b\n",
		"a: 'x\n", "a:\n  - x\n  y: z\n",
	} {
		if v, err := Read(src); err == nil {
			t.Errorf("Read(%q) = %#v, want an error", src, v)
		}
	}
}

// TestAgreesWithPyYAML reads the project's files with a real YAML parser,
// where one is installed, and with Read: a scalar that a file leaves plain
// must mean the same to both.
func TestAgreesWithPyYAML(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	if exec.Command(py, "-c", "import yaml").Run() != nil {
		t.Skip("PyYAML not installed (apt-get install python3-yaml)")
	}
	for _, file := range []string{"../../../action.yml", "../../../.goreleaser.yaml"} {
		t.Run(file, func(t *testing.T) {
			src, err := os.ReadFile(file)
			if os.IsNotExist(err) {
				t.Skip(err)
			}
			if err != nil {
				t.Fatal(err)
			}
			ours, err := Read(string(src))
			if err != nil {
				t.Fatalf("Read: %v", err)
			}
			// Read keeps every scalar a string; YAML's bools and numbers
			// (required: false, mode: 0o755) are spelled back before comparing.
			out, err := exec.Command(py, "-c", `import json, sys, yaml
def s(v):
    if isinstance(v, dict): return {str(k): s(x) for k, x in v.items()}
    if isinstance(v, list): return [s(x) for x in v]
    if isinstance(v, bool): return "true" if v else "false"
    if isinstance(v, (int, float)): return str(v)
    return v
print(json.dumps(s(yaml.safe_load(open(sys.argv[1])))))`, file).Output()
			if err != nil {
				t.Fatalf("PyYAML cannot read %s: %v", file, err)
			}
			var theirs any
			if err := json.Unmarshal(out, &theirs); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(theirs, ours) {
				a, _ := json.MarshalIndent(ours, "", " ")
				b, _ := json.MarshalIndent(theirs, "", " ")
				t.Errorf("Read and PyYAML disagree on %s:\n%s", file, firstDiff(string(a), string(b)))
			}
		})
	}
}

func firstDiff(a, b string) string {
	x, y := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range x {
		if i >= len(y) || x[i] != y[i] {
			other := ""
			if i < len(y) {
				other = y[i]
			}
			return "Read:   " + x[i] + "\nPyYAML: " + other
		}
	}
	return "PyYAML has more lines"
}
