// Package deploy turns a validated config into results: it resolves which
// functions to deploy, packs them, probes each env, uploads with one batch call
// per kind (create or update) per function, smoke-tests, and rolls back.
//
// The order of a deploy, per function:
//
//	pack -> probe (downloadfunction, all envs at once) -> plan -> back up ->
//	upload (batchuploadscf / batchuploadscfcode) -> retry the other way once ->
//	smoke test -> roll back
//
// Every pair ends with exactly one result; a pair that could not be finished says
// so rather than claiming success.
package deploy
