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

// ErrorText returns the errmsg the emulator sends with code: WeChat's text
// when it is known (seed tables, WeChat's global error-code page for the
// token codes), a generic one otherwise.
func ErrorText(code int) string {
	switch code {
	case 0:
		return "ok"
	case -1, -1000:
		return "system error"
	case 40001:
		return "invalid credential, access_token is invalid or not latest"
	case 40002:
		return "invalid grant_type"
	case 40013:
		return "invalid appid"
	case 40014:
		return "invalid access_token"
	case 40097:
		return "invalid args"
	case 40101:
		return "missing parameter"
	case 40125:
		return "invalid appsecret"
	case 40164:
		return "invalid ip, not in whitelist"
	case 41001:
		return "access_token missing"
	case 42001:
		return "access_token expired"
	case 43002:
		return "require POST method"
	case 44002:
		return "empty post data"
	case 45009:
		return "reach max api daily quota limit"
	case 45011:
		return "api minute-quota reach limit mustslower retry next minute"
	case 47001:
		return "data format error"
	case 48001:
		return "api unauthorized"
	case 61004:
		return "access clientip is not registered"
	case 61005:
		return "component ticket is expired"
	case 61006:
		return "component ticket is invalid"
	case 85088:
		return "no qbase privilege"
	case codeFunctionOp:
		return "[FailedOperation] function operation failed"
	case -504001, codeExecuteFail:
		return "functions execute fail"
	case codeTimeLimit:
		return "functions time limit exceeded"
	}
	return fmt.Sprintf("emulated error %d", code)
}
