package report

import (
	"fmt"
	"html"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// actionOrder fixes the order of the counts line so that "3 created,
// 1 failed" reads the same in every run; actions not listed here (added
// later) follow in alphabetical order.
var actionOrder = []result.Action{
	result.Created, result.Updated, result.Unchanged, result.Planned,
	result.Invoked, result.Downloaded, result.Packed,
	result.RolledBack, result.Failed,
}

// Counts renders how many pairs ended in each action: "3 created, 1 failed".
// It is the last line of Table and part of the summary and comment headings.
func Counts(run *result.Run) string {
	if len(run.Results) == 0 {
		return "no function/env pairs"
	}
	n := map[result.Action]int{}
	for _, r := range run.Results {
		n[r.Action]++
	}
	var parts []string
	for _, a := range actionOrder {
		if n[a] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n[a], a))
			delete(n, a)
		}
	}
	var rest []string
	for a := range n {
		rest = append(rest, string(a))
	}
	sort.Strings(rest)
	for _, a := range rest {
		parts = append(parts, fmt.Sprintf("%d %s", n[result.Action(a)], a))
	}
	return strings.Join(parts, ", ")
}

// failuresFirst returns the results with the failed pairs first, each group
// in run order: a reader (and a truncated PR comment) sees what broke first.
func failuresFirst(results []result.Result) []result.Result {
	out := make([]result.Result, 0, len(results))
	for _, r := range results {
		if !r.Action.OK() {
			out = append(out, r)
		}
	}
	for _, r := range results {
		if r.Action.OK() {
			out = append(out, r)
		}
	}
	return out
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

// humanSize uses binary units, like the size-limit input's default (20MiB).
func humanSize(n int64) string {
	const k = 1024
	switch {
	case n <= 0:
		return ""
	case n < k:
		return fmt.Sprintf("%d B", n)
	case n < k*k:
		return fmt.Sprintf("%.1f KiB", float64(n)/k)
	case n < k*k*k:
		return fmt.Sprintf("%.1f MiB", float64(n)/(k*k))
	default:
		return fmt.Sprintf("%.1f GiB", float64(n)/(k*k*k))
	}
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

// smokeReason says in a few words why a smoke test failed.
func smokeReason(inv *result.Invoke) string {
	if inv.Error != "" {
		return inv.Error
	}
	return "unexpected response"
}

// oneLine folds whitespace runs (newlines and tabs included) into one space,
// so that a multi-line vendor message cannot break a table row.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// truncate cuts s to at most max bytes on a rune boundary, ending in "…"
// when it cut. Bytes, not runes, because GitHub's comment limit is checked
// here in bytes (a safe over-estimate of its character count).
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
// table breaks, no emphasis surprises.
func mdText(s string) string {
	return mdEscaper.Replace(oneLine(s))
}

var mdEscaper = strings.NewReplacer(
	"&", "&amp;", "<", "&lt;", ">", "&gt;",
	`|`, `\|`, "`", "\\`", `*`, `\*`, `_`, `\_`, `[`, `\[`, `]`, `\]`,
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
			if run > longest {
				longest = run
			}
		} else {
			run = 0
		}
	}
	if longest < 3 {
		return "```"
	}
	return strings.Repeat("`", longest+1)
}
