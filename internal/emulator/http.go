package emulator

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// The vendor's paths (seed pages) and the emulator's own code-download path.
const (
	pathBatchCreate    = "/componenttcb/batchuploadscf"
	pathBatchUpdate    = "/componenttcb/batchuploadscfcode"
	pathCreate         = "/tcb/createfunction"
	pathInvoke         = "/tcb/invokecloudfunction"
	pathDownload       = "/tcb/downloadfunction"
	pathStableToken    = "/cgi-bin/stable_token"
	pathComponentToken = "/cgi-bin/component/api_component_token"
	pathToken          = "/cgi-bin/token"
	// CodePath prefixes the download URLs downloadfunction and
	// GetFunctionAddress hand out.
	CodePath = "/_emulator/code"
	// GitHubOIDCPath is the fake GitHub Actions OIDC token endpoint
	// (ACTIONS_ID_TOKEN_REQUEST_URL, see Server.OIDCRequestURL).
	GitHubOIDCPath = "/_github/oidc/token"
	// pathTencent is where every Tencent Cloud API call goes (POST / with
	// X-TC-Action), whatever the service.
	pathTencent = "/"
)

// isAPIPath reports whether path is one of the cloud-function calls (what a
// Fault with an empty Path matches: token endpoints only when named).
func isAPIPath(path string) bool {
	switch path {
	case pathBatchCreate, pathBatchUpdate, pathCreate, pathInvoke, pathDownload:
		return true
	}
	return false
}

func isBatch(path string) bool { return path == pathBatchCreate || path == pathBatchUpdate }

// request is one request, read and parsed once.
type request struct {
	r    *http.Request
	path string
	body []byte
	// fields is the body's top-level object, decoded once (a body can be
	// 40 MiB of base64); jsonErr is set when the body is not one (for
	// invoke: when it is not JSON at all).
	fields  map[string]any
	jsonErr error

	// Best-effort names for the call record and fault matching; handlers
	// validate for themselves.
	env, function string
	envs          []string
	// action is X-TC-Action: set, the request is a Tencent Cloud call.
	action string

	appid, kind string // of the token, once checked
	mods        []Fault
}

// isTencent reports whether r is a Tencent Cloud API call: every such call is
// sent to the root path with its action in a header (API-NOTES-TENCENTCLOUD.md
// §2), so WeChat paths and Tencent Cloud share one listener.
func isTencent(r *http.Request) bool {
	return r.URL.Path == pathTencent && r.Header.Get("X-TC-Action") != ""
}

func (rq *request) empty() bool { return len(bytes.TrimSpace(rq.body)) == 0 }

// parse fills fields and the names used to record and match the request.
func (rq *request) parse() {
	q := rq.r.URL.Query()
	switch {
	case rq.action != "":
		rq.parseTencent()
		return
	case rq.path == pathInvoke:
		rq.env, rq.function = q.Get("env"), q.Get("name")
		if !rq.empty() && !json.Valid(rq.body) {
			rq.jsonErr = errors.New("body is not JSON")
		}
		return
	case strings.HasPrefix(rq.path, CodePath+"/"):
		parts := strings.Split(strings.TrimPrefix(rq.path, CodePath+"/"), "/")
		if len(parts) == 3 {
			rq.env, rq.function = parts[0], parts[1]
		}
		return
	}
	if rq.empty() {
		return
	}
	if err := json.Unmarshal(rq.body, &rq.fields); err != nil || rq.fields == nil {
		rq.jsonErr = errors.New("body is not a JSON object")
		rq.fields = nil
		return
	}
	rq.env, _ = rq.str("env")
	if rq.function, _ = rq.str("function_name"); rq.function == "" {
		rq.function, _ = rq.str("functionname")
	}
	rq.envs, _ = rq.strs("envs")
}

// parseTencent decodes a Tencent Cloud body, keeping numbers exact (an
// integer field must not accept 3.5), and names its namespace and function.
func (rq *request) parseTencent() {
	if rq.empty() {
		rq.fields = map[string]any{}
		return
	}
	dec := json.NewDecoder(bytes.NewReader(rq.body))
	dec.UseNumber()
	if err := dec.Decode(&rq.fields); err != nil || rq.fields == nil || dec.More() {
		rq.jsonErr = errors.New("the request body is not a JSON object")
		rq.fields = nil
		return
	}
	rq.env, _ = rq.str("Namespace")
	rq.function, _ = rq.str("FunctionName")
}

// str returns a string field ("" when absent or null); an error when the field
// has another type (WeChat answers 47001).
func (rq *request) str(name string) (string, error) {
	switch v := rq.fields[name].(type) {
	case nil:
		return "", nil
	case string:
		return v, nil
	}
	return "", fmt.Errorf("%s must be a string", name)
}

func (rq *request) strs(name string) ([]string, error) {
	switch v := rq.fields[name].(type) {
	case nil:
		return nil, nil
	case []any:
		out := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, fmt.Errorf("%s must be an array of strings", name)
			}
			out[i] = s
		}
		return out, nil
	}
	return nil, fmt.Errorf("%s must be an array of strings", name)
}

func (rq *request) boolean(name string) (bool, error) {
	switch v := rq.fields[name].(type) {
	case nil:
		return false, nil
	case bool:
		return v, nil
	}
	return false, fmt.Errorf("%s must be a boolean", name)
}

// reply is a handler's answer.
type reply struct {
	status      int    // 0 => 200
	code        int    // errcode, for the call record
	tcCode      string // Tencent Cloud error code, for the call record
	body        any    // sent as JSON unless raw is set
	raw         []byte
	rawSet      bool
	contentType string
	header      map[string]string // extra headers (faults)
	// abort sends nothing: the client went away (or a fault stalled).
	abort bool
	// reset closes the connection without an answer.
	reset bool
	note  string // for the log: "stalled", "reset"...
}

// apiError is the body of every vendor error.
type apiError struct {
	Errcode int    `json:"errcode"`
	Errmsg  string `json:"errmsg"`
}

// errReply answers code with its vendor text, plus detail when it helps.
func errReply(code int, detail string) reply {
	msg := ErrorText(code)
	if detail != "" {
		msg += ": " + detail
	}
	return reply{code: code, body: apiError{code, msg}}
}

// msgReply answers code with exactly msg (the function-side messages).
func msgReply(code int, msg string) reply {
	return reply{code: code, body: apiError{code, msg}}
}

func rawReply(status int, contentType, body string) reply {
	return reply{status: status, raw: []byte(body), rawSet: true, contentType: contentType}
}

var errTooLarge = errors.New("request body too large")

// ServeHTTP serves the WeChat paths the seed pages describe, the token
// endpoints, the code downloads, the fake GitHub OIDC endpoint and the
// Tencent Cloud API (POST / with X-TC-Action).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	rq := &request{r: r, path: r.URL.Path}
	call := Call{Method: r.Method, Path: rq.path}
	if isTencent(r) {
		rq.action = r.Header.Get("X-TC-Action")
		call.Action = rq.action
	} else {
		call.TokenKind = s.tokenKind(r.URL.Query().Get("access_token"))
	}
	if strings.HasPrefix(rq.path, CodePath+"/") {
		call.Path = CodePath
	}

	body, err := s.readBody(r)
	if err != nil {
		idx := s.record(call)
		if errors.Is(err, errTooLarge) {
			// A gateway answers this, not the vendor: HTML, not JSON.
			w.Header().Set("Connection", "close")
			s.send(w, rq, idx, start, rawReply(http.StatusRequestEntityTooLarge, "text/html", gatewayPage(http.StatusRequestEntityTooLarge)))
			return
		}
		s.send(w, rq, idx, start, reply{abort: true, note: "body not read: " + err.Error()})
		return
	}
	rq.body = body
	rq.parse()
	call.Env, call.Envs, call.Function = rq.env, rq.envs, rq.function
	if isBatch(rq.path) {
		call.Env = ""
	} else {
		call.Envs = nil
	}
	idx := s.record(call)

	handler := s.route(rq)
	if handler == nil {
		s.send(w, rq, idx, start, rawReply(http.StatusNotFound, "text/plain; charset=utf-8", "404 page not found\n"))
		return
	}
	s.serveFaulted(w, rq, idx, start, handler)
}

// serveFaulted applies the faults that match rq, then (unless one of them
// answered) runs handler.
func (s *Server) serveFaulted(w http.ResponseWriter, rq *request, idx int, start time.Time, handler func(*request) reply) {
	answer, mods := s.takeFaults(rq)
	delay := time.Duration(0)
	if answer != nil {
		delay = answer.Delay
	}
	for _, m := range mods {
		delay += m.Delay
	}
	if answer != nil || len(mods) > 0 {
		s.markFaulted(idx)
	}
	if delay > 0 && !sleepCtx(rq.r, delay) {
		s.send(w, rq, idx, start, reply{abort: true, note: "client went away during the injected delay"})
		return
	}
	if answer != nil {
		s.send(w, rq, idx, start, s.faultReply(rq, answer))
		return
	}
	rq.mods = mods
	if s.isWrite(rq) {
		s.markWrite(idx)
	}
	rep := handler(rq)
	for _, m := range mods {
		rep.addHeaders(m.Headers)
	}
	s.send(w, rq, idx, start, rep)
}

func (rep *reply) addHeaders(h map[string]string) {
	if len(h) == 0 {
		return
	}
	if rep.header == nil {
		rep.header = map[string]string{}
	}
	for k, v := range h {
		rep.header[k] = v
	}
}

// routes are the handlers of the fixed paths (built once, in New).
func (s *Server) routes() map[string]func(*request) reply {
	return map[string]func(*request) reply{
		pathBatchCreate:    s.batchCreate,
		pathBatchUpdate:    s.batchUpdate,
		pathCreate:         s.createFunction,
		pathInvoke:         s.invoke,
		pathDownload:       s.download,
		pathStableToken:    s.stableToken,
		pathComponentToken: s.componentToken,
		pathToken:          s.legacyToken,
		GitHubOIDCPath:     s.githubOIDCToken,
	}
}

func (s *Server) route(rq *request) func(*request) reply {
	switch {
	case rq.action != "":
		return s.tencent
	case strings.HasPrefix(rq.path, CodePath+"/"):
		return s.serveCode
	}
	return s.fixed[rq.path]
}

func (s *Server) isWrite(rq *request) bool {
	if rq.action != "" {
		a := tcActions[rq.action]
		return a != nil && a.write
	}
	return rq.path == pathBatchCreate || rq.path == pathBatchUpdate || rq.path == pathCreate
}

func (s *Server) readBody(r *http.Request) ([]byte, error) {
	limit := s.opts.MaxBodyBytes
	if r.ContentLength > limit {
		return nil, errTooLarge
	}
	var buf bytes.Buffer
	if r.ContentLength > 0 {
		// One allocation instead of doubling up to 40 MiB.
		buf.Grow(int(r.ContentLength) + 1)
	}
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, limit+1)); err != nil {
		return nil, err
	}
	if int64(buf.Len()) > limit {
		return nil, errTooLarge
	}
	return buf.Bytes(), nil
}

// precheck runs the checks every access_token endpoint shares, in WeChat's
// order: method, token, empty body, JSON.
func (s *Server) precheck(rq *request) *reply {
	if rq.r.Method != http.MethodPost {
		r := errReply(codeRequirePOST, "")
		return &r
	}
	kind, appid, code := s.checkToken(rq.r.URL.Query().Get("access_token"), rq.path)
	if code != codeOK {
		r := errReply(code, "")
		return &r
	}
	rq.kind, rq.appid = kind, appid
	if rq.empty() {
		r := errReply(codeEmptyPost, "")
		return &r
	}
	if rq.jsonErr != nil {
		r := errReply(codeDataFormat, rq.jsonErr.Error())
		return &r
	}
	return nil
}

func (s *Server) record(c Call) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	c.At = s.opts.Now()
	key := c.Path
	if c.Action != "" {
		key = c.Action
	}
	s.stats.add(key, c.At)
	s.calls = append(s.calls, c)
	return len(s.calls) - 1
}

func (s *Server) markFaulted(idx int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if idx < len(s.calls) {
		s.calls[idx].Faulted = true
	}
}

func (s *Server) markWrite(idx int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.writes++
	if idx < len(s.calls) {
		s.calls[idx].Write = true
	}
}

// send writes rep, completes the call record and logs one line.
func (s *Server) send(w http.ResponseWriter, rq *request, idx int, start time.Time, rep reply) {
	status := 0
	switch {
	case rep.reset:
		resetConn(w)
	case rep.abort:
	default:
		var data []byte
		var ctype string
		data, ctype, status = rep.encode()
		if ctype != "" {
			w.Header().Set("Content-Type", ctype)
		}
		// After the Content-Type: a fault's headers win.
		for k, v := range rep.header {
			w.Header().Set(k, v)
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(data)))
		w.WriteHeader(status)
		if rq.r.Method != http.MethodHead {
			_, _ = w.Write(data)
		}
	}

	s.locked(func() {
		if idx < len(s.calls) {
			s.calls[idx].Errcode = rep.code
			s.calls[idx].ErrorCode = rep.tcCode
			s.calls[idx].HTTPStatus = status
		}
	})

	if s.opts.Logf != nil {
		s.log(rq, start, status, rep)
	}
	if rep.abort {
		// Returning would make net/http send an empty 200; a stalled or
		// abandoned request must end with no answer at all.
		panic(http.ErrAbortHandler)
	}
}

// encode is the body, Content-Type and status of rep (a JSON body that
// cannot be encoded, which only a bug can cause, becomes a system error).
func (rep *reply) encode() ([]byte, string, int) {
	status := cmp.Or(rep.status, http.StatusOK)
	if rep.rawSet {
		return rep.raw, rep.contentType, status
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep.body); err != nil {
		rep.code = -1
		return []byte(`{"errcode":-1,"errmsg":"system error: emulator could not encode its answer"}`),
			"application/json; charset=utf-8", http.StatusInternalServerError
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), "application/json; charset=utf-8", status
}

func (s *Server) log(rq *request, start time.Time, status int, rep reply) {
	// Never the query (it holds the token), the headers (keys, signatures)
	// nor the body (zips, app secrets).
	what := rq.action + " " + rq.function
	switch {
	case len(rq.envs) > 0 && isBatch(rq.path):
		what += " envs=" + strings.Join(rq.envs, ",")
	case rq.env != "":
		what += " env=" + rq.env
	}
	outcome := fmt.Sprintf("HTTP %d errcode %d", status, rep.code)
	if rq.action != "" {
		outcome = fmt.Sprintf("HTTP %d %s", status, cmp.Or(rep.tcCode, "ok"))
	}
	if rep.note != "" {
		outcome = rep.note
	}
	if what = strings.TrimSpace(what); what != "" {
		what = " " + what
	}
	s.opts.Logf("emulator: %s %s%s -> %s (%s)", rq.r.Method, rq.path, what, outcome, time.Since(start).Round(time.Millisecond))
}

// resetConn closes the connection without an answer, with a TCP RST where it
// can, so the client sees "connection reset by peer" as after a proxy crash.
func resetConn(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler)
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// sleepCtx waits d or until the client goes away; it reports whether the
// full delay passed.
func sleepCtx(r *http.Request, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.Context().Done():
		return false
	}
}

// gatewayPage is the HTML nginx sends for status: what sits in front of
// api.weixin.qq.com when something breaks.
func gatewayPage(status int) string {
	text := fmt.Sprintf("%d %s", status, http.StatusText(status))
	return "<html>\r\n<head><title>" + text + "</title></head>\r\n<body>\r\n<center><h1>" + text +
		"</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n"
}
