package pack

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

var fuzzSeeds = []string{
	"",
	"**",
	"**\n!node_modules/**\n# comment\r\nsrc/*.js",
	"**\nnode_modules/**\n!**/*.md",
	"{a,b}/**/[!x]?.js\n!./lib/**",
	"**/node_modules/lodash/**\n!*",
	"*/*\n**/.DS_Store\n.git/HEAD",
	"[\n!",
	"\\*\n a/b \n!../x",
}

// FuzzGlobLines: parsing never panics, accepted rules are valid and survive
// a round trip, and matching them never panics.
func FuzzGlobLines(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	paths := []string{"index.js", "node_modules/a/b.js", "a/__MACOSX/x", ".git/HEAD", "a/.DS_Store", "\x00", "a//b", ""}
	f.Fuzz(func(t *testing.T, s string) {
		rules, err := ParseGlobLines(s)
		if err != nil {
			var se *SelectError
			if !errors.As(err, &se) || !strings.HasPrefix(se.Msg, "files: line ") {
				t.Fatalf("error %v (%T) is not a *SelectError naming the line", err, err)
			}
			return
		}
		var lines []string
		for _, r := range rules {
			if r.Pattern == "" || strings.ContainsAny(r.Pattern, "\r\n") {
				t.Fatalf("bad rule %+v", r)
			}
			line := r.Pattern
			if strings.HasPrefix(line, "!") || strings.HasPrefix(line, "#") {
				line = "./" + line // the documented way to name such a file
			}
			if r.Exclude {
				line = "!" + line
			}
			lines = append(lines, line)
		}
		again, err := ParseGlobLines(strings.Join(lines, "\n"))
		if err != nil || !reflect.DeepEqual(again, rules) {
			t.Fatalf("round trip: %+v => %q => %+v, %v", rules, lines, again, err)
		}
		all, err := rulesFor(lines)
		if err != nil {
			t.Fatal(err)
		}
		m := newMatcher(all)
		for _, p := range paths {
			m.included(p)
			m.prunable(p)
		}
	})
}

// FuzzSelect: for any rules, the pruned walk selects exactly what applying the
// rules to every file selects.
func FuzzSelect(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	root := makeTree(f, project)
	f.Fuzz(func(t *testing.T, s string) {
		lines := strings.Split(s, "\n")
		got, err := Select(root, lines)
		if _, perr := ParseGlobLines(s); perr != nil {
			if err == nil {
				t.Fatalf("Select accepted %q that ParseGlobLines refuses", s)
			}
			return
		}
		want := bruteForce(t, root, lines)
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
