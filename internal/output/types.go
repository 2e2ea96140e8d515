package output

// Annotation is one workflow command shown on the run page (::error::,
// ::warning::, ::notice::), or an "error: …" line on stderr in the CLI.
type Annotation struct {
	// Level is "error", "warning" or "notice"; anything else is an error.
	Level string
	Title string
	// File is made relative to Options.Workspace and dropped when it does
	// not exist there: GitHub ignores (or misplaces) annotations on files
	// outside the checkout.
	File    string
	Line    int
	Message string
}

// Output is one step output (CONTRACT.md, "Outputs").
type Output struct {
	Name, Value string
}

// GitHub's limits, which report renders within and Out enforces.
const (
	// SummaryLimit is the most $GITHUB_STEP_SUMMARY may hold for one step:
	// GitHub shows an error instead of a larger summary.
	SummaryLimit = 1 << 20
	// CommentLimit is the longest issue comment body GitHub accepts, in
	// characters. Out counts bytes, which are never fewer than characters.
	CommentLimit = 65536
	// OutputLimit guards one step output value: GitHub keeps at most 1 MiB of
	// outputs per job, so a larger value would be lost anyway.
	OutputLimit = 1 << 20
	// LineLimit is the longest log line written; GitHub's log viewer and
	// terminals stop being useful long before.
	LineLimit = 16 << 10
	// AnnotationLimit bounds an annotation's message: the run page shows a
	// few lines, the rest is in the summary.
	AnnotationLimit = 4 << 10
)
