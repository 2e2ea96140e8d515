package report

import (
	"fmt"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/output"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// Annotation and Output are the output package's types: report says what,
// output writes it.
type (
	Annotation = output.Annotation
	Output     = output.Output
)

// maxErrorAnnotations is GitHub's limit: a step shows at most 10 error
// annotations (and 50 per job); more would be dropped without a word.
const maxErrorAnnotations = 10

// Annotations returns one error per group of pairs that failed the same way,
// titled "wxcloud-deploy: <function>@<env>" (or "… in N envs"), in run
// order, the message being the code, the reason and what was done about it;
// run.Problems come first, each an error of its own. Past GitHub's ten, the
// last one counts the rest. Run warnings and an interrupted run are the
// caller's to announce.
func Annotations(run *result.Run) []Annotation {
	var all []Annotation
	var pairs []int // failed pairs each annotation tells of
	for _, p := range run.Problems {
		all = append(all, Annotation{Level: "error", Title: "wxcloud-deploy", Message: p})
		pairs = append(pairs, 0)
	}
	for _, f := range failures(run.Results) {
		all = append(all, failureAnnotation(f))
		pairs = append(pairs, len(f.envs))
	}
	if len(all) <= maxErrorAnnotations {
		return all
	}
	keep := maxErrorAnnotations - 1
	rest := 0
	for _, n := range pairs[keep:] {
		rest += n
	}
	msg := fmt.Sprintf("%s more %s", number(len(all)-keep), plural(len(all)-keep, "error", "errors"))
	if rest > 0 {
		msg += fmt.Sprintf(" (%s failed %s)", number(rest), plural(rest, "pair", "pairs"))
	}
	return append(all[:keep], Annotation{Level: "error", Title: "wxcloud-deploy", Message: msg + ": see the job summary"})
}

func failureAnnotation(f failure) Annotation {
	title := "wxcloud-deploy: " + f.first.Function
	switch {
	case f.many():
		title += " in " + number(len(f.envs)) + " envs"
	case f.first.Env != "":
		title += "@" + f.first.Env
	}
	msg := f.msg
	if f.many() {
		msg += "\nenvs: " + strings.Join(f.envs[:min(len(f.envs), 20)], ", ")
		if len(f.envs) > 20 {
			msg += ", and " + number(len(f.envs)-20) + " more"
		}
	}
	return Annotation{Level: "error", Title: title, Message: msg}
}
