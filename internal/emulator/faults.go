package emulator

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Fault changes how matching requests are answered, to test retries and
// failure handling. A fault that answers (Errcode, ErrorCode, HTTPStatus,
// Body, EmptyBody, Redirect, Reset, Stall) takes the request alone: the first
// such fault that matches, in injection order, wins. Otherwise every
// matching fault that only delays or modifies (Delay, Headers, FailEnv,
// ThrowAsRespData) applies. Each fault that applies to a request uses up one
// of its Times.
type Fault struct {
	// Path is the request path ("/componenttcb/batchuploadscf"...); "" means
	// any WeChat cloud-function call (token endpoints, code downloads and the
	// GitHub OIDC endpoint only when named; "/_emulator/code" names every
	// code download; "/" every Tencent Cloud call).
	Path string
	// Action limits the fault to Tencent Cloud calls of this X-TC-Action
	// ("GetFunction", "AssumeRoleWithWebIdentity"...; "*" is any action). Set,
	// it replaces Path.
	Action string
	// Env limits the fault to requests for this env: the env of invoke,
	// downloadfunction and createfunction, the Namespace of a Tencent Cloud
	// call, or one of a batch call's envs (the whole call is affected;
	// FailEnv fails one env of it).
	Env string
	// Times is how many matching requests it affects; 0 means every one.
	Times int
	// Delay is added before answering; it ends early when the client goes
	// away.
	Delay time.Duration
	// Errcode answers {"errcode":Errcode,"errmsg":<vendor text>} instead of
	// handling the request.
	Errcode int
	// ErrorCode answers a Tencent Cloud error envelope
	// {"Response":{"Error":{"Code":ErrorCode,"Message":<vendor text>},"RequestId":…}}
	// with HTTP 200 ("RequestLimitExceeded", "InternalError"...).
	ErrorCode string
	// Message replaces the vendor text of Errcode or ErrorCode.
	Message string
	// HTTPStatus answers this status with Body (an nginx error page when
	// Body is empty).
	HTTPStatus int
	// Body is sent raw: with HTTPStatus, or alone with 200 (truncated JSON,
	// a hostile Tencent Cloud envelope...).
	Body string
	// EmptyBody answers 200 with an empty body.
	EmptyBody bool
	// Redirect answers a redirect to this URL (another origin, https to
	// http...): HTTP 307, which keeps the method and body, unless HTTPStatus
	// names another 3xx.
	Redirect string
	// Headers are set on the answer: the fault's own when it answers, the
	// normal one otherwise (Retry-After with HTTPStatus 429, a hostile
	// Content-Type...).
	Headers map[string]string
	// Reset closes the connection without answering.
	Reset bool
	// Stall never answers; the request ends when the client goes away.
	Stall bool
	// FailEnv (batch calls) processes the call but puts this env in the fail
	// list with FailMsg and leaves it untouched; the env need not have been
	// requested.
	FailEnv string
	FailMsg string
	// ThrowAsRespData (invoke, node mode only: in echo mode nothing throws)
	// answers a function failure the other way WeChat
	// does: errcode 0 with resp_data {"errorCode":-1,"errorMessage":…}
	// instead of errcode -504002.
	ThrowAsRespData bool
}

type faultState struct {
	Fault
	used int
}

func (f *faultState) exhausted() bool { return f.Times > 0 && f.used >= f.Times }

func (f *Fault) answers() bool {
	return f.Errcode != 0 || f.ErrorCode != "" || f.HTTPStatus != 0 || f.Body != "" ||
		f.EmptyBody || f.Redirect != "" || f.Reset || f.Stall
}

// targets reports whether the fault names rq's action or path.
func (f *Fault) targets(rq *request) bool {
	switch {
	case f.Action != "":
		return rq.action != "" && (f.Action == "*" || f.Action == rq.action)
	case f.Path == "":
		return isAPIPath(rq.path)
	case f.Path == pathTencent:
		// Not a prefix of every path: "/" names the Tencent Cloud calls.
		return rq.action != ""
	}
	return f.Path == rq.path || strings.HasPrefix(rq.path, strings.TrimSuffix(f.Path, "/")+"/")
}

func (f *Fault) matches(rq *request) bool {
	if !f.targets(rq) {
		return false
	}
	if f.Env != "" && f.Env != rq.env && !(isBatch(rq.path) && slices.Contains(rq.envs, f.Env)) {
		return false
	}
	// Modifiers without an answer only make sense where they apply; keep them
	// from using up their Times elsewhere.
	if !f.answers() {
		if f.FailEnv != "" && !isBatch(rq.path) {
			return false
		}
		if f.ThrowAsRespData && rq.path != pathInvoke {
			return false
		}
	}
	return true
}

// Inject adds a fault after the existing ones.
func (s *Server) Inject(f Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f})
}

// ClearFaults removes every fault.
func (s *Server) ClearFaults() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// takeFaults picks the faults for rq and uses them up: the answering one, or
// the modifiers.
func (s *Server) takeFaults(rq *request) (answer *Fault, mods []Fault) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, f := range s.faults {
		if !f.exhausted() && f.answers() && f.matches(rq) {
			f.used++
			a := f.Fault
			return &a, nil
		}
	}
	for _, f := range s.faults {
		if !f.exhausted() && !f.answers() && f.matches(rq) {
			f.used++
			mods = append(mods, f.Fault)
		}
	}
	return nil, mods
}

// faultReply is the answer of an answering fault.
func (s *Server) faultReply(rq *request, f *Fault) reply {
	rep := s.faultAnswer(rq, f)
	rep.addHeaders(f.Headers)
	return rep
}

func (s *Server) faultAnswer(rq *request, f *Fault) reply {
	switch {
	case f.Reset:
		return reply{reset: true, note: "fault: connection reset"}
	case f.Stall:
		<-rq.r.Context().Done()
		return reply{abort: true, note: "fault: stalled until the client went away"}
	case f.Redirect != "":
		return redirectReply(f)
	case f.HTTPStatus != 0:
		body, ctype := f.Body, "application/json; charset=utf-8"
		if body == "" || strings.HasPrefix(strings.TrimSpace(body), "<") {
			ctype = "text/html"
		}
		if body == "" {
			body = gatewayPage(f.HTTPStatus)
		}
		rep := rawReply(f.HTTPStatus, ctype, body)
		rep.note = "fault: HTTP " + http.StatusText(f.HTTPStatus)
		return rep
	case f.EmptyBody:
		rep := rawReply(http.StatusOK, "application/json; charset=utf-8", "")
		rep.note = "fault: empty body"
		return rep
	case f.Body != "":
		rep := rawReply(http.StatusOK, "application/json; charset=utf-8", f.Body)
		rep.note = "fault: raw body"
		return rep
	case f.ErrorCode != "":
		rep := tcErrorReply(newRequestID(), &tcError{f.ErrorCode, cmp.Or(f.Message, TencentErrorText(f.ErrorCode))})
		rep.note = "fault: " + f.ErrorCode
		return rep
	}
	rep := errReply(f.Errcode, "")
	if f.Message != "" {
		rep = msgReply(f.Errcode, f.Message)
	}
	rep.note = "fault: errcode " + strconv.Itoa(f.Errcode)
	return rep
}

// redirectReply sends the client elsewhere, as a hijacked DNS entry or a
// misconfigured proxy would.
func redirectReply(f *Fault) reply {
	status := http.StatusTemporaryRedirect
	if f.HTTPStatus >= 300 && f.HTTPStatus < 400 {
		status = f.HTTPStatus
	}
	rep := rawReply(status, "text/html", gatewayPage(status))
	rep.header = map[string]string{"Location": f.Redirect}
	rep.note = "fault: redirect to another location"
	return rep
}
