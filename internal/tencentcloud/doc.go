// Package tencentcloud deploys CloudBase (TCB) cloud functions through the
// Tencent Cloud API, the way `tcb fn deploy` does: SCF 2018-04-16 with the
// env ID as the namespace, TC3-HMAC-SHA256 signed by the official SDK's
// common package, keys given or obtained keyless from GitHub's OIDC token
// through STS AssumeRoleWithWebIdentity. *Backend implements
// backend.Backend and backend.Configurer.
//
// The per-service SDK packages are not used: the request and response
// structs here carry only the fields this tool sends and reads, with the
// vendor's JSON names (tencentcloud-sdk-go scf/v20180416 and sts/v20180813
// models). Every request goes through the run's guarded transport (no
// cross-origin redirect, the max-rps limit) and is retried by httpx.Backoff,
// never by the SDK.
//
// # Faithful to the vendor (API-NOTES-TENCENTCLOUD.md §1-§4)
//
//   - The actions and parameters manager-node sends: CreateFunction with
//     Code.ZipFile, Role "TCB_QcsRole" and InstallDependency "TRUE"/"FALSE";
//     UpdateFunctionCode with a top-level ZipFile and the Handler (the
//     handler changes only with code); UpdateFunctionConfiguration without
//     Handler; Invoke with LogType "Tail" and the event as ClientContext.
//   - Errors arrive as {"Response":{"Error":{"Code","Message"},"RequestId"}}
//     with HTTP 200; both spellings of not-found (ResourceNotFound.Function,
//     .FunctionName) and of exists (ResourceInUse.Function, .FunctionName)
//     are accepted.
//   - The API is asynchronous: after a write the function is Creating or
//     Updating until it is Active, CreateFailed or UpdateFailed, and a write
//     to a busy function is refused.
//   - STS AssumeRoleWithWebIdentity is called unsigned (Authorization: SKIP),
//     as the SDK's OIDCRoleArnProvider does.
//
// # Assumptions (the notes' §6 "uncertain" list)
//
//   - CodeSha256 may be hex or base64: both are normalised to lowercase hex;
//     anything else is treated as "no checksum" so the code is compared.
//   - Stamp ("MINI_QCBASE") is not sent: see createFunctionRequest.
//   - Any of FailedOperation.UpdateFunctionCode, .FunctionStatusError,
//     .FunctionNameStatusError, .OperationConflict and
//     .FunctionVersionStatusNotActive means "busy": a write waits until the
//     function leaves Creating/Updating and is sent again.
//   - Timer triggers read back with TriggerDesc either bare or as
//     {"cron":"..."}; triggers this tool creates carry the Description
//     "managed by wxcloud-deploy", which is how it recognises them later.
package tencentcloud
