// Package report turns a result.Run into what people and GitHub read: the
// action outputs, the job summary, the sticky PR comment, the CLI table and
// the ::error:: annotations. Everything here is a pure function of the run,
// except GitHub, the one small writer that puts outputs, summaries, masks and
// annotations where the runner picks them up.
package report
