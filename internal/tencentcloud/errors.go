package tencentcloud

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

// Error is a failed Tencent Cloud call: a vendor error code, or no usable
// answer. Its message is redacted; it says what failed, for which function
// and env, what the code means and what to do, and keeps the raw code and
// the RequestId visible for a support ticket.
//
// It has no Unwrap: the cause may carry text the Redactor learns only later.
// Is answers for context errors, so errors.Is(err, context.Canceled) works.
type Error struct {
	// Action is the vendor call ("UpdateFunctionCode"), or "GitHub OIDC
	// token" for the token request.
	Action        string
	Function, Env string
	// Code is the vendor's code ("ResourceNotFound.Namespace"); "" when no
	// vendor answer was read.
	Code      string
	Message   string // the vendor's message or the transport failure, redacted
	RequestID string
	Hint      string
	// Status is the HTTP status of an answer that was not 200; 0 otherwise.
	Status int
	// Attempts is how many requests were sent.
	Attempts int
	// Write marks a call that changes something: a write without a usable
	// answer may or may not have been applied.
	Write bool
	K     backend.Kind

	cause error
	r     *redact.Redactor
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.Action)
	if e.Function != "" {
		fmt.Fprintf(&b, " %q", e.Function)
	}
	if e.Env != "" {
		fmt.Fprintf(&b, " in env %q", e.Env)
	}
	b.WriteString(": ")
	switch {
	case e.Code != "":
		fmt.Fprintf(&b, "%s %q", e.Code, e.Message)
	case e.K == backend.KindCancelled:
		b.WriteString("cancelled")
	default:
		b.WriteString(e.Message)
	}
	if e.Hint != "" {
		b.WriteString(": ")
		b.WriteString(e.Hint)
	}
	if e.Write && e.K == backend.KindUnreachable {
		b.WriteString("; the call may or may not have been applied")
	}
	var tail []string
	if e.RequestID != "" {
		tail = append(tail, "RequestId "+e.RequestID)
	}
	if e.Attempts > 1 {
		tail = append(tail, fmt.Sprintf("%d attempts", e.Attempts))
	}
	if len(tail) > 0 {
		b.WriteString(" (" + strings.Join(tail, ", ") + ")")
	}
	return e.r.String(b.String())
}

// Kind implements backend.Classified.
func (e *Error) Kind() backend.Kind { return e.K }

// VendorCode implements backend.Coded: Tencent Cloud codes are names.
func (e *Error) VendorCode() (int, string) { return 0, e.Code }

// Is reports context errors in the cause (cancellation, deadline).
func (e *Error) Is(target error) bool {
	if target != context.Canceled && target != context.DeadlineExceeded {
		return false
	}
	return e.cause != nil && errors.Is(e.cause, target)
}

// authMode says which credentials a hint should name.
type authMode int

const (
	authKeys authMode = iota
	authTempKeys
	authOIDC
)

// hintCtx is what a hint may name.
type hintCtx struct {
	action, fn, env, region string
	auth                    authMode
	customURL               bool
}

func (h hintCtx) who() string {
	switch h.auth {
	case authOIDC:
		return "the role named by role-arn"
	case authTempKeys:
		return "the identity that issued the temporary keys (secret-id/session-token)"
	}
	return "the CAM user or role owning secret-id"
}

// explanation is what a code means: the Kind deploy acts on, and the hint.
type explanation struct {
	kind backend.Kind
	hint func(h hintCtx) string
}

func fixed(k backend.Kind, s string) explanation {
	return explanation{kind: k, hint: func(hintCtx) string { return s }}
}

const (
	proxyHint    = "a proxy may have changed the request (check tencentcloud-api-url)"
	busyHint     = "the function is busy (being created or updated, or another operation on it is running); the tool waited for it to settle and sent the call again: run again once it is Active in the CloudBase console"
	throttleHint = "Tencent Cloud throttled the calls; they were retried with backoff within the timeout input: lower max-rps or concurrency"
	internalHint = "Tencent Cloud reported an internal error (reads were retried): try again later; quote the RequestId to Tencent Cloud support if it persists"
	invalidHint  = "a parameter was refused (the message names it): check function-name, runtime, handler, memory, function-timeout, env-vars, vpc-id and subnet-id"
	requestHint  = "the API refused the request's shape: " + proxyHint + "; otherwise report this as a wxcloud-deploy bug"
	packageHint  = "the code package was refused: it must be a zip of the function's directory (the tool builds one); " + proxyHint
	roleHint     = "the CloudBase service role TCB_QcsRole is missing or cannot be used: open the env once in the CloudBase console (it creates the role), or grant it in CAM > Roles"
	accountHint  = "the Tencent Cloud account is in arrears, isolated or has not activated SCF: settle it or activate Serverless Cloud Function in the console"
)

func notFoundHint(h hintCtx) string {
	return fmt.Sprintf("function %q does not exist in env %q (region %s)", h.fn, h.env, h.region)
}

func noEnvHint(h hintCtx) string {
	return fmt.Sprintf("no env %q in region %q: check the env ID (envs) and the region input, which must be the env's region (the CloudBase console shows it; ap-shanghai, ap-guangzhou, ap-beijing...)", h.env, h.region)
}

func camHint(h hintCtx) string {
	return fmt.Sprintf("the CAM policy of %s does not allow scf:%s on env %q: attach QcloudTCBFullAccess (or QcloudSCFFullAccess), or a policy allowing scf:%s on resource qcs::scf:%s::namespace/%s/function/*",
		h.who(), h.action, h.env, h.action, h.region, h.env)
}

// codes explains every code of API-NOTES-TENCENTCLOUD.md §3, the STS codes
// of §4, and the SCF codes a deploy can meet. Prefixes below cover the rest
// of each family.
var codes = map[string]explanation{
	"AuthFailure.SignatureFailure": {backend.KindDenied, func(h hintCtx) string {
		if h.auth == authOIDC {
			return "the temporary keys from STS did not sign correctly: " + proxyHint
		}
		return "the signature does not match: secret-key is not the key of secret-id (check both inputs for a truncated copy); " + proxyHint
	}},
	"AuthFailure.SecretIdNotFound": {backend.KindDenied, func(h hintCtx) string {
		if h.auth == authOIDC {
			return "the temporary SecretId from STS is unknown to SCF: STS and SCF must be the same cloud (check tencentcloud-api-url)"
		}
		return "secret-id is unknown or the key is disabled: check secret-id and that the key is enabled in CAM > API keys"
	}},
	"AuthFailure.SignatureExpire":      fixed(backend.KindDenied, "the request's timestamp is more than 5 minutes away from Tencent Cloud's clock: fix this machine's clock (NTP); a self-hosted runner's clock is the usual cause"),
	"AuthFailure.InvalidAuthorization": fixed(backend.KindDenied, "the Authorization header arrived malformed: "+proxyHint),
	"AuthFailure.TokenFailure": {backend.KindDenied, func(h hintCtx) string {
		switch h.auth {
		case authOIDC:
			return "the STS session token was refused or has expired: the run outlived the temporary keys, or the role no longer trusts the OIDC provider; run again"
		case authTempKeys:
			return "session-token is wrong or expired: temporary keys work only with the token issued with them, until they expire"
		}
		return "the key needs a session token: temporary keys (from STS) need session-token; a permanent API key needs none"
	}},
	"AuthFailure.UnauthorizedOperation": {backend.KindDenied, camHint},
	"UnauthorizedOperation":             {backend.KindDenied, camHint},
	"UnauthorizedOperation.CAM":         {backend.KindDenied, camHint},
	"UnauthorizedOperation.CodeSecret":  fixed(backend.KindDenied, "the function's code is encrypted with a CodeSecret, which this tool does not send: deploy to a function without one"),
	"UnauthorizedOperation.Role":        fixed(backend.KindDenied, roleHint),
	"UnauthorizedOperation.Region": {backend.KindDenied, func(h hintCtx) string {
		return fmt.Sprintf("the account may not use SCF in region %q: check the region input", h.region)
	}},
	"InvalidParameter.WebIdentityTokenError":              fixed(backend.KindDenied, oidcTokenHint),
	"InternalError.GetRoleError":                          fixed(backend.KindDenied, "STS could not read the role: check role-arn (qcs::cam::uin/<uin>:roleName/<name>) and that the role exists"),
	"InvalidParameter.OverLimit":                          fixed(backend.KindDenied, "STS refused the session duration: it must not exceed the role's maximum session duration (CAM > Roles)"),
	"RequestLimitExceeded":                                fixed(backend.KindBusy, throttleHint),
	"InternalError":                                       fixed(backend.KindUnreachable, internalHint),
	"FailedOperation.UpdateFunctionCode":                  fixed(backend.KindBusy, busyHint),
	"FailedOperation.FunctionStatusError":                 fixed(backend.KindBusy, busyHint),
	"FailedOperation.FunctionNameStatusError":             fixed(backend.KindBusy, busyHint),
	"FailedOperation.OperationConflict":                   fixed(backend.KindBusy, busyHint),
	"FailedOperation.FunctionVersionStatusNotActive":      fixed(backend.KindBusy, busyHint),
	"FailedOperation.UpdateFunctionConfiguration":         fixed(backend.KindOther, "the configuration update was refused: check function-timeout (1-900 s), memory (64, or 128-3072 MB in 128 MB steps) and env-vars"),
	"FailedOperation.QcsRoleNotFound":                     fixed(backend.KindDenied, roleHint),
	"ResourceNotFound.Role":                               fixed(backend.KindDenied, roleHint),
	"ResourceNotFound.Function":                           {backend.KindNotFound, notFoundHint},
	"ResourceNotFound.FunctionName":                       {backend.KindNotFound, notFoundHint},
	"ResourceNotFound.Namespace":                          {backend.KindNoEnv, noEnvHint},
	"ResourceUnavailable.Namespace":                       {backend.KindNoEnv, noEnvHint},
	"InvalidParameterValue.Namespace":                     {backend.KindNoEnv, noEnvHint},
	"InvalidParameterValue.NamespaceInvalid":              {backend.KindNoEnv, noEnvHint},
	"ResourceInUse.Function":                              {backend.KindExists, func(h hintCtx) string { return fmt.Sprintf("function %q already exists in env %q", h.fn, h.env) }},
	"ResourceInUse.FunctionName":                          {backend.KindExists, func(h hintCtx) string { return fmt.Sprintf("function %q already exists in env %q", h.fn, h.env) }},
	"ResourceInUse.Trigger":                               fixed(backend.KindOther, "a trigger with this name already exists on the function: rename the trigger in config.json, or set prune-triggers: true"),
	"ResourceInUse.TriggerName":                           fixed(backend.KindOther, "a trigger with this name already exists on the function: rename the trigger in config.json, or set prune-triggers: true"),
	"InvalidParameterValue.ZipFile":                       fixed(backend.KindOther, packageHint),
	"InvalidParameterValue.ZipFileBase64BinasciiError":    fixed(backend.KindOther, "the API could not decode the package's base64: "+proxyHint),
	"InvalidParameterValue.Code":                          fixed(backend.KindOther, packageHint),
	"MissingParameter.Code":                               fixed(backend.KindOther, packageHint),
	"InvalidParameter.RequestTooLarge":                    fixed(backend.KindOther, "the request is too large: UpdateFunctionCode takes a package up to 20 MB, CreateFunction up to 50 MB (before base64): make the package smaller (files input, size-limit)"),
	"InvalidParameterValue.FunctionName":                  fixed(backend.KindOther, "function-name: 2-60 letters, digits, - and _, starting with a letter and not ending with - or _"),
	"InvalidParameter.FunctionName":                       fixed(backend.KindOther, "function-name: 2-60 letters, digits, - and _, starting with a letter and not ending with - or _"),
	"InvalidParameterValue.Runtime":                       fixed(backend.KindOther, "runtime: not a runtime SCF offers here (e.g. Nodejs18.15, Nodejs16.13); a function's runtime is fixed at creation"),
	"MissingParameter.Runtime":                            fixed(backend.KindOther, "runtime: required at creation (e.g. Nodejs18.15)"),
	"InvalidParameterValue.Handler":                       fixed(backend.KindOther, "handler: file.function, e.g. index.main for exports.main in index.js"),
	"InvalidParameterValue.MemorySize":                    fixed(backend.KindOther, "memory: 64, or 128-3072 MB in steps of 128"),
	"InvalidParameterValue.Memory":                        fixed(backend.KindOther, "memory: 64, or 128-3072 MB in steps of 128"),
	"LimitExceeded.Memory":                                fixed(backend.KindOther, "memory: more than the account's limit allows (64, or 128-3072 MB in steps of 128)"),
	"LimitExceeded.Timeout":                               fixed(backend.KindOther, "function-timeout: 1-900 seconds"),
	"InvalidParameterValue.Environment":                   fixed(backend.KindOther, "env-vars: names are letters, digits and _, values must not be empty"),
	"InvalidParameterValue.EnvironmentExceededLimit":      fixed(backend.KindOther, "env-vars: all variables together must stay under 4 KB"),
	"InvalidParameterValue.EnvironmentSystemProtect":      fixed(backend.KindOther, "env-vars: a name is reserved by SCF (SCF_*, TENCENTCLOUD_*...): rename it"),
	"InvalidParameterValue.Stamp":                         fixed(backend.KindOther, "the namespace refused the create: CloudBase namespaces may require manager-node's Stamp MINI_QCBASE, which this tool does not send; create the function once in the CloudBase console or with tcb fn deploy, then deploy again"),
	"InvalidParameterValue.CodeSecret":                    fixed(backend.KindOther, "the function's code is encrypted with a CodeSecret, which this tool does not send"),
	"InvalidParameterValue.Param":                         fixed(backend.KindOther, "invoke-data: must be a JSON object"),
	"InvalidParameterValue.ClientContext":                 fixed(backend.KindOther, "invoke-data: must be a JSON object"),
	"InvalidParameterValue.TriggerDesc":                   fixed(backend.KindOther, "a trigger's cron in config.json was refused: seven fields, second minute hour day month weekday year"),
	"InvalidParameterValue.TriggerCronConfig":             fixed(backend.KindOther, "a trigger's cron in config.json was refused: seven fields, second minute hour day month weekday year"),
	"InvalidParameterValue.TriggerCronConfigTimeInterval": fixed(backend.KindOther, "a trigger's cron in config.json fires too often for SCF"),
	"InvalidParameterValue.TriggerName":                   fixed(backend.KindOther, "a trigger's name in config.json: letters, digits, - and _, up to 100"),
	"InvalidParameterValue.Vpc":                           fixed(backend.KindOther, "vpc-id/subnet-id: the VPC or subnet does not exist in this region"),
	"ResourceNotFound.Vpc":                                fixed(backend.KindOther, "vpc-id/subnet-id: the VPC or subnet does not exist in this region"),
	"UnsupportedOperation.VpcConfig":                      fixed(backend.KindOther, "vpc-id/subnet-id: this function cannot use that VPC configuration"),
	"LimitExceeded.Function":                              fixed(backend.KindOther, "the env has reached its number of functions: delete unused functions or raise the quota"),
	"LimitExceeded.Trigger":                               fixed(backend.KindOther, "the function has reached its number of triggers: remove some in config.json"),
	"UnsupportedRegion":                                   {backend.KindNoEnv, func(h hintCtx) string { return fmt.Sprintf("the region input %q is not served by this API", h.region) }},
	"UnsupportedOperation.Region":                         {backend.KindNoEnv, func(h hintCtx) string { return fmt.Sprintf("the region input %q is not served by this API", h.region) }},
	"InvalidAction":                                       fixed(backend.KindOther, requestHint),
	"NoSuchVersion":                                       fixed(backend.KindOther, requestHint),
	"UnknownParameter":                                    fixed(backend.KindOther, requestHint),
	"MissingParameter":                                    fixed(backend.KindOther, requestHint),
	"InvalidParameter":                                    fixed(backend.KindOther, requestHint),
}

// prefixes explain the families' other members, most specific first.
var prefixes = []struct {
	prefix string
	explanation
}{
	{"AuthFailure.", fixed(backend.KindDenied, "authentication failed: check secret-id, secret-key and session-token (or role-arn and oidc-provider-id for keyless auth)")},
	{"UnauthorizedOperation.", explanation{backend.KindDenied, camHint}},
	{"RequestLimitExceeded", fixed(backend.KindBusy, throttleHint)},
	{"InternalError", fixed(backend.KindUnreachable, internalHint)},
	{"OperationDenied.", fixed(backend.KindDenied, accountHint)},
	{"ResourceUnavailable.", fixed(backend.KindDenied, accountHint)},
	{"FailedOperation.InsufficientBalance", fixed(backend.KindDenied, accountHint)},
	{"FailedOperation.UnOpenedService", fixed(backend.KindDenied, accountHint)},
	{"FailedOperation.ServiceClosed", fixed(backend.KindDenied, accountHint)},
	{"InvalidParameterValue", fixed(backend.KindOther, invalidHint)},
	{"InvalidParameter.", fixed(backend.KindOther, invalidHint)},
	{"MissingParameter.", fixed(backend.KindOther, requestHint)},
	{"LimitExceeded.", fixed(backend.KindOther, "an account or function limit was reached (the message names it)")},
}

const unknownCodeHint = "see Tencent Cloud's SCF error codes (cloud.tencent.com/document/api/583) for this code"

// explain returns what a vendor code means.
func explain(code string, h hintCtx) (backend.Kind, string) {
	if e, ok := codes[code]; ok {
		return e.kind, e.hint(h)
	}
	for _, p := range prefixes {
		if strings.HasPrefix(code, p.prefix) {
			return p.kind, p.hint(h)
		}
	}
	return backend.KindOther, unknownCodeHint
}

// retryClass is which calls may send a request again after a failure.
type retryClass int

const (
	noRetry retryClass = iota
	// retryReads: the request may have been applied (an internal error, a
	// lost answer), or the function is busy (writes wait for it instead).
	retryReads
	// retryAll: the request certainly was not applied (throttled, never
	// sent).
	retryAll
)

// busyCodes say that the function is being created or updated, or another
// operation holds it. Which one a write to an Updating function gets is not
// documented (API-NOTES-TENCENTCLOUD.md §6.2), so all count.
var busyCodes = map[string]bool{
	"FailedOperation.UpdateFunctionCode":             true,
	"FailedOperation.FunctionStatusError":            true,
	"FailedOperation.FunctionNameStatusError":        true,
	"FailedOperation.OperationConflict":              true,
	"FailedOperation.FunctionVersionStatusNotActive": true,
}

func isBusyCode(code string) bool { return busyCodes[code] }

func codeRetry(code string) retryClass {
	switch {
	case strings.HasPrefix(code, "RequestLimitExceeded"):
		return retryAll
	case code == "InternalError.GetRoleError":
		// STS's "role not found": the same answer every time.
		return noRetry
	case strings.HasPrefix(code, "InternalError"), isBusyCode(code):
		return retryReads
	}
	return noRetry
}

// isNotFound reports a function that does not exist.
func isNotFound(err error) bool { return backend.KindOf(err) == backend.KindNotFound }

// codeOf returns the vendor code of err, "" if none.
func codeOf(err error) string {
	_, c := backend.CodeOf(err)
	return c
}
