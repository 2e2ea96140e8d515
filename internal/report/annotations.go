package report

import (
	"fmt"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// Annotation is one workflow command shown on the run page
// (::error::, ::warning::, ::notice::).
type Annotation struct {
	// Level is "error", "warning" or "notice".
	Level   string
	Title   string
	File    string
	Line    int
	Message string
}

// Annotations returns one error per failed pair, titled
// "wxcloud-deploy: <function>@<env>", in run order. Run warnings and an
// interrupted run are the caller's to announce.
func Annotations(run *result.Run) []Annotation {
	var out []Annotation
	for _, r := range run.Results {
		if r.Action.OK() {
			continue
		}
		title := "wxcloud-deploy: " + r.Function
		if r.Env != "" {
			title += "@" + r.Env
		}
		msg, _ := failureText(r)
		if r.Errcode != 0 {
			msg = fmt.Sprintf("errcode %d: %s", r.Errcode, msg)
		}
		out = append(out, Annotation{Level: "error", Title: title, Message: msg})
	}
	return out
}
