package output

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestNeutralLine(t *testing.T) {
	t.Parallel()
	tests := []struct{ name, in, want string }{
		{"plain text is kept", "login@dev-1: updated", "login@dev-1: updated"},
		{"tab is kept", "a\tb", "a\tb"},
		{"LF shown, so the command is mid-line", "nope\n::set-output name=status::success", `nope\n::set-output name=status::success`},
		{"CR shown", "a\rb", `a\rb`},
		{"CRLF shown", "a\r\nb", `a\r\nb`},
		{"ANSI escape shown", "\x1b[31mred\x1b[0m", `\x1b[31mred\x1b[0m`},
		{"DEL and NUL shown", "a\x7fb\x00", `a\x7fb\x00`},
		{"C1 CSI shown", "a\u009b31m", `a\u009b31m`},
		{"line separators shown", "a\u2028b\u2029c\u0085", `a\u2028b\u2029c\u0085`},
		{"bidi override shown", "abc\u202edcba", `abc\u202edcba`},
		{"invalid UTF-8 shown as bytes", "a\xffb", `a\xffb`},
		{"a real U+FFFD is kept", "a\uFFFDb", "a\uFFFDb"},
		{"leading command defused", "::warning::INJECTED", `\::warning::INJECTED`},
		{"after spaces and tabs", " \t ::error::x", " \t \\::error::x"},
		{"after a no-break space", "\u00a0::error::x", "\u00a0\\::error::x"},
		{"after a zero-width space", "\u200b::error::x", "\u200b\\::error::x"},
		{"a command after an escaped newline is inert already", "\n::error::x", `\n::error::x`},
		{"legacy command anywhere", "ok ##[set-output name=status;]success", `ok #\#[set-output name=status;]success`},
		{"legacy command after more hashes", "###[x]", `##\#[x]`},
		{"a colon pair mid-line is fine", "time: 12::30", "time: 12::30"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := neutralLine(tt.in)
			if got != tt.want {
				t.Errorf("neutralLine(%q) = %q, want %q", tt.in, got, tt.want)
			}
			if cmds := runnerCommands(got); len(cmds) != 0 {
				t.Errorf("the runner would run %v", cmds)
			}
			if strings.ContainsAny(got, "\r\n") {
				t.Errorf("%q is more than one line", got)
			}
		})
	}
}

func FuzzNeutralLine(f *testing.F) {
	for _, s := range []string{"::warning::x", "a\n::error::b", " ##[set-output name=a;]b", "\u00a0::x::y", "\x1b[2J", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := neutralLine(s)
		if cmds := runnerCommands(got); len(cmds) != 0 {
			t.Fatalf("neutralLine(%q) = %q: the runner would run %v", s, got, cmds)
		}
		if strings.ContainsAny(got, "\r\n\x1b") || !utf8.ValidString(got) {
			t.Fatalf("neutralLine(%q) = %q: not one clean line", s, got)
		}
	})
}

func TestCut(t *testing.T) {
	t.Parallel()
	if got := cut("short", 10); got != "short" {
		t.Errorf("cut kept %q", got)
	}
	long := strings.Repeat("é", 100) // 200 bytes
	got := cut(long, 50)
	if len(got) > 50 || !utf8.ValidString(got) || !strings.HasSuffix(got, " bytes cut)") {
		t.Errorf("cut(200 bytes, 50) = %q (%d bytes)", got, len(got))
	}
	text := strings.Repeat("a line of markdown\n", 1000)
	cl := cutLines(text, 1000, "_cut_")
	if len(cl) > 1000 || !strings.HasSuffix(cl, "\n_cut_\n") || strings.Contains(strings.TrimSuffix(cl, "_cut_\n"), "a line of m\n") {
		t.Errorf("cutLines did not cut at a line end within the limit: %d bytes, tail %q", len(cl), cl[max(0, len(cl)-40):])
	}
}
