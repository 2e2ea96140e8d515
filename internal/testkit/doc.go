// Package testkit is what the tests of wxcloud-deploy share, so that no test
// package carries its own copy: a workspace builder around the sample
// function (testdata/functions/hello), a runner around cli.Main that builds
// the environment from a map and captures stdout, stderr, $GITHUB_OUTPUT and
// the job summary, the emulator on a loopback httptest server, and one fake
// GitHub REST API (issue comments and GET /user) for the sticky PR comment.
//
// It is imported only by tests. Nothing in it is global state: every helper
// takes the *testing.T whose cleanup ends what it started, and nothing
// sleeps (waits are channels and contexts).
package testkit
