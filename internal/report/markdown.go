package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// Meta is what the run itself does not know: where it ran.
type Meta struct {
	// Title heads the summary and the comment; "wxcloud-deploy" when empty.
	Title string
	// Workflow, Job and Repo come from GITHUB_WORKFLOW, GITHUB_JOB and
	// GITHUB_REPOSITORY; RunURL is
	// GITHUB_SERVER_URL/GITHUB_REPOSITORY/actions/runs/GITHUB_RUN_ID.
	Workflow, Job, RunURL, Repo string
	// Commit is the head SHA: the PR head for pull_request events, whose
	// GITHUB_SHA is a merge commit nobody pushed.
	Commit string
	Event  string
	DryRun bool
	// Now stamps the text; tests fix it.
	Now time.Time
}

func (m Meta) title() string {
	if m.Title == "" {
		return "wxcloud-deploy"
	}
	return m.Title
}

const (
	// commentLimit is GitHub's maximum issue comment body (65,536 characters).
	commentLimit = 65536
	// summaryLimit: GitHub refuses a step summary over 1 MiB and shows an
	// error instead of it, so the summary trims itself the same way.
	summaryLimit = 1 << 20

	commentItemCap = 4 << 10
	summaryItemCap = 16 << 10
	maxWarnings    = 50
	warningCap     = 1000
	// noteReserve leaves room for the "N more rows" notes added after the
	// budget has been spent.
	noteReserve = 512
	// smokeCellCap keeps a failed smoke test's reason from widening the table;
	// the full text is in the error list below it.
	smokeCellCap = 80
	// detailCellCap bounds the words added after the action.
	detailCellCap = 40
)

// Marker is the hidden first line that lets a later run find its own PR
// comment: one sticky comment per workflow and job.
func Marker(workflow, job string) string {
	clean := func(s string) string {
		// "-->" would close the HTML comment and print the rest of the marker.
		return strings.ReplaceAll(oneLine(s), "-->", "-- >")
	}
	return fmt.Sprintf("<!-- wxcloud-deploy: %s/%s -->", clean(workflow), clean(job))
}

// Summary renders the job summary: heading, counts, the table with failures
// first, the errors of failed pairs, warnings and the dry-run note.
func Summary(run *result.Run, meta Meta) string {
	d := build(run, meta, style{
		headingLevel: "##",
		itemCap:      summaryItemCap,
		moreWhere:    "see the results output",
		summary:      true,
	})
	return d.assemble(summaryLimit)
}

// Comment renders the sticky PR comment. marker (see Marker) is its first
// line; Marker(meta.Workflow, meta.Job) when empty. The body always stays
// under GitHub's 65,536-character limit: rows are dropped from the end of the
// table (failures come first, so successes go first) with a note saying how
// many.
func Comment(run *result.Run, meta Meta, marker string) string {
	if marker == "" {
		marker = Marker(meta.Workflow, meta.Job)
	}
	d := build(run, meta, style{
		marker:       marker,
		headingLevel: "###",
		itemCap:      commentItemCap,
		moreWhere:    "see the job summary",
	})
	return d.assemble(commentLimit)
}

type style struct {
	marker       string
	headingLevel string
	itemCap      int
	moreWhere    string
	summary      bool
}

// doc is a rendered report cut into the pieces assemble may drop.
type doc struct {
	head      string
	tableHead string
	rows      []string
	nFailRows int
	details   []string
	tail      string
	headingLv string
	moreWhere string
}

func build(run *result.Run, meta Meta, st style) doc {
	var h strings.Builder
	if st.marker != "" {
		h.WriteString(st.marker + "\n")
	}
	fmt.Fprintf(&h, "%s %s\n\n", st.headingLevel, heading(run, meta))

	var facts []string
	facts = append(facts, "**"+Counts(run)+"**")
	if st.summary {
		if meta.Workflow != "" {
			facts = append(facts, "workflow "+mdText(meta.Workflow))
		}
		if meta.Job != "" {
			facts = append(facts, "job "+mdText(meta.Job))
		}
		if meta.Event != "" {
			facts = append(facts, "event "+mdText(meta.Event))
		}
	}
	if meta.Commit != "" {
		facts = append(facts, "commit "+codeSpan(shortSHA(meta.Commit)))
	}
	if meta.RunURL != "" {
		facts = append(facts, "[workflow run]("+meta.RunURL+")")
	}
	h.WriteString(strings.Join(facts, " · ") + "\n\n")

	if meta.DryRun {
		h.WriteString("> [!NOTE]\n> Dry run: nothing was deployed; the table is the plan.\n\n")
	}
	if run.Interrupted {
		h.WriteString("> [!WARNING]\n> The run was cancelled before it finished: the table shows what was known then.\n\n")
	}

	d := doc{head: h.String(), headingLv: st.headingLevel, moreWhere: st.moreWhere}
	ordered := failuresFirst(run.Results)
	if len(ordered) > 0 {
		d.tableHead = "| Function | Env | Action | SHA-256 | Size | Smoke test | Time |\n" +
			"| --- | --- | --- | --- | --- | --- | --- |\n"
	}
	for _, r := range ordered {
		d.rows = append(d.rows, mdRow(run, r))
	}
	d.nFailRows = countFailed(ordered)
	for _, r := range ordered[:d.nFailRows] {
		d.details = append(d.details, failureItem(r, st.itemCap))
	}

	var t strings.Builder
	if n := len(run.Warnings); n > 0 {
		fmt.Fprintf(&t, "%s Warnings\n\n", st.headingLevel)
		for i, w := range run.Warnings {
			if i == maxWarnings {
				fmt.Fprintf(&t, "- … and %d more warnings\n", n-maxWarnings)
				break
			}
			t.WriteString("- " + truncate(mdText(w), warningCap) + "\n")
		}
		t.WriteString("\n")
	}
	if !meta.Now.IsZero() {
		t.WriteString("<sub>" + htmlText(meta.title()) + " · updated " +
			meta.Now.UTC().Format("2006-01-02 15:04:05 UTC") + "</sub>\n")
	}
	d.tail = t.String()
	return d
}

func heading(run *result.Run, meta Meta) string {
	title := mdText(meta.title())
	failed := countFailed(run.Results)
	switch {
	case run.Interrupted:
		return "⚠️ " + title + ": interrupted"
	case failed > 0:
		return fmt.Sprintf("❌ %s: %d of %d failed", title, failed, len(run.Results))
	case meta.DryRun:
		return "📝 " + title + ": dry run"
	default:
		return "✅ " + title + ": success"
	}
}

func actionCell(r result.Result) string {
	icon := "✅"
	switch r.Action {
	case result.Failed:
		icon = "❌"
	case result.RolledBack:
		icon = "↩️"
	case result.Unchanged:
		icon = "➖"
	case result.Planned:
		icon = "📝"
	}
	cell := icon + " " + mdText(string(r.Action))
	if d := actionDetail(r); d != "" {
		cell += " · " + truncate(mdText(d), detailCellCap)
	}
	return cell
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

func mdRow(run *result.Run, r result.Result) string {
	dash := func(s string) string {
		if s == "" {
			return "—"
		}
		return s
	}
	sha := "—"
	if r.SHA256 != "" {
		sha = codeSpan(shortSHA(r.SHA256))
	}
	smoke := "—"
	if r.Invoke != nil {
		if r.Invoke.OK {
			smoke = "✅ " + dash(humanMS(r.Invoke.MS))
		} else {
			smoke = "❌ " + truncate(mdText(smokeReason(r.Invoke)), smokeCellCap)
		}
	}
	cells := []string{
		dash(mdText(r.Function)), dash(mdText(r.Env)), actionCell(r), sha,
		dash(humanSize(sizeOf(run, r))), smoke, dash(humanMS(r.MS)),
	}
	return "| " + strings.Join(cells, " | ") + " |\n"
}

// codeSpan is for hex digests and SHAs only (no backticks to escape).
func codeSpan(s string) string { return "`" + s + "`" }

// failureText is what went wrong with a failed pair, in the order a reader
// needs it: the error, then the smoke test's, then the detail.
func failureText(r result.Result) (msg string, resp string) {
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
		resp = r.Invoke.RespData
	}
	if r.Detail != "" {
		parts = append(parts, r.Detail)
	}
	if len(parts) == 0 {
		parts = append(parts, string(r.Action))
	}
	return strings.Join(parts, "\n"), resp
}

// failureItem renders one failed pair: a one-line bullet when the message is
// short, a collapsed <details> block (message and function response in code
// blocks) when it is long or multi-line.
func failureItem(r result.Result, itemCap int) string {
	msg, resp := failureText(r)
	who := "**" + mdText(r.Function) + "**"
	whoHTML := "<b>" + htmlText(r.Function) + "</b>"
	if r.Env != "" {
		who += " @ " + mdText(r.Env)
		whoHTML += " @ " + htmlText(r.Env)
	}
	code := ""
	if r.Errcode != 0 {
		code = fmt.Sprintf("errcode %d: ", r.Errcode)
	}
	const shortLen = 300
	if resp == "" && !strings.ContainsAny(msg, "\r\n") && len(msg) <= shortLen {
		return "- " + who + " — " + code + mdText(msg) + "\n"
	}

	var b strings.Builder
	first, _, _ := strings.Cut(msg, "\n")
	fmt.Fprintf(&b, "<details><summary>%s — %s%s</summary>\n\n", whoHTML, code, truncate(htmlText(first), 120))
	body := truncate(msg, itemCap/2)
	f := fence(body)
	fmt.Fprintf(&b, "%stext\n%s\n%s\n\n", f, body, f)
	if resp != "" {
		resp = truncate(resp, itemCap/2)
		f := fence(resp)
		fmt.Fprintf(&b, "Function response:\n\n%stext\n%s\n%s\n\n", f, resp, f)
	}
	b.WriteString("</details>\n")
	return b.String()
}

// assemble joins the pieces, dropping what does not fit under limit bytes in
// this order of importance: failed rows, then their error details, then the
// other rows. Bytes over-estimate GitHub's character count, so a body that
// fits in bytes fits in characters.
func (d doc) assemble(limit int) string {
	errorsHead := ""
	if len(d.details) > 0 {
		errorsHead = d.headingLv + " Errors\n\n"
	}
	budget := limit - 1 - noteReserve -
		len(d.head) - len(d.tableHead) - len(errorsHead) - len(d.tail)

	rows, details := 0, 0
	take := func(s string) bool {
		if len(s) > budget {
			return false
		}
		budget -= len(s)
		return true
	}
	for rows < d.nFailRows && take(d.rows[rows]) {
		rows++
	}
	if rows == d.nFailRows {
		for details < len(d.details) && take(d.details[details]) {
			details++
		}
	}
	for rows >= d.nFailRows && rows < len(d.rows) && take(d.rows[rows]) {
		rows++
	}

	var b strings.Builder
	b.WriteString(d.head)
	if rows > 0 {
		b.WriteString(d.tableHead)
		for _, r := range d.rows[:rows] {
			b.WriteString(r)
		}
		b.WriteString("\n")
	}
	if n := len(d.rows) - rows; n > 0 {
		fmt.Fprintf(&b, "_%d more %s: %s._\n\n", n, plural(n, "row", "rows"), d.moreWhere)
	}
	if details > 0 {
		b.WriteString(errorsHead)
		for _, it := range d.details[:details] {
			b.WriteString(it)
		}
		b.WriteString("\n")
	}
	if n := len(d.details) - details; n > 0 {
		fmt.Fprintf(&b, "_%d more %s: %s._\n\n", n, plural(n, "error", "errors"), d.moreWhere)
	}
	b.WriteString(d.tail)
	return b.String()
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
