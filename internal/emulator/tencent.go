package emulator

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"time"
)

// The Tencent Cloud services and versions served (API-NOTES-TENCENTCLOUD.md).
const (
	serviceSCF = "scf"
	serviceSTS = "sts"
	versionSCF = "2018-04-16"
	versionSTS = "2018-08-13"
)

var serviceVersions = map[string]string{serviceSCF: versionSCF, serviceSTS: versionSTS}

// tcAction is one Tencent Cloud action the emulator serves.
type tcAction struct {
	service string
	// write actions count in Writes.
	write bool
	// skipSign actions may be sent unsigned (Authorization: SKIP).
	skipSign bool
	// params are the request fields of the SDK's model of the action.
	params schema
	run    func(*Server, *tcReq) (any, *tcError)
}

// tcActions are the actions served. Their field lists come from the Go SDK's
// scf/sts models.go (tcparams.go); the SDK has no BatchCreateTrigger, so
// neither has the emulator.
var tcActions = map[string]*tcAction{
	"CreateFunction":              {service: serviceSCF, write: true, params: createFunctionParams, run: (*Server).scfCreateFunction},
	"UpdateFunctionCode":          {service: serviceSCF, write: true, params: updateCodeParams, run: (*Server).scfUpdateCode},
	"UpdateFunctionConfiguration": {service: serviceSCF, write: true, params: updateConfigParams, run: (*Server).scfUpdateConfig},
	"GetFunction":                 {service: serviceSCF, params: getFunctionParams, run: (*Server).scfGetFunction},
	"GetFunctionAddress":          {service: serviceSCF, params: getAddressParams, run: (*Server).scfGetAddress},
	"Invoke":                      {service: serviceSCF, params: invokeParams, run: (*Server).scfInvoke},
	"ListFunctions":               {service: serviceSCF, params: listFunctionsParams, run: (*Server).scfListFunctions},
	"DeleteFunction":              {service: serviceSCF, write: true, params: deleteFunctionParams, run: (*Server).scfDeleteFunction},
	"CreateTrigger":               {service: serviceSCF, write: true, params: createTriggerParams, run: (*Server).scfCreateTrigger},
	"DeleteTrigger":               {service: serviceSCF, write: true, params: deleteTriggerParams, run: (*Server).scfDeleteTrigger},
	"ListTriggers":                {service: serviceSCF, params: listTriggersParams, run: (*Server).scfListTriggers},
	"AssumeRoleWithWebIdentity":   {service: serviceSTS, skipSign: true, params: assumeRoleParams, run: (*Server).stsAssumeRole},
}

// regions are the regions Tencent Cloud has (the Go SDK's common/regions).
var regions = map[string]bool{
	"ap-bangkok": true, "ap-beijing": true, "ap-chengdu": true, "ap-chongqing": true,
	"ap-guangzhou": true, "ap-guangzhou-open": true, "ap-hongkong": true, "ap-jakarta": true,
	"ap-mumbai": true, "ap-seoul": true, "ap-shanghai": true, "ap-nanjing": true,
	"ap-shanghai-fsi": true, "ap-shenzhen-fsi": true, "ap-singapore": true, "ap-tokyo": true,
	"eu-frankfurt": true, "eu-moscow": true, "na-ashburn": true, "na-siliconvalley": true,
	"na-toronto": true, "sa-saopaulo": true,
}

// tcError is a Tencent Cloud error answer.
type tcError struct{ Code, Message string }

// tcErr builds the error with the vendor text of code, its placeholders
// filled with args.
func tcErr(code string, args ...any) *tcError {
	text := TencentErrorText(code)
	if len(args) > 0 {
		text = fmt.Sprintf(text, args...)
	}
	return &tcError{code, text}
}

// tcErrDetail builds the error with the vendor text of code and what the
// emulator found wrong, so a test failure says why.
func tcErrDetail(code, format string, args ...any) *tcError {
	return &tcError{code, TencentErrorText(code) + " (" + fmt.Sprintf(format, args...) + ")"}
}

// tcReq is one Tencent Cloud call being served.
type tcReq struct {
	rq     *request
	id     string // RequestId
	act    *tcAction
	region string
	now    time.Time
}

func (tr *tcReq) header(name string) string { return tr.rq.r.Header.Get(name) }

// tencent serves POST / with X-TC-Action: the common checks, the signature,
// the action's parameters, then the action.
func (s *Server) tencent(rq *request) reply {
	tr := &tcReq{rq: rq, id: newRequestID(), now: s.opts.Now()}
	out, err := s.tencentRun(tr)
	if err != nil {
		return tcErrorReply(tr.id, err)
	}
	return tcOKReply(tr.id, out)
}

func (s *Server) tencentRun(tr *tcReq) (any, *tcError) {
	if err := tr.common(); err != nil {
		return nil, err
	}
	if err := s.authenticate(tr); err != nil {
		return nil, err
	}
	if tr.rq.jsonErr != nil {
		return nil, &tcError{tcInvalidParameter, "The request body is not a JSON object."}
	}
	if err := tr.act.params.check(tr.rq.fields, ""); err != nil {
		return nil, err
	}
	return tr.act.run(s, tr)
}

// common checks what every call carries besides its signature, in the order
// a gateway can: protocol, common parameters, action, version, region.
func (tr *tcReq) common() *tcError {
	r := tr.rq.r
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if r.Method != http.MethodPost || mt != "application/json" {
		return tcErr(tcUnsupportedProtocol)
	}
	for _, h := range []struct{ header, param string }{
		{"X-TC-Version", "Version"}, {"X-TC-Timestamp", "Timestamp"}, {"X-TC-Region", "Region"},
	} {
		if tr.header(h.header) == "" {
			return tcErr(tcMissingParameter, h.param)
		}
	}
	tr.act = tcActions[tr.rq.action]
	if tr.act == nil {
		return tcErr(tcInvalidAction, tr.rq.action)
	}
	if v := tr.header("X-TC-Version"); v != serviceVersions[tr.act.service] {
		return tcErr(tcNoSuchVersion, v, tr.act.service)
	}
	tr.region = tr.header("X-TC-Region")
	if !regions[tr.region] {
		return tcErr(tcUnsupportedRegion, tr.region)
	}
	return nil
}

// tcOKReply wraps an action's answer in the API 3.0 envelope:
// {"Response":{<fields>,"RequestId":"…"}}.
func tcOKReply(id string, out any) reply {
	fields, err := json.Marshal(out)
	if err != nil || len(fields) < 2 || fields[0] != '{' {
		// Only a bug can get here: every answer is a struct.
		return tcErrorReply(id, &tcError{tcInternalError, "the emulator could not encode its answer"})
	}
	var b bytes.Buffer
	b.WriteString(`{"Response":`)
	b.Write(fields[:len(fields)-1])
	if len(fields) > 2 {
		b.WriteByte(',')
	}
	b.WriteString(`"RequestId":`)
	id2, _ := json.Marshal(id)
	b.Write(id2)
	b.WriteString(`}}`)
	return reply{raw: b.Bytes(), rawSet: true, contentType: "application/json"}
}

// tcErrorReply is the error envelope, with HTTP 200 as the vendor sends it.
func tcErrorReply(id string, e *tcError) reply {
	body := struct {
		Response struct {
			Error     tcError
			RequestID string `json:"RequestId"`
		}
	}{}
	body.Response.Error, body.Response.RequestID = *e, id
	data, _ := json.Marshal(body)
	return reply{raw: data, rawSet: true, contentType: "application/json", tcCode: e.Code}
}

// newRequestID is a UUID v4, the shape of the vendor's RequestId.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}
