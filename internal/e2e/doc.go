// Package e2e is the one end-to-end suite: it drives the whole program
// (cli.Main in-process through both front doors, the test binary as the
// command in the scripts, and the built binary for real signals) against
// the emulator, on loopback, and a fake GitHub, and tries to make it lie
// about what it did. Its helpers come from internal/testkit.
//
// What the suite proves:
//
//   - The CLI (cli_test.go): --json prints the results array alone on
//     stdout and the table goes to stderr, through the wechat and the
//     tencentcloud API alike, each result naming the SHA-256 the emulator
//     holds; --emulator deploys with no setup (tencentcloud by default,
//     --provider wechat for WeChat's API); pack writes reproducible flat
//     zips, --path alone names the function after its folder, --functions
//     packs one zip each; plan --shards prints balanced slices and the
//     matrix; help, version and mistakes (exit 2 with a suggestion).
//   - The action (action_test.go, shards_test.go): every output of the
//     contract (zip-sha256 and zip-size equal the pack command's zip), the
//     job summary (failures first, the PR head commit, not the merge
//     commit), one ::group:: per phase; one sticky PR comment created then
//     edited in place, one per matrix leg's env set, none from a shard, a
//     plan, or an event without a pull request (comment: always says why),
//     a refused comment (403, 404) only a warning; 150 functions × 3 envs
//     in one comment under GitHub's limit with every pair accounted for;
//     only INPUT_* and GITHUB_OUTPUT is enough for action mode; invalid
//     input exits 2, sets every output, writes the summary and masks the
//     secrets; a sharded deploy (plan, legs with results files, merge)
//     reports every pair once, in one comment.
//   - Secrets (secrets_test.go): in 29 scenarios × both front doors
//     (every command, secrets pasted into other inputs, vendor errors,
//     gateway pages and GitHub errors echoing them, stalls, resets,
//     fetched WeChat tokens expiring mid-run, Tencent Cloud keys, session
//     tokens and keyless OIDC with STS temporary keys) no secret given or
//     fetched reaches stdout, stderr, $GITHUB_OUTPUT, the summary or the
//     PR comment, and every one given is ::add-mask::ed; a stray argument
//     is never echoed.
//   - Bad input (badinput_test.go): malformed inputs, through the CLI flags
//     and through the action's INPUT_* variables, for both providers (a
//     wechat deploy without a component token included), exit 2 with a
//     message (or an annotation on the file) naming the input, and not one
//     request reaches the API.
//   - Faults (faults_test.go): for transient vendor errors, gateway pages,
//     truncated or empty bodies, stalls past the timeout, connection resets
//     and odd fail lists, every pair reported created, updated or
//     unchanged really holds that code in the emulator (same SHA-256),
//     every failed pair says why, there is one result per env, retries are
//     counted exactly, and the exit status is 0 exactly when every pair
//     succeeded; a dry run probes but sends no write, through either API.
//   - Cancellation (cancel_test.go): a cancelled context (probe, upload,
//     smoke test, a Tencent Cloud upload), SIGINT or SIGTERM on the built
//     binary in the middle of a deploy stops the in-flight request
//     promptly, still prints a result for every env, and exits 1.
//   - emulate (emulate_test.go): it prints its address and the credentials
//     it accepts, serves both APIs with exactly those to another process's
//     deploy, honours --envs, and stops on a cancel.
//   - Tencent Cloud (tencentcloud_test.go): create in two envs, wait until
//     Active, smoke test; an unchanged redeploy sends no code; a changed
//     file updates; a wrong key exits 1 naming AuthFailure.SignatureFailure
//     with the key nowhere; a wrong env fails alone (ResourceNotFound.
//     Namespace); keyless OIDC deploys with no key; a package.json that does
//     not parse fails that env with the vendor's reason; a WeChat deploy
//     with only a Mini Program token exits 2 with no request.
//   - Settings and triggers (settings_test.go): timeout, memory, env vars
//     and a config.json timer reach the env; an unchanged redeploy writes
//     nothing; a removed trigger is deleted, someone else's kept unless
//     prune-triggers; a dry run lists the changes; bad values exit 2 with
//     no request; a failed smoke test shows the function's log tail.
//   - Platforms (platform_test.go): merging 4 shard files gives the same
//     outputs, summary and exit status as one unsharded run; a re-run
//     uploads only where the first run failed; bad shard and envs-file
//     input exits 2 with no request; max-rps holds at the vendor.
//   - Hostile answers (hostile_test.go): vendor and function text never
//     becomes a workflow command; redirects to another host are refused;
//     a rollback the vendor denied is not rolled_back; a dry run whose
//     probe shows the deploy cannot run exits 1; late validation, output
//     confinement, another user's comment, a stalled GitHub after SIGINT,
//     and a secret straddling a snippet's cut.
//   - Scripts (testdata/script/*.txtar): the user-facing scenarios, one per
//     file, readable as examples: the emulator demo, --provider wechat,
//     dry run, pack, pack --path DIR, plan --shards, help, invalid envs.
//
// The package holds tests only.
package e2e
