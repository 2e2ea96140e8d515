package emulator

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// maxSkew is how far X-TC-Timestamp may be from the server's clock
// (API-NOTES-TENCENTCLOUD.md §2 step 8).
const maxSkew = 5 * time.Minute

// tc3Auth is a parsed Authorization header:
// TC3-HMAC-SHA256 Credential=<id>/<date>/<service>/tc3_request,
// SignedHeaders=content-type;host, Signature=<hex>.
type tc3Auth struct {
	secretID, date, service string
	signedHeaders           []string
	signature               string
}

func parseTC3(h string) (tc3Auth, string) {
	var a tc3Auth
	rest, ok := strings.CutPrefix(h, "TC3-HMAC-SHA256 ")
	if !ok {
		return a, "the algorithm is not TC3-HMAC-SHA256"
	}
	parts := map[string]string{}
	for _, p := range strings.Split(rest, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || v == "" {
			return a, "malformed part " + strconv.Quote(strings.TrimSpace(p))
		}
		parts[k] = v
	}
	cred := strings.Split(parts["Credential"], "/")
	if len(cred) != 4 || cred[0] == "" || cred[3] != "tc3_request" {
		return a, "`Credential` is not <SecretId>/<date>/<service>/tc3_request"
	}
	if parts["SignedHeaders"] == "" || parts["Signature"] == "" {
		return a, "`SignedHeaders` or `Signature` is missing"
	}
	a.secretID, a.date, a.service = cred[0], cred[1], cred[2]
	a.signedHeaders = strings.Split(parts["SignedHeaders"], ";")
	a.signature = parts["Signature"]
	if !containsAll(a.signedHeaders, "content-type", "host") {
		return a, "`SignedHeaders` must include content-type and host"
	}
	return a, ""
}

func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, l := range list {
			found = found || l == w
		}
		if !found {
			return false
		}
	}
	return true
}

// authenticate checks the call's signature (TC3-HMAC-SHA256, verified here
// with the standard library from the algorithm, never with the SDK's signer)
// or, for the actions that allow it, Authorization: SKIP.
func (s *Server) authenticate(tr *tcReq) *tcError {
	h := tr.header("Authorization")
	if h == "SKIP" {
		if tr.act.skipSign {
			return nil
		}
		return tcErrDetail(tcInvalidAuthorization, "%s must be signed", tr.rq.action)
	}
	a, bad := parseTC3(h)
	if bad != "" {
		return tcErrDetail(tcInvalidAuthorization, "%s", bad)
	}
	ts, err := strconv.ParseInt(tr.header("X-TC-Timestamp"), 10, 64)
	if err != nil {
		return tcErr(tcInvalidValue, "Timestamp")
	}
	if skew := tr.now.Sub(time.Unix(ts, 0)); skew > maxSkew || skew < -maxSkew {
		return tcErr(tcSignatureExpire)
	}
	if a.service != tr.act.service {
		// The real message: the gateway knows the service from the host.
		return &tcError{tcInvalidAuthorization, TencentErrorText(tcInvalidAuthorization) + ": `Service` in Credential not valid."}
	}
	key, e := s.secretFor(tr, a.secretID)
	if e != nil {
		return e
	}
	// A client that dates its scope in local time instead of UTC fails for
	// hours a day on the real API, with a signature failure.
	if a.date != time.Unix(ts, 0).UTC().Format(time.DateOnly) {
		return tcErrDetail(tcSignatureFailure, "the credential date is not the UTC date of X-TC-Timestamp")
	}
	want := tc3Signature(key, a, tr)
	if subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) != 1 {
		return tcErr(tcSignatureFailure)
	}
	return nil
}

// secretFor returns the SecretKey of id: the permanent key pair (which takes
// no X-TC-Token), or temporary keys from STS (which take their token, until
// they expire).
func (s *Server) secretFor(tr *tcReq, id string) (string, *tcError) {
	token := tr.header("X-TC-Token")
	if id == s.opts.SecretID {
		if token != "" {
			return "", tcErrDetail(tcTokenFailure, "X-TC-Token was sent with a permanent key")
		}
		return s.opts.SecretKey, nil
	}
	s.mu.Lock()
	k := s.tempKeys[id]
	s.mu.Unlock()
	switch {
	case k == nil:
		return "", tcErr(tcSecretIDNotFound)
	case subtle.ConstantTimeCompare([]byte(token), []byte(k.token)) != 1:
		return "", tcErr(tcTokenFailure)
	case !tr.now.Before(k.expires):
		return "", tcErrDetail(tcTokenFailure, "the temporary key expired")
	}
	return k.key, nil
}

// tc3Signature computes the signature the client should have sent, over the
// headers it says it signed, with their values as received (Host exactly as
// sent: the SDK signs host:port for a custom endpoint).
func tc3Signature(secretKey string, a tc3Auth, tr *tcReq) string {
	r := tr.rq.r
	var canon strings.Builder
	for _, name := range a.signedHeaders {
		v := r.Header.Get(name)
		if name == "host" {
			v = r.Host
		}
		canon.WriteString(name + ":" + strings.ToLower(strings.TrimSpace(v)) + "\n")
	}
	payload := sha256Hex(tr.rq.body)
	if r.Header.Get("X-TC-Content-SHA256") == "UNSIGNED-PAYLOAD" {
		payload = sha256Hex([]byte("UNSIGNED-PAYLOAD"))
	}
	canonical := strings.Join([]string{
		r.Method, "/", r.URL.RawQuery, canon.String(), strings.Join(a.signedHeaders, ";"), payload,
	}, "\n")
	scope := a.date + "/" + a.service + "/tc3_request"
	toSign := "TC3-HMAC-SHA256\n" + r.Header.Get("X-TC-Timestamp") + "\n" + scope + "\n" + sha256Hex([]byte(canonical))
	kDate := hmacSHA256([]byte("TC3"+secretKey), a.date)
	kService := hmacSHA256(kDate, a.service)
	kSigning := hmacSHA256(kService, "tc3_request")
	return hex.EncodeToString(hmacSHA256(kSigning, toSign))
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
