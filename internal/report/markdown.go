package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/output"
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

// style is what differs between the summary and the comment.
type style struct {
	marker string
	// h is the heading of the title; sections are one level below.
	h string
	// limit is the sink's size limit in bytes.
	limit int
	// detailed is how many failure groups get the full story (message,
	// response, log); the rest get one line each, so that many distinct
	// failures still fit.
	detailed int
	// itemCap bounds one failure's full story.
	itemCap int
	// inlineEnvs is how many env names a group of pairs lists.
	inlineEnvs int
	// envLists adds, for a collapsed large run, the env names of each
	// outcome (the summary has room; the comment does not).
	envLists  bool
	moreWhere string
	summary   bool
}

const (
	maxWarnings = 50
	warningCap  = 1000
	// noteReserve leaves room for the "N more …" note of each section.
	noteReserve = 256
	// shortFailure is the longest message shown as a one-line bullet.
	shortFailure = 300
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

// Summary renders the job summary: heading and counts, the failures (each
// with its reason, code, response and log tail), the successful pairs (one
// row each, or one row per function and outcome in a large run), setting
// changes and warnings. It stays within output.SummaryLimit.
func Summary(run *result.Run, meta Meta) string {
	return render(run, meta, style{
		h:          "##",
		limit:      output.SummaryLimit,
		detailed:   200,
		itemCap:    16 << 10,
		inlineEnvs: 200,
		envLists:   true,
		moreWhere:  resultsWhere(run),
		summary:    true,
	})
}

// Comment renders the sticky PR comment. marker (see Marker) is its first
// line; Marker(meta.Workflow, meta.Job) when empty. It stays within
// output.CommentLimit: what does not fit is counted in a note pointing at
// the job summary, failures being the last thing dropped.
func Comment(run *result.Run, meta Meta, marker string) string {
	if marker == "" {
		marker = Marker(meta.Workflow, meta.Job)
	}
	return render(run, meta, style{
		marker:     marker,
		h:          "###",
		limit:      output.CommentLimit,
		detailed:   10,
		itemCap:    4 << 10,
		inlineEnvs: 10,
		moreWhere:  "see the job summary",
	})
}

// resultsWhere says where every pair can be read when the summary cannot
// hold them.
func resultsWhere(run *result.Run) string {
	if run.ResultsFile != "" {
		return "every pair is in " + mdText(run.ResultsFile)
	}
	return "see the results output"
}

func render(run *result.Run, meta Meta, st style) string {
	sections := []section{problemSection(run, st), failureSection(run, st), successSection(run, meta, st)}
	if st.envLists {
		sections = append(sections, envListSection(run, st))
	}
	sections = append(sections, changeSection(run, meta, st), warningSection(run, st))
	return assemble(head(run, meta, st), sections, tail(meta), st.limit)
}

func head(run *result.Run, meta Meta, st style) string {
	var h strings.Builder
	if st.marker != "" {
		h.WriteString(st.marker + "\n")
	}
	fmt.Fprintf(&h, "%s %s\n\n", st.h, heading(run, meta))

	facts := []string{"**" + Counts(run) + "**"}
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
	if run.Provider != "" {
		facts = append(facts, "provider "+mdText(run.Provider))
	}
	if run.Shard != "" {
		facts = append(facts, "shard "+mdText(run.Shard))
	}
	if meta.Commit != "" {
		facts = append(facts, "commit "+codeSpan(shortSHA(meta.Commit)))
	}
	if meta.RunURL != "" {
		facts = append(facts, "[workflow run]("+meta.RunURL+")")
	}
	h.WriteString(strings.Join(facts, " · ") + "\n\n")

	if meta.DryRun {
		h.WriteString("> [!NOTE]\n> Dry run: nothing was deployed; this is the plan.\n\n")
	}
	if run.Interrupted {
		h.WriteString("> [!WARNING]\n> The run was cancelled before it finished: this shows what was known then.\n\n")
	}
	return h.String()
}

func tail(meta Meta) string {
	if meta.Now.IsZero() {
		return ""
	}
	return "<sub>" + htmlText(meta.title()) + " · updated " +
		meta.Now.UTC().Format("2006-01-02 15:04:05 UTC") + "</sub>\n"
}

func heading(run *result.Run, meta Meta) string {
	title := mdText(meta.title())
	failed := countFailed(run.Results)
	switch {
	case run.Interrupted:
		return "⚠️ " + title + ": interrupted"
	case failed > 0:
		return fmt.Sprintf("❌ %s: %s of %s failed", title, number(failed), number(len(run.Results)))
	case len(run.Problems) > 0:
		return "❌ " + title + ": failed"
	case meta.DryRun:
		return "📝 " + title + ": dry run"
	default:
		return "✅ " + title + ": success"
	}
}

func icon(a result.Action) string {
	switch a {
	case result.Failed:
		return "❌"
	case result.RolledBack:
		return "↩️"
	case result.Unchanged:
		return "➖"
	case result.Planned:
		return "📝"
	}
	return "✅"
}

// codeSpan is for hex digests and SHAs only (no backticks to escape).
func codeSpan(s string) string { return "`" + s + "`" }

// who names a group of pairs in markdown: "**login** @ dev-1" or
// "**login** in 1,200 envs".
func who(fn string, envs []string) string {
	s := "**" + mdText(fn) + "**"
	switch {
	case len(envs) > 1:
		s += " in " + number(len(envs)) + " envs"
	case len(envs) == 1 && envs[0] != "":
		s += " @ " + mdText(envs[0])
	}
	return s
}

func whoHTML(fn string, envs []string) string {
	s := "<b>" + htmlText(fn) + "</b>"
	switch {
	case len(envs) > 1:
		s += " in " + number(len(envs)) + " envs"
	case len(envs) == 1 && envs[0] != "":
		s += " @ " + htmlText(envs[0])
	}
	return s
}

// envList names up to max envs, then says how many more.
func envList(envs []string, max int) string {
	var names []string
	for i, e := range envs {
		if i == max {
			names = append(names, "and "+number(len(envs)-max)+" more")
			break
		}
		names = append(names, mdText(e))
	}
	return strings.Join(names, ", ")
}

// problemSection lists what failed the run beyond its pairs (a shard's
// results missing from a merge).
func problemSection(run *result.Run, st style) section {
	s := section{
		heading: st.h + "# Problems\n\n",
		suffix:  "\n",
		more: func(k int) string {
			return fmt.Sprintf("_%s more %s not shown: %s._\n\n", number(k), plural(k, "problem", "problems"), st.moreWhere)
		},
	}
	for _, p := range run.Problems {
		s.items = append(s.items, "- ❌ "+truncate(mdText(p), warningCap)+"\n")
	}
	return s
}

func failureSection(run *result.Run, st style) section {
	fs := failures(run.Results)
	n := countFailed(run.Results)
	if n == 0 {
		return section{}
	}
	s := section{
		heading: fmt.Sprintf("%s# Failed: %s of %s\n\n", st.h, number(n), number(len(run.Results))),
		more: func(k int) string {
			return fmt.Sprintf("_%s more %s not shown: %s._\n\n", number(k), plural(k, "failure", "failures"), st.moreWhere)
		},
	}
	bullets := false
	for i, f := range fs {
		item := ""
		if i < st.detailed {
			item = failureItem(f, st)
		}
		if item == "" || strings.HasPrefix(item, "- ") {
			item = failureBullet(f, st)
			bullets = true
		} else if bullets {
			// A details block right after a list needs a blank line, or
			// GitHub folds it into the last item.
			item = "\n" + item
			bullets = false
		}
		s.items = append(s.items, item)
	}
	s.suffix = "\n"
	return s
}

// failureBullet is the one-line form: the first line of the message.
func failureBullet(f failure, st style) string {
	first, _, _ := strings.Cut(f.msg, "\n")
	line := "- " + icon(f.first.Action) + " " + who(f.first.Function, f.envs) + " — " + truncate(mdText(first), shortFailure)
	if f.many() {
		line += " — " + envList(f.envs, st.inlineEnvs)
	}
	return line + "\n"
}

// failureItem is the full story, or "" when the one-line form says it all.
func failureItem(f failure, st style) string {
	if f.resp == "" && f.log == "" && len(f.config) == 0 && !strings.ContainsAny(f.msg, "\r\n") && len(f.msg) <= shortFailure {
		return failureBullet(f, st)
	}
	var b strings.Builder
	first, _, _ := strings.Cut(f.msg, "\n")
	fmt.Fprintf(&b, "<details><summary>%s %s — %s</summary>\n\n", icon(f.first.Action), whoHTML(f.first.Function, f.envs), htmlText(truncate(oneLine(first), 160)))
	if f.many() {
		b.WriteString("Envs: " + envList(f.envs, st.inlineEnvs) + "\n\n")
	}
	part := st.itemCap / 3
	b.WriteString(codeBlock(f.msg, part))
	if f.resp != "" {
		b.WriteString("\nFunction response:\n\n" + codeBlock(f.resp, part))
	}
	if f.log != "" {
		fmt.Fprintf(&b, "\nFunction log (last lines):\n\n%s", codeBlock(f.log, part))
	}
	if len(f.config) > 0 {
		b.WriteString("\nSettings: " + mdText(strings.Join(f.config, "; ")) + "\n")
	}
	b.WriteString("\n</details>\n")
	return b.String()
}

func successSection(run *result.Run, meta Meta, st style) section {
	n := countOK(run.Results)
	title := "Succeeded"
	if meta.DryRun {
		title = "Plan"
	}
	s := section{
		heading: fmt.Sprintf("%s# %s: %s\n\n", st.h, title, number(n)),
		suffix:  "\n",
		more: func(k int) string {
			return fmt.Sprintf("_%s more %s not shown: %s._\n\n", number(k), plural(k, "row", "rows"), st.moreWhere)
		},
	}
	if n == 0 {
		return s
	}
	if n <= collapseAbove {
		s.prefix = "| Function | Env | Action | SHA-256 | Size | Smoke test | Time |\n| --- | --- | --- | --- | --- | --- | --- |\n"
		for _, r := range run.Results {
			if r.Action.OK() {
				s.items = append(s.items, mdRow(run, r))
			}
		}
		return s
	}
	s.prefix = "| Function | Action | Envs | SHA-256 | Size | Smoke test |\n| --- | --- | --- | --- | --- | --- |\n"
	for _, g := range successes(run.Results) {
		s.items = append(s.items, groupRow(run, g))
	}
	return s
}

func actionCell(r result.Result) string {
	cell := icon(r.Action) + " " + mdText(string(r.Action))
	if d := actionDetail(r); d != "" {
		cell += " · " + mdText(d)
	}
	return cell
}

func dash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

func shaCell(sha string) string {
	if sha == "" {
		return "—"
	}
	return codeSpan(mdText(shortSHA(sha)))
}

func mdRow(run *result.Run, r result.Result) string {
	smoke := "—"
	if r.Invoke != nil {
		smoke = "✅ " + dash(humanMS(r.Invoke.MS))
	}
	cells := []string{
		dash(mdText(r.Function)), dash(mdText(r.Env)), actionCell(r), shaCell(r.SHA256),
		dash(sizeCell(sizeOf(run, r))), smoke, dash(humanMS(r.MS)),
	}
	return "| " + strings.Join(cells, " | ") + " |\n"
}

func groupRow(run *result.Run, g success) string {
	smoke := "—"
	if g.smokeOK > 0 {
		smoke = "✅ " + number(g.smokeOK) + " passed"
	}
	cells := []string{
		dash(mdText(g.first.Function)), actionCell(g.first), number(len(g.envs)), shaCell(g.first.SHA256),
		dash(sizeCell(sizeOf(run, g.first))), smoke,
	}
	return "| " + strings.Join(cells, " | ") + " |\n"
}

// envListSection names the envs of each collapsed outcome, folded away.
func envListSection(run *result.Run, st style) section {
	s := section{
		heading: st.h + "# Envs per outcome\n\n",
		more: func(k int) string {
			return fmt.Sprintf("_%s more env %s not shown: %s._\n\n", number(k), plural(k, "list", "lists"), st.moreWhere)
		},
	}
	if countOK(run.Results) <= collapseAbove {
		return s
	}
	for _, g := range successes(run.Results) {
		s.items = append(s.items, fmt.Sprintf("<details><summary>%s: %s %s</summary>\n\n%s\n\n</details>\n",
			htmlText(g.first.Function), number(len(g.envs)), htmlText(string(g.first.Action)), envList(g.envs, len(g.envs))))
	}
	return s
}

func changeSection(run *result.Run, meta Meta, st style) section {
	title := "Settings changed"
	if meta.DryRun {
		title = "Settings to change"
	}
	s := section{
		heading: st.h + "# " + title + "\n\n",
		suffix:  "\n",
		more: func(k int) string {
			return fmt.Sprintf("_%s more %s not shown: %s._\n\n", number(k), plural(k, "change", "changes"), st.moreWhere)
		},
	}
	for _, c := range changes(run.Results) {
		line := "- " + who(c.fn, c.envs) + ": " + mdText(strings.Join(c.config, "; "))
		if len(c.envs) > 1 {
			line += " — " + envList(c.envs, st.inlineEnvs)
		}
		s.items = append(s.items, line+"\n")
	}
	return s
}

func warningSection(run *result.Run, st style) section {
	s := section{
		heading: st.h + "# Warnings\n\n",
		suffix:  "\n",
		more: func(k int) string {
			return fmt.Sprintf("_%s more %s not shown._\n\n", number(k), plural(k, "warning", "warnings"))
		},
	}
	for i, w := range run.Warnings {
		if i == maxWarnings {
			break
		}
		s.items = append(s.items, "- "+truncate(mdText(w), warningCap)+"\n")
	}
	if n := len(run.Warnings) - maxWarnings; n > 0 {
		s.items = append(s.items, fmt.Sprintf("- … and %s more warnings\n", number(n)))
	}
	return s
}

// section is a heading, a prefix (a table head), items and a suffix;
// assemble drops the items that do not fit and says how many.
type section struct {
	heading, prefix, suffix string
	items                   []string
	more                    func(dropped int) string
}

// assemble joins head, the sections in order and tail under limit bytes
// (bytes over-estimate GitHub's character count, so a body that fits in
// bytes fits). Sections come in order of importance, so each takes what it
// needs from what the ones before it left; an item that does not fit ends
// its section with a note.
func assemble(head string, sections []section, tail string, limit int) string {
	budget := limit - 1 - len(head) - len(tail) - noteReserve*len(sections)
	var b strings.Builder
	b.WriteString(head)
	for _, s := range sections {
		kept := 0
		frame := len(s.heading) + len(s.prefix) + len(s.suffix)
		for _, it := range s.items {
			need := len(it)
			if kept == 0 {
				need += frame
			}
			if need > budget {
				break
			}
			budget -= need
			if kept == 0 {
				b.WriteString(s.heading + s.prefix)
			}
			b.WriteString(it)
			kept++
		}
		if kept > 0 {
			b.WriteString(s.suffix)
		}
		if dropped := len(s.items) - kept; dropped > 0 {
			if kept == 0 {
				b.WriteString(s.heading)
			}
			b.WriteString(s.more(dropped))
		}
	}
	b.WriteString(tail)
	return b.String()
}

// InvalidSummary renders the job summary of a run stopped by invalid input
// (exit 2): nothing was sent to the API, and each input error is listed
// (a multi-line error's further lines as sub-items).
func InvalidSummary(errs []string, meta Meta) string {
	st := style{h: "##", summary: true}
	var h strings.Builder
	fmt.Fprintf(&h, "%s ⛔ %s: invalid input\n\n", st.h, mdText(meta.title()))
	h.WriteString("Nothing was sent to the API: fix the inputs below and run again.\n\n")
	s := section{
		heading: st.h + "# Input errors\n\n",
		suffix:  "\n",
		more: func(k int) string {
			return fmt.Sprintf("_%s more %s not shown: see the step log._\n\n", number(k), plural(k, "error", "errors"))
		},
	}
	for _, e := range errs {
		lines := strings.Split(strings.TrimRight(e, "\n"), "\n")
		item := "- " + mdText(lines[0]) + "\n"
		for _, l := range lines[1:] {
			if l = mdText(l); l != "" {
				item += "  - " + l + "\n"
			}
		}
		s.items = append(s.items, item)
	}
	return assemble(h.String(), []section{s}, tail(meta), output.SummaryLimit)
}
