package pack

import (
	"errors"
	"reflect"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
)

// FuzzSelect: for any rules, the pruned walk selects exactly what applying
// the rules to every file selects, and matching never panics. (The parser's
// own fuzz target is globs.FuzzGlobLines.)
func FuzzSelect(f *testing.F) {
	for _, s := range []string{
		"",
		"**",
		"**\n!node_modules/**\n# comment\r\nsrc/*.js",
		"**\nnode_modules/**\n!**/*.md",
		"{a,b}/**/[!x]?.js\n!./lib/**",
		"**/node_modules/lodash/**\n!*",
		"*/*\n**/.DS_Store\n.git/HEAD",
		"[\n!",
		"\\*\n a/b \n!../x",
	} {
		f.Add(s)
	}
	root := makeTree(f, project)
	paths := []string{"index.js", "node_modules/a/b.js", "a/__MACOSX/x", ".git/HEAD", "a/.DS_Store", "\x00", "a//b", ""}
	f.Fuzz(func(t *testing.T, s string) {
		files, err := globs.Parse(s)
		if err != nil {
			return // globs.FuzzGlobLines covers refused lists
		}
		all, err := rulesFor(files)
		if err != nil {
			t.Fatalf("rulesFor refused what globs.Parse accepted: %v", err)
		}
		m := newMatcher(all)
		for _, p := range paths {
			m.included(p)
			m.prunable(p)
		}
		got, err := Select(root, files)
		want := bruteForceRules(t, root, files)
		if err != nil {
			var se *SelectError
			if len(want) != 0 || !errors.As(err, &se) {
				t.Fatalf("Select(%q) = %v; brute force found %q", s, err, want)
			}
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Select(%q)\n got %q\nwant %q", s, got, want)
		}
	})
}
