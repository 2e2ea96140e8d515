// Package e2e is the reliability suite: it drives the whole program (cli.Main,
// and the built binary for real signals) against the emulator and tries to
// make it lie about what it did.
//
// What the suite proves:
//
//   - Faults (faults_test.go): for transient vendor errors, gateway pages,
//     truncated or empty bodies, stalls past the timeout, connection resets and
//     odd fail lists, every function/env pair reported created, updated or
//     unchanged really holds that code in the emulator (same SHA-256), every
//     failed pair says why, there is one result per env, and the exit status
//     is 0 exactly when every pair succeeded.
//   - Bad input (badinput_test.go): malformed inputs, through the CLI flags
//     and through the action's INPUT_* variables, exit 2 with a message naming
//     the input, and not one request reaches the API.
//   - Cancellation (cancel_test.go): a cancelled context, SIGINT or SIGTERM in
//     the middle of a deploy stops the in-flight request, still prints a
//     result for every env, and exits non-zero.
//   - Scripts (testdata/script/*.txtar): the user-facing scenarios, one per
//     file, readable as examples.
//
// The package holds tests only.
package e2e
