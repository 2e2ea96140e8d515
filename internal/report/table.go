package report

import (
	"strings"
	"unicode/utf8"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// Table renders the CLI's plain-text report (stderr in a terminal, the step
// log in Actions): one aligned row per pair in run order (one per function
// and outcome above collapseAbove successful pairs), each row's detail and
// setting changes on their own indented lines so nothing is cut, then each
// failure once with its reason, response and log tail, then the counts line,
// e.g. "3 created, 1 failed". Warnings are the caller's to print (as
// annotations), so they are not told twice.
func Table(run *result.Run) string {
	var b strings.Builder
	if len(run.Results) > 0 {
		rows := tableRows(run)
		widths := make([]int, len(rows[0].cells))
		for _, r := range rows {
			for i, c := range r.cells {
				widths[i] = max(widths[i], utf8.RuneCountInString(c))
			}
		}
		for _, r := range rows {
			b.WriteString(alignRow(r.cells, widths))
			for _, d := range r.details {
				b.WriteString("  " + d + "\n")
			}
		}
		if countOK(run.Results) > collapseAbove {
			// Collapsed rows have no room for per-env changes: one line per
			// function and list of changes.
			for _, c := range changes(run.Results) {
				b.WriteString("config: " + c.fn + " in " + number(len(c.envs)) + " " + plural(len(c.envs), "env", "envs") +
					": " + oneLine(strings.Join(c.config, "; ")) + "\n")
			}
		}
	}
	if fs := failures(run.Results); len(fs) > 0 || len(run.Problems) > 0 {
		b.WriteString("\n")
		for _, p := range run.Problems {
			b.WriteString("problem: " + p + "\n")
		}
		for _, f := range fs {
			b.WriteString(plainFailure(f))
		}
	}
	b.WriteString(Counts(run))
	if run.Interrupted {
		b.WriteString(" (interrupted)")
	}
	b.WriteString("\n")
	return b.String()
}

type row struct {
	cells   []string
	details []string
}

func tableRows(run *result.Run) []row {
	rows := []row{{cells: []string{"FUNCTION", "ENV", "ACTION", "SHA256", "SIZE", "SMOKE", "TIME"}}}
	clean := func(cells []string) []string {
		for i, c := range cells {
			if c = oneLine(c); c == "" {
				c = "-"
			}
			cells[i] = c
		}
		return cells
	}
	if countOK(run.Results) > collapseAbove {
		for _, g := range successes(run.Results) {
			smoke := ""
			if g.smokeOK > 0 {
				smoke = number(g.smokeOK) + " ok"
			}
			r := row{cells: clean([]string{g.first.Function, number(len(g.envs)) + " envs", string(g.first.Action),
				shortSHA(g.first.SHA256), sizeCell(sizeOf(run, g.first)), smoke, ""})}
			if d := actionDetail(g.first); d != "" {
				r.details = append(r.details, oneLine(d))
			}
			rows = append(rows, r)
		}
		return rows
	}
	for _, res := range run.Results {
		if !res.Action.OK() && countFailed(run.Results) > collapseAbove {
			continue // listed below, grouped
		}
		r := row{cells: clean([]string{res.Function, res.Env, string(res.Action), shortSHA(res.SHA256),
			sizeCell(sizeOf(run, res)), plainSmoke(res.Invoke), humanMS(res.MS)})}
		if d := actionDetail(res); d != "" {
			r.details = append(r.details, oneLine(d))
		}
		if res.Action.OK() {
			for _, c := range res.Config {
				r.details = append(r.details, "config: "+oneLine(c))
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// alignRow pads each cell but the last to its column's width, two spaces
// apart, with no trailing blanks.
func alignRow(cells []string, widths []int) string {
	var b strings.Builder
	for i, c := range cells {
		b.WriteString(c)
		if i < len(cells)-1 {
			b.WriteString(strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c)+2))
		}
	}
	return b.String() + "\n"
}

// plainSmoke is the smoke test's cell; a failure's reason is told once,
// below the table.
func plainSmoke(inv *result.Invoke) string {
	switch {
	case inv == nil:
		return ""
	case inv.OK:
		return "ok " + humanMS(inv.MS)
	default:
		return "FAILED"
	}
}

// plainFailure tells one group of failures: who, the code and message, then
// the response and log tail, indented.
func plainFailure(f failure) string {
	var b strings.Builder
	name := oneLine(f.first.Function)
	switch {
	case f.many():
		name += " in " + number(len(f.envs)) + " envs"
	case f.first.Env != "":
		name += "@" + oneLine(f.first.Env)
	}
	lines := strings.Split(f.msg, "\n")
	b.WriteString(string(f.first.Action) + ": " + name + ": " + lines[0] + "\n")
	for _, l := range lines[1:] {
		b.WriteString("  " + l + "\n")
	}
	if f.many() {
		b.WriteString(wrapList("  envs: ", f.envs, 100))
	}
	block := func(title, text string) {
		if text == "" {
			return
		}
		b.WriteString("  " + title + ":\n")
		for _, l := range strings.Split(strings.TrimRight(text, "\n"), "\n") {
			b.WriteString("    " + l + "\n")
		}
	}
	block("response", truncate(f.resp, 4<<10))
	block("log (last lines)", f.log)
	for _, c := range f.config {
		b.WriteString("  config: " + oneLine(c) + "\n")
	}
	return b.String()
}

// wrapList writes items comma-separated on lines of about width
// characters, the first starting with prefix and the rest indented to match.
func wrapList(prefix string, items []string, width int) string {
	var b strings.Builder
	indent := strings.Repeat(" ", len(prefix))
	line := prefix
	for i, it := range items {
		sep := ""
		if i < len(items)-1 {
			sep = ","
		}
		if len(line) > len(prefix) && len(line)+1+len(it) > width {
			b.WriteString(strings.TrimRight(line, " ") + "\n")
			line = indent
		}
		line += it + sep + " "
	}
	b.WriteString(strings.TrimRight(line, " ") + "\n")
	return b.String()
}
