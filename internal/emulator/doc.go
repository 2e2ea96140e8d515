// Package emulator is an in-process fake of WeChat's cloud development
// (TCB) server API: the calls wxcloud-deploy makes, answered the way the
// vendor's pages (../../shared/seeds) say they are. Every test of the project
// runs against it, `deploy --emulator` deploys to it, and `emulate --listen`
// serves it to other tools and SDKs. It imports nothing else from this
// project, so the client is tested against an independent server.
//
// # Paths
//
//	POST /componenttcb/batchuploadscf      {functionname, envs[], zipfile, vpcid?, subnetid?}
//	POST /componenttcb/batchuploadscfcode  {functionname, envs[], zipfile}
//	POST /tcb/createfunction               {env, function_name}
//	POST /tcb/downloadfunction             {env, function_name}
//	POST /tcb/invokecloudfunction?env=&name=   (body = the event)
//	POST /cgi-bin/stable_token             {grant_type, appid, secret, force_refresh}
//	POST /cgi-bin/component/api_component_token {component_appid, component_appsecret, component_verify_ticket}
//	*    /cgi-bin/token                    always an error: use stable_token
//	GET  /_emulator/code/<env>/<name>/<version>?sign=…   (download URLs)
//
// Every call but the token endpoints takes ?access_token=. The token from
// Server.Token (Options.Token, default "emulator-token") is accepted as any
// kind of token; the token endpoints mint valid tokens for any non-empty
// credentials.
//
// # Faithful to the seed pages
//
//   - URLs, request and response field names (fail_env_list with errmsg,
//     fail_list with errormsg, resp_data as a string, url and checksum).
//   - Error codes and their texts: 43002 require POST method, 41001
//     access_token missing, 40014 invalid access_token, 42001 access_token
//     expired, 44002 empty post data, 47001 data format error, 40101 missing
//     parameter, 40097 invalid args, 85088 no qbase privilege, -1 system
//     error; checked in that order. Vendor errors come with HTTP 200.
//   - Partial failure: batch calls answer errcode 0 with the failed envs
//     listed; an env without cloud development is listed (85088's text)
//     unless no env has it, then the whole call is 85088.
//   - invokecloudfunction: the event is the POST body; object events get
//     userInfo.appId added, as the page's sample response shows; the function
//     gets 5 s.
//   - Tokens: expires_in 7200; stable_token returns the current token unless
//     force_refresh is set (its documented behaviour).
//
// # Assumptions (not on the pages; other SDKs should not rely on them)
//
//   - Function-side errors use errcode -501000 with Tencent-style messages:
//     "[ResourceInUse.Function] function already exists",
//     "[ResourceNotFound.Function] function not found",
//     "[FailedOperation.FunctionStatusError] function is updating, retry later";
//     runtime errors -504002 "functions execute fail | Error: <message>"
//     ("| main is not a function" when main is missing), timeouts -504003
//     "functions time limit exceeded: Invoking task timed out after 5 seconds".
//   - The per-env fail-list messages are the same texts (85088's text for an
//     env without cloud development).
//   - Download URLs point back at the emulator (built from the request's
//     Host): /_emulator/code/<env>/<name>/<version>?sign=…, with COS-style
//     XML errors (403 on a bad sign, 404 on an unknown version); checksum is
//     the hex SHA-256 of the zip exactly as uploaded ("" for a function made by
//     createfunction, which has no code).
//   - zipfile must be standard base64 of something archive/zip can open
//     (40097 says why not). Whatever valid zip arrives is stored: no flat-zip
//     check, no size check beyond the body limit.
//   - Function names in create calls must follow Tencent SCF's rule
//     (2-60 characters, letters, digits, - and _, starting with a letter,
//     ending with a letter or digit), else 40097.
//   - A repeated env in one batch call is done once.
//   - Bodies over 64 MiB get HTTP 413 with an nginx HTML page, like a gateway.
//   - /cgi-bin/token answers 48001: a deploy tool must never call it (it
//     invalidates the production servers' token). stable_token wants grant_type
//     "client_credential" (40002), a non-empty appid (40013) and secret (40001);
//     api_component_token a component_appid (40013), component_appsecret
//     (40125) and component_verify_ticket (61006).
//   - Tokens are not tied to calls unless Options.StrictTokenKinds (then the
//     batch calls want a component token, createfunction and downloadfunction
//     an access token: 48001 otherwise).
//
// # Running functions
//
// When node is available (Options.Node) and the zip has index.js at its
// root, invoke unpacks the code into a temporary directory and runs
// `await main(event, context)` in a child node process with a small harness;
// resp_data is JSON.stringify of the result ("null" for undefined). context
// is {function_name, env, namespace, request_id, function_version,
// memory_limit_in_mb, time_limit_in_ms}. The child gets the variables the
// cloud sets (TCB_ENV, SCF_NAMESPACE, SCF_FUNCTIONNAME…), not the host's
// environment. Dependencies are not installed (no cloud dependencies): code
// that requires a package it does not carry fails with -504002. Without node,
// or without a root index.js, invoke echoes deterministically:
// resp_data = {"echo": <event>, "env", "function", "version"}.
//
// # For tests
//
// Functions, Calls and Writes show the state; Seed installs functions;
// ExpireTokens, SetNotReady and Inject (Fault: errcodes, HTTP errors,
// truncated or empty bodies, resets, stalls, delays, per-env batch failures,
// errors inside resp_data) make it misbehave on purpose.
package emulator
