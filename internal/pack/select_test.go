package pack

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
)

// project is a function directory with the litter real ones carry.
var project = tree{
	"index.js":                         "exports.main = async () => 1\n",
	"package.json":                     `{"name":"login"}`,
	"config.json":                      `{"permissions":{}}`,
	"README.md":                        "# login\n",
	"CHANGELOG.md":                     "# changes\n",
	"a.b":                              "sorts before a/",
	"a/x.js":                           "x",
	"a0":                               "sorts after a/",
	"lib/util.js":                      "u",
	"lib/util.js.map":                  "{}",
	"lib/.DS_Store":                    "\x00\x00\x00\x01Bud1",
	".DS_Store":                        "\x00\x00\x00\x01Bud1",
	".git/HEAD":                        "ref: refs/heads/main\n",
	".git/objects/ab/cdef":             "blob",
	"__MACOSX/._index.js":              "apple double",
	"lib/__MACOSX/._util.js":           "apple double",
	"node_modules/lodash/add.js":       "module.exports = add",
	"node_modules/lodash/package.json": `{"name":"lodash"}`,
	"node_modules/dayjs/index.js":      "dayjs",
	"node_modules/.bin/x":              "->../dayjs/index.js",
	"test/fixtures/keep.json":          "{}",
	"test/unit.test.js":                "test",
	"empty/":                           "",
	"lib/node_modules/vendored.js":     "nested node_modules are the user's own",
}

func TestSelect(t *testing.T) {
	t.Parallel()
	root := makeTree(t, project)
	base := []string{"CHANGELOG.md", "README.md", "a.b", "a/x.js", "a0", "config.json", "index.js",
		"lib/node_modules/vendored.js", "lib/util.js", "lib/util.js.map", "package.json",
		"test/fixtures/keep.json", "test/unit.test.js"}
	tests := []struct {
		name  string
		lines []string
		want  []string
	}{
		{name: "default excludes", lines: nil, want: base},
		{name: "comments and blanks only mean all", lines: []string{"# nothing", ""}, want: base},
		{name: "re-include node_modules", lines: []string{"**", "node_modules/**"},
			want: sorted(append(clone(base), "node_modules/.bin/x", "node_modules/dayjs/index.js",
				"node_modules/lodash/add.js", "node_modules/lodash/package.json"))},
		{name: "re-include one package", lines: []string{"**", "node_modules/lodash/**"},
			want: sorted(append(clone(base), "node_modules/lodash/add.js", "node_modules/lodash/package.json"))},
		{name: "bang excludes", lines: []string{"**", "!test/**", "!**/*.map"},
			want: without(base, "test/fixtures/keep.json", "test/unit.test.js", "lib/util.js.map")},
		{name: "last match wins", lines: []string{"**", "!*.md", "README.md"}, want: without(base, "CHANGELOG.md")},
		{name: "earlier include loses", lines: []string{"README.md", "**", "!*.md"}, want: without(base, "CHANGELOG.md", "README.md")},
		{name: "re-include inside excluded dir", lines: []string{"**", "!test/**", "test/fixtures/**"}, want: without(base, "test/unit.test.js")},
		{name: "subset", lines: []string{"index.js", "package.json", "lib/*.js"}, want: []string{"index.js", "lib/util.js", "package.json"}},
		{name: "braces", lines: []string{"{a,lib}/*.js"}, want: []string{"a/x.js", "lib/util.js"}},
		{name: "dot slash", lines: []string{"./index.js"}, want: []string{"index.js"}},
		{name: "spelled litter comes back", lines: []string{"index.js", ".git/HEAD", "lib/.DS_Store"}, want: []string{".git/HEAD", "index.js", "lib/.DS_Store"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Select(root, parse(t, tt.lines))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Select(%q)\n got %q\nwant %q", tt.lines, got, tt.want)
			}
			if !reflect.DeepEqual(got, bruteForce(t, root, tt.lines)) {
				t.Fatalf("pruned walk and brute force disagree: %q vs %q", got, bruteForce(t, root, tt.lines))
			}
		})
	}
}

func clone(s []string) []string { return append([]string(nil), s...) }

func sorted(s []string) []string { sort.Strings(s); return s }

func without(s []string, drop ...string) []string {
	var out []string
	for _, x := range s {
		if !contains(drop, x) {
			out = append(out, x)
		}
	}
	return out
}

func contains(s []string, x string) bool {
	for _, y := range s {
		if y == x {
			return true
		}
	}
	return false
}

// bruteForce applies the rules to every file under root, pruning nothing:
// the reference the pruned walk must agree with.
func bruteForce(tb testing.TB, root string, lines []string) []string {
	tb.Helper()
	return bruteForceRules(tb, root, parse(tb, lines))
}

func bruteForceRules(tb testing.TB, root string, files globs.List) []string {
	tb.Helper()
	rules, err := rulesFor(files)
	if err != nil {
		tb.Fatal(err)
	}
	m := newMatcher(rules)
	var out []string
	err = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if m.included(rel) {
			out = append(out, rel)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func TestSelectErrors(t *testing.T) {
	t.Parallel()
	root := makeTree(t, tree{"index.js": "x", "node_modules/a.js": "a"})
	file := filepath.Join(root, "index.js")
	tests := []struct {
		name  string
		root  string
		files globs.List
		want  string
	}{
		{"no match", root, globs.List{{Pattern: "src/**"}}, `files: no file matched ["src/**"] under "` + root + `" (check path and files)`},
		{"only default-excluded files", root, globs.List{{Pattern: "**/a.js"}}, `no file matched ["**/a.js"]`},
		{"excludes written back as lines", root, globs.List{{Pattern: "src/**"}, {Pattern: "!x", Exclude: true}}, `no file matched ["src/**" "!./!x"]`},
		{"missing root", filepath.Join(root, "nope"), nil, `path: "` + filepath.Join(root, "nope") + `" does not exist`},
		{"root is a file", file, nil, "is a file, not a directory"},
		{"bad pattern", root, globs.List{{Pattern: "[", Line: 1}}, `files: line 1 "[": invalid glob`},
		{"every bad pattern", root, globs.List{{Pattern: "[", Line: 1}, {Pattern: "../x", Line: 3}},
			`files: line 1 "[": invalid glob (doublestar syntax: *, **, ?, [abc], {a,b}; escape a literal with \); files: line 3 "../x": patterns cannot leave`},
		{"list not from globs.Parse", root, globs.List{{Pattern: "./src/**"}}, `files: "./src/**": pattern not in parsed form`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Select(tt.root, tt.files)
			var se *SelectError
			if !errors.As(err, &se) {
				t.Fatalf("err = %v (%T), want *SelectError", err, err)
			}
			if se.Root != tt.root {
				t.Errorf("Root = %q, want %q", se.Root, tt.root)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestSelectSymlinks(t *testing.T) {
	t.Parallel()
	if runtime.GOOS == "windows" {
		t.Skip("symlinks need privileges on Windows")
	}
	outside := makeTree(t, tree{"secret.txt": "outside", "dir/f.txt": "outside"})
	tests := []struct {
		name    string
		tree    tree
		lines   []string
		want    []string
		wantErr string
	}{
		{name: "file link inside is followed", tree: tree{"index.js": "x", "shared/cfg.json": "{}", "cfg.json": "->shared/cfg.json"},
			want: []string{"cfg.json", "index.js", "shared/cfg.json"}},
		{name: "dir link inside is followed", tree: tree{"index.js": "x", "src/a.js": "a", "lib": "->src"},
			want: []string{"index.js", "lib/a.js", "src/a.js"}},
		{name: "link sorts by its own name", tree: tree{"index.js": "x", "z/a.js": "a", "a": "->z"},
			want: []string{"a/a.js", "index.js", "z/a.js"}},
		{name: "escaping file link refused", tree: tree{"index.js": "x", "secret.txt": "->" + filepath.Join(outside, "secret.txt")},
			wantErr: `symlink "secret.txt" under`},
		{name: "escaping dir link refused", tree: tree{"index.js": "x", "vendor": "->" + filepath.Join(outside, "dir")},
			wantErr: `points to "` + filepath.Join(realPath(t, outside), "dir") + `", outside path`},
		{name: "relative escape refused", tree: tree{"index.js": "x", "up": "->.."},
			wantErr: "outside path"},
		{name: "escaping link excluded by files is fine", tree: tree{"index.js": "x", "secret.txt": "->" + filepath.Join(outside, "secret.txt")},
			lines: []string{"**", "!secret.txt"}, want: []string{"index.js"}},
		{name: "escaping link under pruned dir is fine", tree: tree{"index.js": "x", "node_modules/x": "->" + filepath.Join(outside, "secret.txt")},
			want: []string{"index.js"}},
		{name: "dangling link refused", tree: tree{"index.js": "x", "gone.js": "->nowhere.js"},
			wantErr: `points to "nowhere.js", which does not exist`},
		{name: "loop refused", tree: tree{"index.js": "x", "a/self": "->.."},
			wantErr: "would loop forever"},
		{name: "link to root refused as loop", tree: tree{"index.js": "x", "again": "->."},
			wantErr: "would loop forever"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := makeTree(t, tt.tree)
			got, err := Select(root, parse(t, tt.lines))
			if tt.wantErr != "" {
				var se *SelectError
				if !errors.As(err, &se) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want *SelectError containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func realPath(tb testing.TB, p string) string {
	tb.Helper()
	r, err := filepath.EvalSymlinks(p)
	if err != nil {
		tb.Fatal(err)
	}
	return r
}
