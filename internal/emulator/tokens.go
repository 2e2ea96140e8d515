package emulator

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// Token kinds, as recorded in Call.TokenKind.
const (
	kindEmulator  = "emulator"
	kindAccess    = "access"
	kindComponent = "component"
	kindUnknown   = "unknown"
)

type tokenInfo struct {
	kind    string
	appid   string
	expires int64 // unix seconds by Options.Now
	expired bool  // by ExpireTokens
}

// ExpireTokens makes every token issued so far, and Options.Token, answer
// 42001 from now on. Tokens fetched afterwards from /cgi-bin/stable_token or
// /cgi-bin/component/api_component_token are valid.
func (s *Server) ExpireTokens() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.optExpire = true
	for _, t := range s.tokens {
		t.expired = true
	}
}

// tokenKind names the kind of tok without judging it (for the call record).
func (s *Server) tokenKind(tok string) string {
	if tok == "" {
		return ""
	}
	if tok == s.token {
		return kindEmulator
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[tok]; ok {
		return t.kind
	}
	return kindUnknown
}

// tokenKinds says which kinds of token each path takes (API-NOTES.md "Which
// token each call takes"); Options.Token is every kind. Invoke takes either:
// whether a component token may invoke depends on the function (batch mode),
// which the invoke handler checks.
var tokenKinds = map[string][]string{
	pathBatchCreate: {kindComponent},
	pathBatchUpdate: {kindComponent},
	pathCreate:      {kindAccess},
	pathDownload:    {kindAccess},
	pathInvoke:      {kindAccess, kindComponent},
}

// checkToken answers 0, the token's kind and its app ID when tok may call
// path, or the errcode WeChat would send: 48001 for a valid token of the
// wrong kind (see doc.go).
func (s *Server) checkToken(tok, path string) (kind, appid string, code int) {
	if tok == "" {
		return "", "", codeTokenMissing
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if tok == s.token {
		if s.optExpire {
			return "", "", codeTokenExpired
		}
		return kindEmulator, "", codeOK
	}
	t, ok := s.tokens[tok]
	if !ok {
		return "", "", codeInvalidToken
	}
	if t.expired || s.opts.Now().Unix() >= t.expires {
		return "", "", codeTokenExpired
	}
	if !slices.Contains(tokenKinds[path], t.kind) {
		return "", "", codeUnauthorized
	}
	return t.kind, t.appid, codeOK
}

// issue returns a valid token of kind for appid: the current one unless force
// is set or it expired (stable_token's documented behaviour), else a new one.
func (s *Server) issue(kind, appid string, force bool) (string, int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.opts.Now().Unix()
	key := kind + "\x00" + appid
	if tok, ok := s.byApp[key]; ok && !force {
		if t := s.tokens[tok]; !t.expired && now < t.expires {
			return tok, int(t.expires - now)
		}
	}
	s.tokenSeq++
	// Real tokens are long opaque strings; the random part keeps two
	// emulators (or two runs) from accepting each other's tokens.
	tok := fmt.Sprintf("emu-%s-%d-%s", kind, s.tokenSeq, rand.Text())
	ttl := int64(tokenTTL.Seconds())
	s.tokens[tok] = &tokenInfo{kind: kind, appid: appid, expires: now + ttl}
	s.byApp[key] = tok
	return tok, int(ttl)
}

// stableToken serves POST /cgi-bin/stable_token.
func (s *Server) stableToken(rq *request) reply {
	if r := rq.precheckBody(); r != nil {
		return *r
	}
	grant, err1 := rq.str("grant_type")
	appid, err2 := rq.str("appid")
	secret, err3 := rq.str("secret")
	force, err4 := rq.boolean("force_refresh")
	if err := firstErr(err1, err2, err3, err4); err != nil {
		return errReply(codeDataFormat, err.Error())
	}
	switch {
	case grant != "client_credential":
		return errReply(codeInvalidGrant, `grant_type must be "client_credential"`)
	case strings.TrimSpace(appid) == "":
		return errReply(codeInvalidAppID, "")
	case secret == "":
		return errReply(codeInvalidCred, "")
	}
	tok, ttl := s.issue(kindAccess, appid, force)
	return reply{body: struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}{tok, ttl}}
}

// componentToken serves POST /cgi-bin/component/api_component_token.
func (s *Server) componentToken(rq *request) reply {
	if r := rq.precheckBody(); r != nil {
		return *r
	}
	appid, err1 := rq.str("component_appid")
	secret, err2 := rq.str("component_appsecret")
	ticket, err3 := rq.str("component_verify_ticket")
	if err := firstErr(err1, err2, err3); err != nil {
		return errReply(codeDataFormat, err.Error())
	}
	switch {
	case strings.TrimSpace(appid) == "":
		return errReply(codeInvalidAppID, "")
	case secret == "":
		return errReply(codeInvalidSecret, "")
	case ticket == "":
		return errReply(codeTicketInvalid, "component_verify_ticket is missing")
	}
	tok, ttl := s.issue(kindComponent, appid, false)
	return reply{body: struct {
		ComponentAccessToken string `json:"component_access_token"`
		ExpiresIn            int    `json:"expires_in"`
	}{tok, ttl}}
}

// legacyToken answers GET /cgi-bin/token with an error: minting a token there
// expires the copy the Mini Program's production servers hold, so a deploy
// tool must never call it (API-NOTES.md).
func (s *Server) legacyToken(rq *request) reply {
	return errReply(codeUnauthorized, "the emulator does not serve /cgi-bin/token because it invalidates the production servers' access_token; use POST /cgi-bin/stable_token")
}

// precheckBody runs the checks shared by every POST endpoint that takes no
// access_token: method, empty body, JSON.
func (rq *request) precheckBody() *reply {
	if rq.r.Method != http.MethodPost {
		r := errReply(codeRequirePOST, "")
		return &r
	}
	if rq.empty() {
		r := errReply(codeEmptyPost, "")
		return &r
	}
	if rq.jsonErr != nil {
		r := errReply(codeDataFormat, "body is not a JSON object")
		return &r
	}
	return nil
}

func firstErr(errs ...error) error {
	for _, e := range errs {
		if e != nil {
			return e
		}
	}
	return nil
}
