// Package output is the one way out of the process: stdout, stderr,
// $GITHUB_OUTPUT, the job summary, annotations, --json and the PR comment
// body all pass through an *Out, which does three things in this order:
//
//  1. redact: every secret the shared *redact.Redactor knows (raw,
//     URL-encoded, base64) and every secret-named parameter becomes "***".
//     First, so that no later cut can leave half a secret behind.
//  2. neutralise text that came from outside (vendor messages, a function's
//     response or log, file names): one of our lines stays one line (CR, LF
//     and other control characters become visible escapes such as \n and
//     \x1b), and no line can become a workflow command (a leading "::" is
//     written "\::", and "##[", which the runner honours anywhere in a
//     line, is written "#\#["). JSON stays valid JSON that decodes to the
//     same (redacted) data: the same characters are \u-escaped inside its
//     strings.
//  3. truncate to the sink's limit (a log line, GitHub's 1 MiB summary,
//     65,536-character comment, 1 MiB output value), saying what was cut.
//
// report decides what to say; this package only writes it. It never blocks
// forever: stream writes that stall are left to a background writer after
// Options.StallTimeout, file writes give up after the same time, and Flush
// takes a context.
package output
