package emulator

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// githubIssuer is the iss of GitHub Actions ID tokens (API-NOTES-TENCENTCLOUD.md §4).
const githubIssuer = "https://token.actions.githubusercontent.com"

// oidcTokenTTL is how long a GitHub ID token lives: GitHub's sample claims
// have exp = iat + 5 min and nbf = iat - 10 min.
const oidcTokenTTL = 5 * time.Minute

// STS limits (the SDK's sts model): DurationSeconds defaults to 7200 and
// stops at 43200.
const (
	defaultTempKeyTTL = 7200
	maxTempKeyTTL     = 43200
)

var (
	roleArnRE     = regexp.MustCompile(`^qcs::cam::uin/[0-9]+:roleName/[\w+=,.@-]{1,128}$`)
	sessionNameRE = regexp.MustCompile(`^[\w+=,.@-]{2,128}$`)
)

// tempKey is a temporary key pair STS issued, valid with its token until
// expires.
type tempKey struct {
	key, token string
	expires    time.Time
}

// OIDCRequestToken returns the bearer token the fake GitHub OIDC endpoint
// takes (what ACTIONS_ID_TOKEN_REQUEST_TOKEN holds in a workflow).
func (s *Server) OIDCRequestToken() string { return s.opts.OIDCRequestToken }

// OIDCRequestURL returns the endpoint's URL on the server at base, with a
// query already in it as GitHub's ACTIONS_ID_TOKEN_REQUEST_URL has, so
// clients append "&audience=…".
func (s *Server) OIDCRequestURL(base string) string {
	return strings.TrimSuffix(base, "/") + GitHubOIDCPath + "?api-version=2.0"
}

// IssueOIDCToken mints a GitHub Actions ID token for audience, as the fake
// endpoint does, signed with the emulator's own key (HS256: GitHub signs
// RS256 with keys it publishes; STS here trusts only its own tokens).
func (s *Server) IssueOIDCToken(audience string) string {
	now := s.opts.Now()
	repo, owner := subjectRepo(s.opts.OIDCSubject)
	claims := map[string]any{
		"jti": newRequestID(), "sub": s.opts.OIDCSubject, "aud": audience,
		"repository": repo, "repository_owner": owner, "iss": githubIssuer,
		"iat": now.Unix(), "nbf": now.Add(-10 * time.Minute).Unix(), "exp": now.Add(oidcTokenTTL).Unix(),
	}
	return s.signJWT(map[string]string{"alg": "HS256", "typ": "JWT", "kid": "wxcloud-emulator"}, claims)
}

// subjectRepo reads "owner/repo" and the owner from a sub claim like
// "repo:octo-org/octo-repo:ref:refs/heads/main".
func subjectRepo(sub string) (repo, owner string) {
	rest := strings.TrimPrefix(sub, "repo:")
	repo, _, _ = strings.Cut(rest, ":")
	owner, _, _ = strings.Cut(repo, "/")
	return repo, owner
}

func (s *Server) signJWT(header map[string]string, claims map[string]any) string {
	h, _ := json.Marshal(header)
	c, _ := json.Marshal(claims)
	enc := base64.RawURLEncoding
	signing := enc.EncodeToString(h) + "." + enc.EncodeToString(c)
	return signing + "." + enc.EncodeToString(hmacSHA256(s.signKey, signing))
}

// githubOIDCToken serves GET /_github/oidc/token?audience=… with
// Authorization: Bearer <request token>: {"value":"<JWT>"}, like the
// endpoint behind ACTIONS_ID_TOKEN_REQUEST_URL.
func (s *Server) githubOIDCToken(rq *request) reply {
	if rq.r.Method != http.MethodGet {
		return jsonReply(http.StatusMethodNotAllowed, map[string]string{"message": "method not allowed: use GET"})
	}
	scheme, tok, _ := strings.Cut(rq.r.Header.Get("Authorization"), " ")
	if !strings.EqualFold(scheme, "bearer") || subtle.ConstantTimeCompare([]byte(tok), []byte(s.opts.OIDCRequestToken)) != 1 {
		return jsonReply(http.StatusUnauthorized, map[string]string{"message": "Bad credentials"})
	}
	aud := rq.r.URL.Query().Get("audience")
	if aud == "" {
		// GitHub's default audience is the URL of the repository owner.
		_, owner := subjectRepo(s.opts.OIDCSubject)
		aud = "https://github.com/" + owner
	}
	return jsonReply(http.StatusOK, map[string]string{"value": s.IssueOIDCToken(aud)})
}

func jsonReply(status int, v any) reply {
	data, _ := json.Marshal(v)
	return reply{status: status, raw: data, rawSet: true, contentType: "application/json; charset=utf-8"}
}

// stsAssumeRole serves AssumeRoleWithWebIdentity (sts 2018-08-13, unsigned):
// a web identity token the emulator issued, for the provider and a role it
// knows, buys temporary keys that sign SCF calls with X-TC-Token.
func (s *Server) stsAssumeRole(tr *tcReq) (any, *tcError) {
	f := tr.rq.fields
	ttl, err := s.checkAssumeRole(f)
	if err != nil {
		return nil, err
	}
	if err := s.verifyWebIdentity(strField(f, "WebIdentityToken"), tr.now); err != nil {
		return nil, err
	}
	k := &tempKey{key: rand.Text() + rand.Text()[:6], token: "emu-sts-" + rand.Text() + rand.Text(), expires: tr.now.Add(ttl)}
	id := "AKIDtmp" + rand.Text()[:26]
	s.locked(func() { s.tempKeys[id] = k })
	type credentials struct{ Token, TmpSecretId, TmpSecretKey string }
	return struct {
		ExpiredTime int64
		Expiration  string
		Credentials credentials
	}{k.expires.Unix(), k.expires.UTC().Format(time.RFC3339), credentials{k.token, id, k.key}}, nil
}

func (s *Server) checkAssumeRole(f map[string]any) (time.Duration, *tcError) {
	provider, arn, session := strField(f, "ProviderId"), strField(f, "RoleArn"), strField(f, "RoleSessionName")
	switch {
	case provider != s.opts.OIDCProviderID:
		return 0, tcErrDetail(stsParamError, "ProviderId %q is not an identity provider of this account", provider)
	case !roleArnRE.MatchString(arn):
		return 0, tcErrDetail(stsParamError, "RoleArn %q is not qcs::cam::uin/<uin>:roleName/<name>", arn)
	case s.opts.RoleArn != "" && arn != s.opts.RoleArn:
		return 0, tcErrDetail(stsRoleNotFound, "%q", arn)
	case !sessionNameRE.MatchString(session):
		return 0, tcErrDetail(stsParamError, "RoleSessionName %q: 2 to 128 of letters, digits and +=,.@_-", session)
	}
	d, given := intField(f, "DurationSeconds")
	switch {
	case !given || d == 0:
		d = defaultTempKeyTTL
	case d > maxTempKeyTTL:
		return 0, tcErrDetail(stsOverTime, "DurationSeconds %d; the limit is %d", d, maxTempKeyTTL)
	case d < 0:
		return 0, tcErrDetail(stsParamError, "DurationSeconds %d", d)
	}
	return time.Duration(d) * time.Second, nil
}

// verifyWebIdentity checks a web identity token: a JWT this emulator signed,
// from GitHub's issuer, for the audience the role trusts, not expired.
func (s *Server) verifyWebIdentity(tok string, now time.Time) *tcError {
	bad := func(why string) *tcError { return tcErrDetail(stsTokenError, "%s", why) }
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return bad("not a JWT")
	}
	var header struct{ Alg string }
	if decodeJWTPart(parts[0], &header) != nil || header.Alg != "HS256" {
		return bad("not signed by this emulator's identity provider (alg " + header.Alg + ")")
	}
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, hmacSHA256(s.signKey, parts[0]+"."+parts[1])) {
		return bad("signature does not verify")
	}
	var c struct {
		Iss      string
		Aud      any
		Exp, Nbf int64
	}
	if decodeJWTPart(parts[1], &c) != nil {
		return bad("claims are not JSON")
	}
	switch {
	case c.Iss != githubIssuer:
		return bad("iss is not " + githubIssuer)
	case !audienceHas(c.Aud, s.opts.OIDCAudience):
		return bad("aud is not " + s.opts.OIDCAudience + ", the audience the role trusts")
	case now.Unix() >= c.Exp:
		return bad("the token expired")
	case now.Unix() < c.Nbf:
		return bad("the token is not valid yet")
	}
	return nil
}

func decodeJWTPart(part string, v any) error {
	b, err := base64.RawURLEncoding.DecodeString(part)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// audienceHas accepts aud as a string or a list of strings (RFC 7519).
func audienceHas(aud any, want string) bool {
	switch a := aud.(type) {
	case string:
		return a == want
	case []any:
		for _, x := range a {
			if x == want {
				return true
			}
		}
	}
	return false
}
