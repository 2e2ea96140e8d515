package globs

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		in      string
		want    List
		wantErr []LineError // every bad line, in order; nil => no error
	}{
		{name: "empty", in: "", want: nil},
		{name: "only blank and comments", in: "\n  \n# all\n\t\n", want: nil},
		{name: "comment that looks like a bad glob", in: "# [old\n**", want: List{{Pattern: "**", Line: 2}}},
		{name: "indented comment", in: "  # [old\n**", want: List{{Pattern: "**", Line: 2}}},
		{name: "one include", in: "src/**", want: List{{Pattern: "src/**", Line: 1}}},
		{name: "exclude", in: "**\n!test/**", want: List{{Pattern: "**", Line: 1}, {Pattern: "test/**", Exclude: true, Line: 2}}},
		{name: "crlf", in: "index.js\r\n!*.md\r\n", want: List{{Pattern: "index.js", Line: 1}, {Pattern: "*.md", Exclude: true, Line: 2}}},
		{name: "spaces trimmed", in: "  src/**  \n ! lib/*.map ", want: List{{Pattern: "src/**", Line: 1}, {Pattern: "lib/*.map", Exclude: true, Line: 2}}},
		{name: "dot slash dropped", in: "./src/**\n!./src/test/**", want: List{{Pattern: "src/**", Line: 1}, {Pattern: "src/test/**", Exclude: true, Line: 2}}},
		{name: "leading slash dropped", in: "/config.json", want: List{{Pattern: "config.json", Line: 1}}},
		{name: "repeated prefixes with spaces", in: "./ ./ /a", want: List{{Pattern: "a", Line: 1}}},
		{name: "comment after pattern lines", in: "a\n# b\nc", want: List{{Pattern: "a", Line: 1}, {Pattern: "c", Line: 3}}},
		{name: "braces and classes", in: "{src,lib}/**/*.[jt]s", want: List{{Pattern: "{src,lib}/**/*.[jt]s", Line: 1}}},
		{name: "hash inside pattern is literal", in: "a#b", want: List{{Pattern: "a#b", Line: 1}}},
		{name: "dot slash names a file starting with bang", in: "./!important.txt\n!./#notes",
			want: List{{Pattern: "!important.txt", Line: 1}, {Pattern: "#notes", Exclude: true, Line: 2}}},
		{name: "lone CR ends a line", in: "a\rb", want: List{{Pattern: "a", Line: 1}, {Pattern: "b", Line: 2}}},
		{name: "invalid class", in: "ok\nsrc/[", wantErr: []LineError{{Line: 2, Text: "src/[", Msg: msgInvalid}}},
		{name: "unclosed brace", in: "{a,b", wantErr: []LineError{{Line: 1, Text: "{a,b", Msg: msgInvalid}}},
		{name: "bang alone", in: "!", wantErr: []LineError{{Line: 1, Text: "!", Msg: msgEmpty}}},
		{name: "dot alone", in: "./", wantErr: []LineError{{Line: 1, Text: "./", Msg: msgEmpty}}},
		{name: "parent dir", in: "../shared/**", wantErr: []LineError{{Line: 1, Text: "../shared/**", Msg: msgParent}}},
		{name: "parent dir inside", in: "a/../../b", wantErr: []LineError{{Line: 1, Text: "a/../../b", Msg: msgParent}}},
		{name: "parent dir at the end", in: "a/..", wantErr: []LineError{{Line: 1, Text: "a/..", Msg: msgParent}}},
		{name: "two dots in a name are fine", in: "a..b/..c", want: List{{Pattern: "a..b/..c", Line: 1}}},
		{name: "every bad line reported", in: "ok\n[\n\n  !../x  \r\n!\nfine",
			wantErr: []LineError{{Line: 2, Text: "[", Msg: msgInvalid}, {Line: 4, Text: "!../x", Msg: msgParent}, {Line: 5, Text: "!", Msg: msgEmpty}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got, err := Parse(tt.in)
			if tt.wantErr != nil {
				if got != nil {
					t.Errorf("rules %+v returned with an error", got)
				}
				lineErrs := lineErrors(t, err)
				if len(lineErrs) != len(tt.wantErr) {
					t.Fatalf("err = %v, want %d line errors", err, len(tt.wantErr))
				}
				for i, le := range lineErrs {
					if *le != tt.wantErr[i] {
						t.Errorf("error %d = %+v, want %+v", i, *le, tt.wantErr[i])
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

// lineErrors unpacks Parse's error: one *LineError, or a join of several.
func lineErrors(t *testing.T, err error) []*LineError {
	t.Helper()
	if err == nil {
		t.Fatal("no error")
	}
	if le, ok := err.(*LineError); ok {
		return []*LineError{le}
	}
	joined, ok := err.(interface{ Unwrap() []error })
	if !ok {
		t.Fatalf("err = %v (%T), want a *LineError or a join of them", err, err)
	}
	var out []*LineError
	for _, e := range joined.Unwrap() {
		le, ok := e.(*LineError)
		if !ok {
			t.Fatalf("joined error %v (%T) is not a *LineError", e, e)
		}
		out = append(out, le)
	}
	if len(out) < 2 {
		t.Fatalf("a join of %d errors: one bad line must be a bare *LineError", len(out))
	}
	return out
}

func TestLineErrorMessage(t *testing.T) {
	t.Parallel()
	_, err := Parse("ok\nsrc/[")
	want := `line 2 "src/[": invalid glob (doublestar syntax: *, **, ?, [abc], {a,b}; escape a literal with \)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	var le *LineError
	if !errors.As(err, &le) {
		t.Fatal("errors.As *LineError failed")
	}
	_, err = Parse("[\n!")
	if err == nil || !strings.Contains(err.Error(), `line 1 "["`) || !strings.Contains(err.Error(), `line 2 "!"`) {
		t.Fatalf("joined err = %v, want both lines named", err)
	}
}

func TestValidate(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		list    List
		wantErr []string // substrings, one per bad rule
	}{
		{name: "nil", list: nil},
		{name: "parsed form", list: List{{Pattern: "src/**"}, {Pattern: "!x", Exclude: true}}},
		{name: "invalid", list: List{{Pattern: "src/[", Line: 3}}, wantErr: []string{`line 3 "src/[": invalid glob`}},
		{name: "empty", list: List{{Pattern: ""}}, wantErr: []string{`"": empty pattern`}},
		{name: "parent", list: List{{Pattern: "../x", Exclude: true}}, wantErr: []string{`"!../x": patterns cannot leave`}},
		{name: "leading slash", list: List{{Pattern: "/a"}}, wantErr: []string{`"/a": pattern not in parsed form`}},
		{name: "dot slash", list: List{{Pattern: "./a"}}, wantErr: []string{"not in parsed form"}},
		{name: "spaces", list: List{{Pattern: " a"}}, wantErr: []string{"not in parsed form"}},
		{name: "line break", list: List{{Pattern: "a\nb"}}, wantErr: []string{"not in parsed form"}},
		{name: "several", list: List{{Pattern: "["}, {Pattern: "ok"}, {Pattern: ".."}}, wantErr: []string{`"[": invalid`, `"..": patterns cannot leave`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			err := tt.list.Validate()
			if len(tt.wantErr) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			lineErrs := lineErrorsOrOne(t, err)
			if len(lineErrs) != len(tt.wantErr) {
				t.Fatalf("err = %v, want %d errors", err, len(tt.wantErr))
			}
			for i, w := range tt.wantErr {
				if !strings.Contains(lineErrs[i].Error(), w) {
					t.Errorf("error %q, want it to contain %q", lineErrs[i], w)
				}
			}
		})
	}
}

func lineErrorsOrOne(t *testing.T, err error) []*LineError {
	t.Helper()
	if le, ok := err.(*LineError); ok {
		return []*LineError{le}
	}
	return lineErrors(t, err)
}

func TestRuleString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		rule Rule
		want string
	}{
		{Rule{Pattern: "src/**"}, "src/**"},
		{Rule{Pattern: "src/**", Exclude: true}, "!src/**"},
		{Rule{Pattern: "!important"}, "./!important"},
		{Rule{Pattern: "#notes", Exclude: true}, "!./#notes"},
	}
	for _, tt := range tests {
		if got := tt.rule.String(); got != tt.want {
			t.Errorf("%+v.String() = %q, want %q", tt.rule, got, tt.want)
		}
		back, err := Parse(tt.want)
		if err != nil || len(back) != 1 || back[0].Pattern != tt.rule.Pattern || back[0].Exclude != tt.rule.Exclude {
			t.Errorf("Parse(%q) = %+v, %v; want %+v back", tt.want, back, err, tt.rule)
		}
	}
	if got := (List{{Pattern: "a"}, {Pattern: "b", Exclude: true}}).Strings(); !reflect.DeepEqual(got, []string{"a", "!b"}) {
		t.Errorf("Strings() = %q", got)
	}
}

func TestMatch(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		list        string
		path        string
		wantMatched bool
		wantExclude bool
	}{
		{"no rules", "", "a", false, false},
		{"include", "cloudfunctions/*", "cloudfunctions/login", true, false},
		{"no match", "cloudfunctions/*", "other/login", false, false},
		{"star stays in its segment", "cloudfunctions/*", "cloudfunctions/a/b", false, false},
		{"exclude after include wins", "cloudfunctions/*\n!cloudfunctions/old", "cloudfunctions/old", true, true},
		{"include after exclude wins", "!**/*.md\nREADME.md", "README.md", true, false},
		{"exclude only", "!a", "a", true, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			list, err := Parse(tt.list)
			if err != nil {
				t.Fatal(err)
			}
			matched, exclude := list.Match(tt.path)
			if matched != tt.wantMatched || exclude != tt.wantExclude {
				t.Fatalf("Match(%q) with %q = %v, %v; want %v, %v", tt.path, tt.list, matched, exclude, tt.wantMatched, tt.wantExclude)
			}
		})
	}
}
