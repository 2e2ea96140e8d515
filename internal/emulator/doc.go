// Package emulator is an in-process fake of the two vendor APIs
// wxcloud-deploy deploys through: WeChat's cloud development (TCB) server
// API, the calls the vendor's pages (../../shared/seeds) describe, and the
// Tencent Cloud API subset `tcb fn deploy` uses (SCF 2018-04-16, STS
// 2018-08-13; ../../shared/API-NOTES-TENCENTCLOUD.md). Every test of the
// project runs against it, `deploy --emulator` deploys to it, and `emulate
// --listen` serves it to other tools and SDKs. It imports nothing else from
// this project, so the clients are tested against an independent server. Its
// rule: never accept what the vendor refuses; where it must guess, it is
// stricter and says so below.
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
//	POST /   with X-TC-Action              the Tencent Cloud API (below)
//	GET  /_github/oidc/token?audience=…    a GitHub Actions OIDC token endpoint
//
// WeChat calls but the token endpoints take ?access_token=. The token from
// Server.Token (Options.Token, default "emulator-token") is accepted as any
// kind of token; the token endpoints mint valid tokens for any non-empty
// credentials, and each call takes only the kinds API-NOTES.md lists for it.
//
// Tencent Cloud actions (POST /, Content-Type application/json, headers
// X-TC-Action, X-TC-Version, X-TC-Timestamp, X-TC-Region, Authorization:
// TC3-HMAC-SHA256 … with the key pair of Server.SecretID/SecretKey or STS
// temporary keys plus X-TC-Token):
//
//	scf 2018-04-16  CreateFunction, UpdateFunctionCode, UpdateFunctionConfiguration,
//	                GetFunction, GetFunctionAddress, Invoke, ListFunctions, DeleteFunction,
//	                CreateTrigger, DeleteTrigger, ListTriggers
//	sts 2018-08-13  AssumeRoleWithWebIdentity (Authorization: SKIP)
//
// A namespace is an env: the same env set on both sides (Options.Envs, or
// every well-formed env ID), and the same functions: a function uploaded
// through WeChat is seen by GetFunction and the other way round. Every env
// lives in Options.Region (default ap-shanghai).
//
// # Faithful to the seed pages (WeChat)
//
//   - URLs, request and response field names (fail_env_list with errmsg,
//     fail_list with errormsg, resp_data as a string, url and checksum).
//   - Error codes and their texts: 43002 require POST method, 41001
//     access_token missing, 40014 invalid access_token, 42001 access_token
//     expired, 44002 empty post data, 47001 data format error, 40101 missing
//     parameter, 40097 invalid args, 85088 no qbase privilege, -1 system
//     error; checked in that order. Vendor errors come with HTTP 200.
//   - Token kinds, always checked (API-NOTES.md "Which token each call
//     takes"): the batch calls take only a component_access_token;
//     createfunction and downloadfunction only an authorizer or Mini Program
//     access_token; invokecloudfunction either, but a component token only
//     in batch mode (see Assumptions). Options.Token passes everywhere.
//   - Partial failure: batch calls answer errcode 0 with the failed envs
//     listed; an env without cloud development is listed (85088's text)
//     unless no env has it, then the whole call is 85088.
//   - invokecloudfunction: the event is the POST body; object events get
//     userInfo.appId added, as the page's sample response shows; the function
//     gets 5 s.
//   - Tokens: expires_in 7200; stable_token returns the current token unless
//     force_refresh is set (its documented behaviour).
//
// # Faithful to the Tencent Cloud notes and the Go SDK
//
//   - The envelope: {"Response":{…,"RequestId":"<uuid>"}}, errors
//     {"Response":{"Error":{"Code","Message"},"RequestId"}}, both with HTTP
//     200; field names and types as the SDK's models (GetFunction's Status,
//     StatusReasons[{ErrorCode,ErrorMessage}], Environment.Variables[{Key,
//     Value}], Triggers; Invoke's Result{Log, RetMsg, ErrMsg, MemUsage,
//     Duration, BillDuration, FunctionRequestId, InvokeResult}; STS's
//     Credentials{Token, TmpSecretId, TmpSecretKey}, ExpiredTime, Expiration).
//   - TC3-HMAC-SHA256, verified here with the standard library from the
//     documented algorithm: the canonical request over the headers listed in
//     SignedHeaders (content-type and host required) with their values as
//     received, lower-cased and trimmed, Host exactly as sent (the SDK signs
//     host:port for a custom endpoint), the body's SHA-256 or that of
//     "UNSIGNED-PAYLOAD" with X-TC-Content-SHA256, the scope
//     <UTC date>/<service>/tc3_request. AuthFailure.InvalidAuthorization for a
//     missing or malformed header or a scope naming another service than the
//     action's ("…: `Service` in Credential not valid.", the real message),
//     AuthFailure.SignatureExpire for more than 5 minutes between
//     X-TC-Timestamp and Options.Now (either way),
//     AuthFailure.SecretIdNotFound for an unknown SecretId,
//     AuthFailure.TokenFailure for a temporary key without its X-TC-Token (or
//     expired), AuthFailure.SignatureFailure for a signature that does not
//     match, or a scope dated another day than the timestamp's UTC date
//     (clients that date in local time fail so on the real API).
//   - Common parameters: MissingParameter "The request is missing a required
//     parameter `X`." for a missing X-TC-Version, X-TC-Timestamp or
//     X-TC-Region or a required field; UnknownParameter "The parameter `X` is
//     not recognized." for any field, nested ones included ("Code.Zip",
//     "Environment.Variables.0.Name"), outside the SDK's request model of the
//     action (v1.3.166 models.go): manager-node's hidden Stamp and CodeSecret
//     are refused so. Fields are checked in sorted order, so the answer is
//     stable.
//   - Functions: ResourceInUse.Function on creating an existing name,
//     ResourceNotFound.Function for a missing one, ResourceNotFound.Namespace
//     for an env the emulator does not have.
//   - Asynchronous status: CreateFunction leaves the function Creating,
//     UpdateFunctionCode and UpdateFunctionConfiguration Updating, for
//     Options.StatusDelay (default 300ms), then Active. The status is computed
//     from timestamps against Options.Now, so tests advance a fake clock.
//     While Creating/Updating: UpdateFunctionCode answers
//     FailedOperation.UpdateFunctionCode, UpdateFunctionConfiguration
//     FailedOperation.UpdateFunctionConfiguration, CreateTrigger
//     FailedOperation.CreateTrigger, Invoke, GetFunctionAddress and
//     DeleteFunction FailedOperation.FunctionStatusError (the codes the SDK
//     lists for those actions). Invoke wants Active.
//   - Settings: Timeout 1-900 s (LimitExceeded.Timeout above), MemorySize 64
//     or 128-3072 MB in steps of 128 (LimitExceeded.Memory above 3072,
//     InvalidParameterValue.MemorySize otherwise), environment variables
//     within 4 KB (InvalidParameterValue.EnvironmentExceededLimit),
//     InvalidParameterValue.FunctionName for a name outside
//     ^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$, InvalidParameterValue.Handler
//     outside "file.function", MissingParameter.Runtime and
//     MissingParameter.Code, UpdateFunctionConfiguration's Environment
//     replacing every variable.
//   - Code: InvalidParameterValue.ZipFileBase64BinasciiError for bad base64,
//     InvalidParameterValue.ZipFile for something archive/zip cannot open;
//     Code.ZipFile up to 50 MB, UpdateFunctionCode's top-level ZipFile (what
//     manager-node sends) up to 20 MB.
//   - Invoke: LogType Tail returns the last 4 KB of the log (START, what the
//     function printed, the error and its stack, END, Report); ClientContext
//     is the event and must be JSON (InvalidParameterValue.Param).
//   - Timer triggers: TriggerDesc a 7-field cron (second minute hour day
//     month weekday year; InvalidParameterValue.TriggerDesc otherwise), read
//     back by GetFunction and ListTriggers as the JSON text {"cron":"…"} with
//     Enable 1/0; ResourceInUse.Trigger for a repeated name,
//     ResourceNotFound.Trigger when missing.
//   - STS AssumeRoleWithWebIdentity is unsigned (Authorization: SKIP; a
//     signed call is checked like any other): ProviderId must be
//     Options.OIDCProviderID, RoleArn qcs::cam::uin/<digits>:roleName/<name>
//     (InvalidParameter.ParamError), DurationSeconds at most 43200
//     (InvalidParameter.OverTimeError, default 7200); the token must verify
//     (InvalidParameter.WebIdentityTokenError, with the reason). The
//     temporary keys sign SCF calls with X-TC-Token until ExpiredTime.
//   - The GitHub endpoint answers {"value":"<JWT>"} to GET with
//     Authorization: Bearer <Options.OIDCRequestToken> (HTTP 401 otherwise),
//     like ACTIONS_ID_TOKEN_REQUEST_URL: Server.OIDCRequestURL already holds a
//     query, so clients append "&audience=…". Without audience the aud is the
//     owner's URL, GitHub's default.
//
// # Assumptions (not on the pages or in the notes; do not rely on them)
//
//   - A WeChat token of the wrong kind gets 48001 "api unauthorized": WeChat's
//     global code for a token whose account lacks the API's permission, which
//     is what a Mini Program token on a third-party-platform call is. Invoke
//     in batch mode: a component token may invoke only a function whose code
//     came from batchuploadscf/batchuploadscfcode (48001 otherwise).
//   - Function-side errors on the WeChat side use errcode -501000 with
//     Tencent-style messages:
//     "[ResourceInUse.Function] function already exists",
//     "[ResourceNotFound.Function] function not found",
//     "[FailedOperation.FunctionStatusError] function is updating, retry later"
//     (also while the function is Creating/Updating on the Tencent side);
//     runtime errors -504002 "functions execute fail | Error: <message>"
//     ("| main is not a function" when main is missing), timeouts -504003
//     "functions time limit exceeded: Invoking task timed out after 5 seconds".
//   - The per-env fail-list messages are the same texts (85088's text for an
//     env without cloud development).
//   - Download URLs (downloadfunction's url, GetFunctionAddress's Url) point
//     back at the emulator (built from the request's Host):
//     /_emulator/code/<env>/<name>/<version>?sign=…, never expire, and answer
//     COS-style XML errors (403 on a bad sign, 404 on an unknown version).
//     checksum and CodeSha256 are the hex SHA-256 of the zip exactly as
//     uploaded ("" for a function made by createfunction, which has no code);
//     Options.CodeSha256Base64 answers CodeSha256 as base64 of the digest
//     instead, since the vendor's encoding is unconfirmed.
//   - zipfile must be standard base64 of something archive/zip can open
//     (40097 says why not). Whatever valid zip arrives is stored: no flat-zip
//     check. The Tencent size limits are read as MiB of zip (20<<20,
//     50<<20), refused with InvalidParameterValue.ZipFile naming the limit.
//   - Function names in WeChat create calls must follow Tencent SCF's rule,
//     else 40097. A repeated env in one batch call is done once.
//   - Bodies over 72 MiB (a 50 MB zip in base64 fits) get HTTP 413 with an
//     nginx HTML page, like a gateway.
//   - /cgi-bin/token answers 48001: a deploy tool must never call it (it
//     invalidates the production servers' token). stable_token wants grant_type
//     "client_credential" (40002), a non-empty appid (40013) and secret (40001);
//     api_component_token a component_appid (40013), component_appsecret
//     (40125) and component_verify_ticket (61006).
//   - Functions made through WeChat get Runtime Nodejs18.15, Handler
//     index.main, Timeout 3, MemorySize 256, InstallDependency TRUE and are
//     Active at once; CreateFunction's defaults are the API's (Timeout 3,
//     MemorySize 128, InstallDependency FALSE) and Handler index.main_handler.
//   - The Tencent side serves POST with application/json only
//     (UnsupportedProtocol otherwise; the vendor also takes GET and form
//     bodies). An action it does not serve is InvalidAction (the SDK has no
//     BatchCreateTrigger, so neither has the emulator), another version
//     NoSuchVersion, a region Tencent Cloud does not have UnsupportedRegion.
//     A region that exists but is not Options.Region answers
//     ResourceNotFound.Namespace: the env is elsewhere, which is the real
//     cause. A call without Namespace means the vendor's "default", which no
//     CloudBase env is: ResourceNotFound.Namespace too (unless Options.Envs
//     lists "default"). The messages of InvalidAction, NoSuchVersion,
//     UnsupportedRegion and SignatureExpire are the emulator's wording.
//   - A wrongly typed field ("10" for Timeout, 3.5 for an integer) is
//     InvalidParameter "The value type of parameter `X` is not valid."; a
//     permanent key sent with an X-TC-Token is AuthFailure.TokenFailure; an
//     expired temporary key is AuthFailure.TokenFailure.
//   - Timeout below 1 is InvalidParameterValue.Timeout (the brief's code; the
//     SDK's lists have no such code). The 4 KB of variables count the bytes
//     of every name and value; names must match [A-Za-z_][A-Za-z0-9_]*,
//     unique (InvalidParameterValue.Environment).
//   - Runtime must be one of Nodejs10.15, 12.16, 14.18, 16.13, 18.15, 20.19,
//     Python3.6, 3.7, 3.9, 3.10, Php7.2, 7.4, 8.0, Go1, Java8, Java11,
//     CustomRuntime (the retired Nodejs6.10, Nodejs8.9 and Python2.7 are
//     refused: InvalidParameterValue.Runtime).
//   - Model fields the emulator does not implement are refused with
//     UnsupportedOperation when given a value, never accepted and ignored:
//     code from COS, a demo, TempCos, Git or an image (CodeSource other than
//     ZipFile), Layers, DeadLetterConfig, PublicNetConfig, CfsConfig,
//     ProtocolType/Params, InstanceConcurrencyConfig, IntranetConfig, EnvId,
//     Publish TRUE, Filters, InvocationType Event. Qualifier other than
//     $LATEST is InvalidParameterValue.Qualifier. Descriptive settings (Role,
//     Cls*, Tags, DnsCache, AsyncRunEnable, TraceEnable, InitTimeout, VpcConfig)
//     are accepted; Role is not checked against CAM.
//   - Dependency install: nothing is installed, but with InstallDependency
//     TRUE a package.json at the zip root that is not a JSON object ends
//     Creating in CreateFailed (Updating in UpdateFailed) with StatusReasons
//     [{"ErrorCode":"InstallDependencyFailed","ErrorMessage":"npm install
//     failed: package.json at the zip root is not a JSON object: …"}] and
//     StatusDesc the same message.
//   - DeleteFunction removes at once (no Deleting state). ListFunctions and
//     ListTriggers take Limit 0-100 (default 20, InvalidParameterValue.Limit
//     beyond); ListFunctions takes SearchKey and Description as substring
//     filters.
//   - Invoke: a failure has InvokeResult -1 and ErrMsg JSON
//     {"errorCode":-1,"errorMessage","errorType","stackTrace"}; a timeout
//     (the function's own Timeout) "Invoking task timed out after N seconds".
//     Paths in logs and stacks read /var/user (the code) and /var/runtime
//     (the emulator's harness), never the host's. A function whose runtime is
//     not Node.js, or without code, or with no node on this machine, answers
//     the echo (below) as RetMsg.
//   - STS: RoleSessionName 2-128 of [\w+=,.@-] (InvalidParameter.ParamError);
//     Options.RoleArn, when set, is the only role
//     (ResourceNotFound.RoleNotFound otherwise). The web identity token is a
//     JWT the emulator signs itself with HMAC-SHA256 (GitHub signs RS256 with
//     published keys): alg HS256, iss https://token.actions.githubusercontent.com,
//     aud Options.OIDCAudience (default sts.tencentcloudapi.com), exp 5
//     minutes after issue (GitHub's), nbf 10 minutes before; tokens of another
//     emulator do not verify.
//
// # Running functions
//
// When node is available (Options.Node), the runtime is Node.js and the
// zip has the handler's file at its root (index.js for index.main), invoke
// unpacks the code into a temporary directory and runs `await
// <export>(event, context)` in a child node process with a small harness;
// the answer is JSON.stringify of the result ("null" for undefined). The
// WeChat context is {function_name, env, namespace, request_id,
// function_version, memory_limit_in_mb, time_limit_in_ms}; SCF's adds
// tencentcloud_region and callbackWaitsForEmptyEventLoop. The child gets the
// function's environment variables and those the cloud sets (TCB_ENV,
// SCF_NAMESPACE, SCF_FUNCTIONNAME, TENCENTCLOUD_REGION…), never the host's
// environment. Dependencies are not installed (no cloud dependencies): code
// that requires a package it does not carry fails. Without node, or without
// the handler's file at the root, a WeChat invoke echoes deterministically:
// resp_data = {"echo": <event>, "env", "function", "version"}.
//
// # For tests
//
// Functions, FunctionsIn (one env, at a cost independent of how many envs
// there are), Function, Calls (with the Tencent Action, ErrorCode and the
// arrival time), Writes (WeChat batch and create calls, Tencent Create*,
// Update* and Delete* that reached the handler) and Stats (calls per path or
// action, the most in any one-second window by Options.Now, overall and per
// key) show the state; Seed installs functions; IssueOIDCToken mints web
// identity tokens; ExpireTokens, SetNotReady and Inject (Fault: errcodes,
// Tencent error codes with Action, HTTP errors, raw or truncated or empty
// bodies, redirects, extra headers such as Retry-After, resets, stalls,
// delays, per-env batch failures, errors inside resp_data) make it misbehave
// on purpose.
package emulator
