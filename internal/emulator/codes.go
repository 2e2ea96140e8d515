package emulator

import "fmt"

// Error codes the emulator answers with. The positive ones and -1/-1000 are in
// the seed pages' error tables; the -50xxxx ones are the function-side codes
// API-NOTES.md describes (their messages are assumptions, see doc.go).
const (
	codeOK            = 0
	codeInvalidCred   = 40001
	codeInvalidGrant  = 40002
	codeInvalidAppID  = 40013
	codeInvalidToken  = 40014
	codeInvalidArgs   = 40097
	codeMissingParam  = 40101
	codeInvalidSecret = 40125
	codeTokenMissing  = 41001
	codeTokenExpired  = 42001
	codeRequirePOST   = 43002
	codeEmptyPost     = 44002
	codeDataFormat    = 47001
	codeUnauthorized  = 48001
	codeTicketInvalid = 61006
	codeNoQbase       = 85088
	codeFunctionOp    = -501000
	codeExecuteFail   = -504002
	codeTimeLimit     = -504003

	msgFunctionExists  = "[ResourceInUse.Function] function already exists"
	msgFunctionMissing = "[ResourceNotFound.Function] function not found"
	msgFunctionBusy    = "[FailedOperation.FunctionStatusError] function is updating, retry later"
)

// wechatTexts are WeChat's errmsg texts: the seed tables, and WeChat's global
// error-code page for the token codes. A table, not a switch: one row per
// code keeps the lookup flat however many codes join.
var wechatTexts = map[int]string{
	0:               "ok",
	-1:              "system error",
	-1000:           "system error",
	40001:           "invalid credential, access_token is invalid or not latest",
	40002:           "invalid grant_type",
	40013:           "invalid appid",
	40014:           "invalid access_token",
	40097:           "invalid args",
	40101:           "missing parameter",
	40125:           "invalid appsecret",
	40164:           "invalid ip, not in whitelist",
	41001:           "access_token missing",
	42001:           "access_token expired",
	43002:           "require POST method",
	44002:           "empty post data",
	45009:           "reach max api daily quota limit",
	45011:           "api minute-quota reach limit mustslower retry next minute",
	47001:           "data format error",
	48001:           "api unauthorized",
	61004:           "access clientip is not registered",
	61005:           "component ticket is expired",
	61006:           "component ticket is invalid",
	85088:           "no qbase privilege",
	codeFunctionOp:  "[FailedOperation] function operation failed",
	-504001:         "functions execute fail",
	codeExecuteFail: "functions execute fail",
	codeTimeLimit:   "functions time limit exceeded",
}

// ErrorText returns the errmsg the emulator sends with code: WeChat's text
// when it is known (seed tables, WeChat's global error-code page for the
// token codes), a generic one otherwise.
func ErrorText(code int) string {
	if t, ok := wechatTexts[code]; ok {
		return t
	}
	return fmt.Sprintf("emulated error %d", code)
}

// Tencent Cloud API 3.0 error codes (API-NOTES-TENCENTCLOUD.md §3, the Go
// SDK's scf/sts errors.go).
const (
	tcInvalidAuthorization = "AuthFailure.InvalidAuthorization"
	tcSignatureExpire      = "AuthFailure.SignatureExpire"
	tcSignatureFailure     = "AuthFailure.SignatureFailure"
	tcSecretIDNotFound     = "AuthFailure.SecretIdNotFound"
	tcTokenFailure         = "AuthFailure.TokenFailure"
	tcInvalidAction        = "InvalidAction"
	tcNoSuchVersion        = "NoSuchVersion"
	tcUnsupportedRegion    = "UnsupportedRegion"
	tcUnsupportedProtocol  = "UnsupportedProtocol"
	tcUnknownParameter     = "UnknownParameter"
	tcMissingParameter     = "MissingParameter"
	tcInvalidParameter     = "InvalidParameter"
	tcInvalidValue         = "InvalidParameterValue"
	tcUnsupportedOperation = "UnsupportedOperation"
	tcInternalError        = "InternalError"

	tcNamespaceNotFound = "ResourceNotFound.Namespace"
	tcFunctionNotFound  = "ResourceNotFound.Function"
	tcFunctionInUse     = "ResourceInUse.Function"
	tcTriggerNotFound   = "ResourceNotFound.Trigger"
	tcTriggerInUse      = "ResourceInUse.Trigger"
	tcBusyCode          = "FailedOperation.UpdateFunctionCode"
	tcBusyConfig        = "FailedOperation.UpdateFunctionConfiguration"
	tcBusyTrigger       = "FailedOperation.CreateTrigger"
	tcBusyStatus        = "FailedOperation.FunctionStatusError"
	tcNoAddress         = "FailedOperation.GetFunctionAddress"
	tcMissingCode       = "MissingParameter.Code"
	tcMissingRuntime    = "MissingParameter.Runtime"
	tcBadFunctionName   = "InvalidParameterValue.FunctionName"
	tcBadRuntime        = "InvalidParameterValue.Runtime"
	tcBadHandler        = "InvalidParameterValue.Handler"
	tcBadTimeout        = "InvalidParameterValue.Timeout"
	tcTimeoutLimit      = "LimitExceeded.Timeout"
	tcBadMemory         = "InvalidParameterValue.MemorySize"
	tcMemoryLimit       = "LimitExceeded.Memory"
	tcBadEnvironment    = "InvalidParameterValue.Environment"
	tcEnvironmentLimit  = "InvalidParameterValue.EnvironmentExceededLimit"
	tcBadDescription    = "InvalidParameterValue.Description"
	tcBadType           = "InvalidParameterValue.Type"
	tcBadZip            = "InvalidParameterValue.ZipFile"
	tcBadBase64         = "InvalidParameterValue.ZipFileBase64BinasciiError"
	tcBadCode           = "InvalidParameterValue.Code"
	tcBadParam          = "InvalidParameterValue.Param"
	tcBadQualifier      = "InvalidParameterValue.Qualifier"
	tcBadLimit          = "InvalidParameterValue.Limit"
	tcBadOffset         = "InvalidParameterValue.Offset"
	tcBadOrder          = "InvalidParameterValue.Order"
	tcBadTriggerDesc    = "InvalidParameterValue.TriggerDesc"
	tcBadTriggerName    = "InvalidParameterValue.TriggerName"
	tcBadEnable         = "InvalidParameterValue.Enable"

	stsTokenError   = "InvalidParameter.WebIdentityTokenError"
	stsParamError   = "InvalidParameter.ParamError"
	stsOverTime     = "InvalidParameter.OverTimeError"
	stsRoleNotFound = "ResourceNotFound.RoleNotFound"
)

// tencentTexts are the vendor's messages: the common API 3.0 texts as real
// responses carry them (quoted in public issue threads), and the English
// descriptions of the SDK's error tables (tencentcloud-sdk-java-intl-en
// ScfErrorCode/StsErrorCode) for the product codes. Messages with a
// placeholder take the parameter, action or version in backquotes, as the
// real ones do.
var tencentTexts = map[string]string{
	tcInvalidAuthorization: "The request `Authorization` header does not conform to tencentcloud standards",
	tcSignatureExpire:      "Signature expired: the request timestamp is more than 5 minutes away from the server time",
	tcSignatureFailure:     "The provided credentials could not be validated. Please check your signature is correct.",
	tcSecretIDNotFound:     "The SecretId is not found, please ensure that your SecretId is correct.",
	tcTokenFailure:         "Token verification failed. Please check your Token is correct.",
	tcInvalidAction:        "The action `%s` is not valid for this endpoint.",
	tcNoSuchVersion:        "The requested version `%s` of service `%s` does not exist.",
	tcUnsupportedRegion:    "The region `%s` is not supported.",
	tcUnsupportedProtocol:  "The emulator serves Tencent Cloud API calls only as POST with Content-Type application/json.",
	tcUnknownParameter:     "The parameter `%s` is not recognized.",
	tcMissingParameter:     "The request is missing a required parameter `%s`.",
	tcInvalidParameter:     "The value type of parameter `%s` is not valid.",
	tcInvalidValue:         "The value of parameter `%s` is not valid.",
	tcUnsupportedOperation: "Unsupported operation.",
	tcInternalError:        "Internal error.",

	tcNamespaceNotFound: "Namespace does not exist.",
	tcFunctionNotFound:  "The function does not exist.",
	tcFunctionInUse:     "The function already exists.",
	tcTriggerNotFound:   "The trigger does not exist.",
	tcTriggerInUse:      "This TriggerName already exists.",
	tcBusyCode:          "You cannot update code in the current function state. Please try again when the state is normal.",
	tcBusyConfig:        "The `UpdateFunctionConfiguration` operation failed.",
	tcBusyTrigger:       "This operation is not supported in the current function state.",
	tcBusyStatus:        "Operation failed. The function is deploying.",
	tcNoAddress:         "Failed to get the function address.",
	tcMissingCode:       "Code was not passed in.",
	tcMissingRuntime:    "The Runtime field is missing.",
	tcBadFunctionName:   "FunctionName error.",
	tcBadRuntime:        "Runtime error.",
	tcBadHandler:        "Handler error.",
	tcBadTimeout:        "Timeout error.",
	tcTimeoutLimit:      "Timeout exceeds the upper limit.",
	tcBadMemory:         "The value of `Memory` does not conform to the specification: 64 MB, or 128 MB to 3072 MB in steps of 128 MB.",
	tcMemoryLimit:       "The memory exceeds the upper limit.",
	tcBadEnvironment:    "Environment error.",
	tcEnvironmentLimit:  "The size of the environment variable exceeds the limit. Please keep it within 4 KB.",
	tcBadDescription:    "Description error.",
	tcBadType:           "Type error.",
	tcBadZip:            "A non-standard zip file was detected. Please recompress and try again.",
	tcBadBase64:         "Failed to Base64-decode the compressed file. Please fix it and try again.",
	tcBadCode:           "Code error.",
	tcBadParam:          "The input parameter is not in the standard JSON format.",
	tcBadQualifier:      "Unsupported function version.",
	tcBadLimit:          "Limit error.",
	tcBadOffset:         "Invalid offset.",
	tcBadOrder:          "Order error.",
	tcBadTriggerDesc:    "TriggerDesc error.",
	tcBadTriggerName:    "TriggerName error.",
	tcBadEnable:         "The value of `Enable` does not conform to the specification.",

	stsTokenError:   "WebIdentityToken parameter error",
	stsParamError:   "Invalid parameter.",
	stsOverTime:     "The expiration time exceeds the threshold.",
	stsRoleNotFound: "The role corresponding to the account does not exist.",
}

// TencentErrorText returns the Message the emulator sends with a Tencent
// Cloud error code (placeholders unfilled), or a generic one for codes it
// does not know.
func TencentErrorText(code string) string {
	if t, ok := tencentTexts[code]; ok {
		return t
	}
	return "Emulated error " + code + "."
}
