package report

import (
	"fmt"
	"html"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/size"
)

// actionOrder fixes the order of the counts line so that "3 created,
// 1 failed" reads the same in every run; actions not listed here (added
// later) follow in alphabetical order.
var actionOrder = []result.Action{
	result.Created, result.Updated, result.Unchanged, result.Planned,
	result.Invoked, result.Downloaded, result.Packed,
	result.RolledBack, result.Failed,
}

// collapseAbove is the number of successful pairs up to which each gets its
// own row; above it they are shown as one row per function and outcome
// (platforms deploy one function to thousands of envs).
const collapseAbove = 50

// logTailLines is how much of a function's log a failed smoke test shows:
// the error is nearly always in the last lines.
const logTailLines = 20

// Counts renders how many pairs ended in each action: "3 created, 1 failed".
// It is the last line of Table and part of the summary and comment headings.
func Counts(run *result.Run) string {
	if len(run.Results) == 0 {
		return "no function/env pairs"
	}
	n := countActions(run.Results)
	var parts []string
	for _, a := range sortedActions(n) {
		parts = append(parts, number(n[a])+" "+string(a))
	}
	return strings.Join(parts, ", ")
}

func countActions(results []result.Result) map[result.Action]int {
	n := map[result.Action]int{}
	for _, r := range results {
		n[r.Action]++
	}
	return n
}

// sortedActions lists the actions present in n in actionOrder, then the
// unknown ones alphabetically.
func sortedActions(n map[result.Action]int) []result.Action {
	var out []result.Action
	known := map[result.Action]bool{}
	for _, a := range actionOrder {
		known[a] = true
		if n[a] > 0 {
			out = append(out, a)
		}
	}
	var rest []string
	for a := range n {
		if !known[a] && n[a] > 0 {
			rest = append(rest, string(a))
		}
	}
	sort.Strings(rest)
	for _, a := range rest {
		out = append(out, result.Action(a))
	}
	return out
}

// number writes n with thousands separators: "1,998".
func number(n int) string {
	s := strconv.Itoa(n)
	if n < 0 {
		return "-" + number(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func countFailed(results []result.Result) int {
	n := 0
	for _, r := range results {
		if !r.Action.OK() {
			n++
		}
	}
	return n
}

// shortSHA keeps 12 hex digits: enough to recognise a zip, short enough for a table.
func shortSHA(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// sizeOf prefers the pair's own size and falls back to the package's.
func sizeOf(run *result.Run, r result.Result) int64 {
	if r.Size > 0 {
		return r.Size
	}
	return run.Packages[r.Function].Size
}

// sizeCell is size.Format, the project's one formatter, with nothing for
// an unknown size.
func sizeCell(n int64) string {
	if n <= 0 {
		return ""
	}
	return size.Format(n)
}

func humanMS(ms int64) string {
	switch {
	case ms <= 0:
		return ""
	case ms < 1000:
		return fmt.Sprintf("%d ms", ms)
	case ms < 60_000:
		return fmt.Sprintf("%.1f s", float64(ms)/1000)
	default:
		return fmt.Sprintf("%dm%02ds", ms/60_000, ms/1000%60)
	}
}

// codeOf names the vendor's code: "errcode 85088", "ResourceNotFound.Namespace"
// (tencentcloud names its codes), or both.
func codeOf(r result.Result) string {
	switch {
	case r.Errcode != 0 && r.Code != "":
		return fmt.Sprintf("errcode %d (%s)", r.Errcode, r.Code)
	case r.Errcode != 0:
		return fmt.Sprintf("errcode %d", r.Errcode)
	}
	return r.Code
}

// failureText is what went wrong with a failed pair, in the order a reader
// needs it: the vendor code and error, then the smoke test's, then the
// detail (what was done about it).
func failureText(r result.Result) string {
	var parts []string
	if r.Error != "" {
		parts = append(parts, r.Error)
	}
	if r.Invoke != nil && !r.Invoke.OK {
		if r.Invoke.Error != "" && r.Invoke.Error != r.Error {
			parts = append(parts, "smoke test: "+r.Invoke.Error)
		} else if r.Error == "" {
			parts = append(parts, "smoke test failed")
		}
	}
	if r.Detail != "" {
		parts = append(parts, r.Detail)
	}
	if len(parts) == 0 {
		parts = append(parts, string(r.Action))
	}
	msg := strings.Join(parts, "\n")
	if c := codeOf(r); c != "" {
		msg = c + ": " + msg
	}
	return msg
}

// smokeResponse and smokeLog are what a failed smoke test brought back.
func smokeResponse(r result.Result) string {
	if r.Invoke == nil || r.Invoke.OK {
		return ""
	}
	return r.Invoke.RespData
}

func smokeLog(r result.Result) string {
	if r.Invoke == nil || r.Invoke.OK {
		return ""
	}
	return lastLines(r.Invoke.Log, logTailLines)
}

// lastLines returns the last n lines of s, trailing line breaks dropped.
func lastLines(s string, n int) string {
	s = strings.TrimRight(s, "\r\n")
	if s == "" {
		return ""
	}
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// actionDetail is the few words saying why a successful pair ended as it
// did ("checksum matches", "update" for a plan). A failed pair's detail is
// shown with its error instead.
func actionDetail(r result.Result) string {
	if !r.Action.OK() || r.Detail == "" {
		return ""
	}
	return strings.TrimPrefix(r.Detail, string(r.Action)+": ")
}

// oneLine folds whitespace runs (newlines and tabs included) into one space,
// so that a multi-line vendor message cannot break a table row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncate cuts s to at most max bytes on a rune boundary, ending in "…"
// when it cut. Bytes, not runes, because GitHub's comment limit is checked
// here in bytes (a safe over-estimate of its character count). Strings
// reach report redacted (output.Redacted), so a cut cannot expose part of a
// secret.
func truncate(s string, max int) string {
	if len(s) <= max {
		return s
	}
	const ell = "…"
	cut := max - len(ell)
	if cut < 0 {
		cut = 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + ell
}

// mdText makes untrusted text (vendor messages, function output) safe inside
// markdown: no raw HTML (a stray "<!--" would hide the rest of a comment), no
// table breaks, no emphasis or code surprises.
func mdText(s string) string {
	return mdEscaper.Replace(oneLine(s))
}

var mdEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	`|`, `\|`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
	`\`, `\\`, `#`, `\#`, `~`, `\~`,
)

// htmlText is for text inside HTML tags such as <summary>, where markdown is
// not interpreted but raw HTML would be.
func htmlText(s string) string {
	return html.EscapeString(oneLine(s))
}

// fence returns a code fence longer than any backtick run in s, so that
// function output holding ``` cannot end the block early.
func fence(s string) string {
	longest, run := 0, 0
	for _, c := range s {
		if c == '`' {
			run++
			longest = max(longest, run)
		} else {
			run = 0
		}
	}
	if longest < 3 {
		return "```"
	}
	return strings.Repeat("`", longest+1)
}

// codeBlock fences s (cut to max bytes) as plain text.
func codeBlock(s string, max int) string {
	s = truncate(strings.TrimRight(s, "\n"), max)
	f := fence(s)
	return f + "text\n" + s + "\n" + f + "\n"
}
