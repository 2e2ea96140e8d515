// Package report turns a result.Run into what people and GitHub read: the
// step outputs, the job summary, the sticky PR comment, the CLI table and the
// annotations. Every function here is pure: it renders text from the run it
// is given and writes nothing. The output package writes, after redacting;
// callers pass report the run output.Redacted returned, so no renderer ever
// cuts a string that still holds a secret.
//
// Large runs stay readable and inside GitHub's limits: failures come first,
// grouped when many pairs failed the same way, and successful pairs collapse
// into one line per function and outcome when there are more than
// collapseAbove of them.
package report
