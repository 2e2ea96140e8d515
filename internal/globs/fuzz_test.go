package globs

import (
	"errors"
	"strings"
	"testing"
)

// FuzzGlobLines: parsing never panics; an error names real lines of the
// input; accepted rules are valid, point at the line they came from and
// survive a round trip through String; matching never panics.
func FuzzGlobLines(f *testing.F) {
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
		"# [old\n./!a\n!./#b",
	} {
		f.Add(s)
	}
	paths := []string{"index.js", "node_modules/a/b.js", "a/__MACOSX/x", ".git/HEAD", "a/.DS_Store", "\x00", "a//b", ""}
	f.Fuzz(func(t *testing.T, s string) {
		lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n"), "\n")
		list, err := Parse(s)
		if err != nil {
			checkErrors(t, err, lines)
			return
		}
		if err := list.Validate(); err != nil {
			t.Fatalf("Parse accepted what Validate refuses: %v", err)
		}
		written := make([]string, len(list))
		for i, r := range list {
			if r.Line < 1 || r.Line > len(lines) || (i > 0 && r.Line <= list[i-1].Line) {
				t.Fatalf("rule %+v: line out of order or range", r)
			}
			if one, err := Parse(lines[r.Line-1]); err != nil || len(one) != 1 || one[0].Pattern != r.Pattern || one[0].Exclude != r.Exclude {
				t.Fatalf("rule %+v does not come from its line %q", r, lines[r.Line-1])
			}
			written[i] = r.String()
		}
		again, err := Parse(strings.Join(written, "\n"))
		if err != nil || len(again) != len(list) {
			t.Fatalf("round trip: %+v => %q => %+v, %v", list, written, again, err)
		}
		for i := range again {
			if again[i].Pattern != list[i].Pattern || again[i].Exclude != list[i].Exclude || again[i].Line != i+1 {
				t.Fatalf("round trip: %+v => %q => %+v", list, written, again)
			}
		}
		for _, p := range paths {
			list.Match(p)
		}
	})
}

func checkErrors(t *testing.T, err error, lines []string) {
	t.Helper()
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	for _, e := range errs {
		var le *LineError
		if !errors.As(e, &le) {
			t.Fatalf("error %v (%T) is not a *LineError", e, e)
		}
		if le.Line < 1 || le.Line > len(lines) || strings.TrimSpace(lines[le.Line-1]) != le.Text || le.Msg == "" {
			t.Fatalf("error %+v does not name its line", le)
		}
	}
}
