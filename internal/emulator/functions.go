package emulator

import (
	"archive/zip"
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// defaultFailMsg is what a FailEnv fault without FailMsg puts in the list.
const defaultFailMsg = "[InternalError] emulated failure"

type failEnv struct {
	Env    string `json:"env"`
	Errmsg string `json:"errmsg"`
}

// batchArgs are the fields both batch calls take (batchuploadscf.txt,
// batchuploadscfcode.txt).
type batchArgs struct {
	name          string
	envs          []string
	zip           []byte
	vpc, subnetID string
}

// parseBatch checks a batch body in WeChat's order: types (47001), presence
// (40101), the zip (40097), then cloud development for the envs (85088).
func (s *Server) parseBatch(rq *request, create bool) (batchArgs, *reply) {
	var a batchArgs
	name, e1 := rq.str("functionname")
	envs, e2 := rq.strs("envs")
	zipB64, e3 := rq.str("zipfile")
	var e4, e5 error
	if create {
		a.vpc, e4 = rq.str("vpcid")
		a.subnetID, e5 = rq.str("subnetid")
	}
	if err := firstErr(e1, e2, e3, e4, e5); err != nil {
		r := errReply(codeDataFormat, err.Error())
		return a, &r
	}
	for _, m := range []struct {
		field   string
		missing bool
	}{{"functionname", name == ""}, {"envs", len(envs) == 0}, {"zipfile", zipB64 == ""}} {
		if m.missing {
			r := errReply(codeMissingParam, m.field)
			return a, &r
		}
	}
	z, err := decodeZip(zipB64)
	if err != nil {
		r := errReply(codeInvalidArgs, err.Error())
		return a, &r
	}
	if create {
		if err := validFunctionName(name); err != nil {
			r := errReply(codeInvalidArgs, fmt.Sprintf("functionname %q %v", name, err))
			return a, &r
		}
	}
	// A repeated env is done once: the vendor's behaviour is unknown, and
	// doing it twice would report a false "already exists". A set, not a
	// scan: one call may name thousands of envs.
	uniq := make([]string, 0, len(envs))
	seen := make(map[string]bool, len(envs))
	for _, e := range envs {
		if !seen[e] {
			seen[e] = true
			uniq = append(uniq, e)
		}
	}
	if !slices.ContainsFunc(uniq, s.hasCloudDev) {
		r := errReply(codeNoQbase, "")
		return a, &r
	}
	a.name, a.envs, a.zip = name, uniq, z
	return a, nil
}

// decodeZip turns zipfile into zip bytes, saying why it cannot.
func decodeZip(b64 string) ([]byte, error) {
	b, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return nil, fmt.Errorf("zipfile is not standard base64 (%v)", err)
	}
	if !bytes.HasPrefix(b, []byte("PK")) {
		return nil, fmt.Errorf("zipfile does not decode to a zip archive (no PK signature in its %d bytes)", len(b))
	}
	if _, err := zip.NewReader(bytes.NewReader(b), int64(len(b))); err != nil {
		return nil, fmt.Errorf("zipfile is not a readable zip archive (%v)", err)
	}
	return b, nil
}

// injectedFails collects the FailEnv faults that apply to this request, in
// injection order, one message per env.
func injectedFails(mods []Fault) (order []string, msgs map[string]string) {
	msgs = map[string]string{}
	for _, m := range mods {
		if m.FailEnv == "" {
			continue
		}
		if _, dup := msgs[m.FailEnv]; !dup {
			order = append(order, m.FailEnv)
		}
		msg := m.FailMsg
		if msg == "" {
			msg = defaultFailMsg
		}
		msgs[m.FailEnv] = msg
	}
	return order, msgs
}

// unrequested returns the envs of order that are not in envs, keeping order.
func unrequested(order, envs []string) []string {
	if len(order) == 0 {
		return nil
	}
	in := make(map[string]bool, len(envs))
	for _, e := range envs {
		in[e] = true
	}
	var out []string
	for _, e := range order {
		if !in[e] {
			out = append(out, e)
		}
	}
	return out
}

// batchCreate serves batchuploadscf: every env gets the function unless it
// already has one (then it goes to fail_env_list untouched). errcode is 0
// even when some envs failed.
func (s *Server) batchCreate(rq *request) reply {
	if r := s.precheck(rq); r != nil {
		return *r
	}
	a, r := s.parseBatch(rq, true)
	if r != nil {
		return *r
	}
	order, injected := injectedFails(rq.mods)
	fails := []failEnv{}
	s.locked(func() {
		now := s.opts.Now()
		for _, env := range a.envs {
			k := fnKey{env, a.name}
			switch msg, ok := injected[env]; {
			case ok:
				fails = append(fails, failEnv{env, msg})
			case !s.hasCloudDev(env):
				fails = append(fails, failEnv{env, ErrorText(codeNoQbase)})
			case s.funcs[k] != nil:
				fails = append(fails, failEnv{env, msgFunctionExists})
			default:
				f := newFunction(env, a.name, a.zip, now)
				f.VPCID, f.SubnetID, f.Batch = a.vpc, a.subnetID, true
				s.put(f)
			}
		}
	})
	for _, env := range unrequested(order, a.envs) {
		fails = append(fails, failEnv{env, injected[env]})
	}
	return reply{body: struct {
		Errcode     int       `json:"errcode"`
		Errmsg      string    `json:"errmsg"`
		FailEnvList []failEnv `json:"fail_env_list"`
	}{0, "ok", fails}}
}

// batchUpdate serves batchuploadscfcode: the seed page names the list
// fail_list and its message errormsg (Options.FailListKeyErrmsg: errmsg).
func (s *Server) batchUpdate(rq *request) reply {
	if r := s.precheck(rq); r != nil {
		return *r
	}
	a, r := s.parseBatch(rq, false)
	if r != nil {
		return *r
	}
	key := "errormsg"
	if s.opts.FailListKeyErrmsg {
		key = "errmsg"
	}
	order, injected := injectedFails(rq.mods)
	fails := []map[string]string{}
	fail := func(env, msg string) { fails = append(fails, map[string]string{"env": env, key: msg}) }
	s.locked(func() {
		now := s.opts.Now()
		for _, env := range a.envs {
			f := s.funcs[fnKey{env, a.name}]
			switch msg, ok := injected[env]; {
			case ok:
				fail(env, msg)
			case !s.hasCloudDev(env):
				fail(env, ErrorText(codeNoQbase))
			case f == nil:
				fail(env, msgFunctionMissing)
			default:
				// WeChat's batch update answers when it is done: no
				// Updating state on this side.
				f.setCode(a.zip, now)
				f.settle("Active", nil)
				f.Batch = true
			}
		}
	})
	for _, env := range unrequested(order, a.envs) {
		fail(env, injected[env])
	}
	return reply{body: struct {
		Errcode  int                 `json:"errcode"`
		Errmsg   string              `json:"errmsg"`
		FailList []map[string]string `json:"fail_list"`
	}{0, "ok", fails}}
}

// singleArgs reads {env, function_name} (createfunction.txt,
// downloadfunction.txt) and checks them in WeChat's order.
func (s *Server) singleArgs(rq *request, create bool) (env, name string, rep *reply) {
	env, e1 := rq.str("env")
	name, e2 := rq.str("function_name")
	if err := firstErr(e1, e2); err != nil {
		r := errReply(codeDataFormat, err.Error())
		return "", "", &r
	}
	switch {
	case env == "":
		r := errReply(codeMissingParam, "env")
		return "", "", &r
	case name == "":
		r := errReply(codeMissingParam, "function_name")
		return "", "", &r
	}
	if create {
		if err := validFunctionName(name); err != nil {
			r := errReply(codeInvalidArgs, fmt.Sprintf("function_name %q %v", name, err))
			return "", "", &r
		}
	}
	if !s.hasCloudDev(env) {
		r := errReply(codeNoQbase, "")
		return "", "", &r
	}
	return env, name, nil
}

// createFunction serves createfunction: an empty function (no code yet).
func (s *Server) createFunction(rq *request) reply {
	if r := s.precheck(rq); r != nil {
		return *r
	}
	env, name, r := s.singleArgs(rq, true)
	if r != nil {
		return *r
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	k := fnKey{env, name}
	if s.funcs[k] != nil {
		return msgReply(codeFunctionOp, msgFunctionExists)
	}
	s.put(newFunction(env, name, nil, s.opts.Now()))
	return reply{body: apiError{0, "ok"}}
}

// download serves downloadfunction: a signed URL on this server (built from
// the request's Host so it works behind httptest and Start) and the SHA-256
// of the stored zip.
func (s *Server) download(rq *request) reply {
	if r := s.precheck(rq); r != nil {
		return *r
	}
	env, name, r := s.singleArgs(rq, false)
	if r != nil {
		return *r
	}
	var version int
	var sum string
	s.locked(func() {
		if f := s.funcs[fnKey{env, name}]; f != nil {
			version, sum = f.Version, f.SHA256
		}
	})
	if version == 0 {
		return msgReply(codeFunctionOp, msgFunctionMissing)
	}
	u := s.codeURL(rq.r, env, name, version)
	return reply{body: struct {
		Errcode  int    `json:"errcode"`
		Errmsg   string `json:"errmsg"`
		URL      string `json:"url"`
		Checksum string `json:"checksum"`
	}{0, "ok", u, sum}}
}

// codeURL is the signed URL of one version's code on this server, built from
// the request's Host so it works behind httptest and Start.
func (s *Server) codeURL(r *http.Request, env, name string, version int) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return fmt.Sprintf("%s://%s%s/%s/%s/%d?sign=%s", scheme, r.Host, CodePath,
		url.PathEscape(env), url.PathEscape(name), version, s.sign(env, name, version))
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sign makes download URLs unguessable, as COS's signed URLs are.
func (s *Server) sign(env, name string, version int) string {
	m := hmac.New(sha256.New, s.signKey)
	fmt.Fprintf(m, "%s\x00%s\x00%d", env, name, version)
	return hex.EncodeToString(m.Sum(nil))[:32]
}

// serveCode serves GET CodePath/<env>/<name>/<version>?sign=…: the zip bytes
// of that version, with COS-style XML errors.
func (s *Server) serveCode(rq *request) reply {
	if rq.r.Method != http.MethodGet && rq.r.Method != http.MethodHead {
		return rawReply(http.StatusMethodNotAllowed, "text/plain; charset=utf-8", "method not allowed: use GET\n")
	}
	parts := strings.Split(strings.TrimPrefix(rq.r.URL.Path, CodePath+"/"), "/")
	notFound := rawReply(http.StatusNotFound, "application/xml", cosError("NoSuchKey", "The specified key does not exist."))
	if len(parts) != 3 {
		return notFound
	}
	env, name := parts[0], parts[1]
	version, err := strconv.Atoi(parts[2])
	if err != nil {
		return notFound
	}
	var code []byte
	found := false
	s.locked(func() {
		if f := s.funcs[fnKey{env, name}]; f != nil && version >= 1 && version <= len(f.versions) {
			code, found = f.versions[version-1], true
		}
	})
	if !found {
		return notFound
	}
	if !hmac.Equal([]byte(rq.r.URL.Query().Get("sign")), []byte(s.sign(env, name, version))) {
		return rawReply(http.StatusForbidden, "application/xml", cosError("AccessDenied", "Request has expired or the signature does not match."))
	}
	return reply{raw: code, rawSet: true, contentType: "application/zip"}
}

func cosError(code, msg string) string {
	return "<?xml version='1.0' encoding='utf-8' ?>\n<Error>\n\t<Code>" + code + "</Code>\n\t<Message>" + msg + "</Message>\n</Error>\n"
}
