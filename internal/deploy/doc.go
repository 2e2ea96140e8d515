// Package deploy is the algorithm: given the typed config, the packed
// functions and a backend (internal/backend), it probes every env, plans
// create / update / unchanged, uploads, waits until the code is ready,
// applies settings, smoke-tests and rolls back, and returns one result per
// function/env pair. It imports no vendor package: the CLI picks the backend.
//
// A run goes phase by phase — probe, upload, wait, configure, smoke — over
// every function, so the log reads as a line per phase with counts and
// elapsed time, and a heartbeat during any long wait. Uploads, which carry
// the code, go concurrency functions at a time; the other phases work on
// pairs whatever their function (Deps.ReadFanout at once), bounded below by
// the run-wide rate limit. No phase goes back to an earlier one; a retry stays
// inside the phase (and the backend) that needs it.
//
// Each pair moves through named states (state.go); the allowed transitions
// are one table, and the create<->update fallback is a rule over the state a
// failed upload left, not a flag. Every pair ends with exactly one result: a
// pair that could not be finished says so rather than claiming success.
package deploy
