package report

import (
	"strings"
	"text/tabwriter"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// plainSmokeCap keeps a failed smoke test's reason from stretching every
// line of the terminal table.
const plainSmokeCap = 40

// Table renders the CLI's plain-text table (printed on stderr): one line per
// pair in run order, columns aligned, then the counts line, e.g.
// "3 created, 1 failed".
func Table(run *result.Run) string {
	var b strings.Builder
	if len(run.Results) > 0 {
		// tabwriter needs tabs only between cells: oneLine removes any inside.
		tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		tw.Write([]byte("FUNCTION\tENV\tACTION\tSHA256\tSIZE\tSMOKE\tTIME\n"))
		for _, r := range run.Results {
			cells := []string{
				r.Function, r.Env, plainAction(r), shortSHA(r.SHA256),
				humanSize(sizeOf(run, r)), plainSmoke(r.Invoke), humanMS(r.MS),
			}
			for i, c := range cells {
				c = oneLine(c)
				if c == "" {
					c = "-"
				}
				cells[i] = c
			}
			tw.Write([]byte(strings.Join(cells, "\t") + "\n"))
		}
		// Writes to a strings.Builder cannot fail.
		_ = tw.Flush()
	}
	b.WriteString(Counts(run))
	if run.Interrupted {
		b.WriteString(" (interrupted)")
	}
	b.WriteString("\n")
	return b.String()
}

func plainSmoke(inv *result.Invoke) string {
	switch {
	case inv == nil:
		return ""
	case inv.OK:
		return "ok " + humanMS(inv.MS)
	default:
		return "FAILED: " + truncate(oneLine(smokeReason(inv)), plainSmokeCap)
	}
}

func plainAction(r result.Result) string {
	if d := actionDetail(r); d != "" {
		return string(r.Action) + " (" + truncate(oneLine(d), detailCellCap) + ")"
	}
	return string(r.Action)
}
