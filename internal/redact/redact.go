// Package redact removes secrets from text and errors. One Redactor is shared
// by the whole program: the CLI adds the secret inputs, the vendor clients add
// every token they obtain, and the output layer runs everything it writes
// through it before anything else touches the text (so a later cut can never
// leave half a secret behind).
package redact

import (
	"encoding/base64"
	"errors"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// MinLen keeps a short or empty value (a typo, "x") from turning every
// message into stars.
const MinLen = 6

// Mask is what a secret becomes.
const Mask = "***"

// SecretParams lists the query and JSON keys whose values are always secret,
// whether or not the Redactor was told the value: a URL echoed in a transport
// error carries the token the client just used. WeChat's names first, then
// Tencent Cloud's (STS answers TmpSecretKey and Token; requests carry
// SecretKey and WebIdentityToken).
const SecretParams = `authorizer_access_token|component_access_token|access_token|component_appsecret|component_verify_ticket|appsecret|secret|` +
	`tmpsecretkey|secretkey|sessiontoken|session_token|webidentitytoken|x-tc-token|token`

// These are immutable after compilation; sharing them holds no state.
var (
	// A value ends at "&", "%26" (an encoded "&" when the URL sits inside
	// another URL), whitespace, quotes or a fragment.
	queryParamRE = regexp.MustCompile(`(?i)(` + SecretParams + `)(=|%3D)((?:[^&\s"'#<>\\%]|%[013-9A-Fa-f][0-9A-Fa-f]|%2[0-57-9A-Fa-f])+)`)
	// jsonParamRE stops before the closing quote, so it also masks a value
	// cut short before it (a truncated token answer holds a token the
	// Redactor has not been told about yet).
	jsonParamRE = regexp.MustCompile(`(?i)("(?:` + SecretParams + `)"\s*:\s*")(?:[^"\\]|\\.)*`)
)

// Redactor removes secrets from text and errors. The zero value and a nil
// *Redactor are usable (they mask only the well-known parameters).
type Redactor struct {
	mu       sync.Mutex
	secrets  map[string]bool
	replacer *strings.Replacer // rebuilt lazily after Add
}

// New returns a Redactor that already knows secrets.
func New(secrets ...string) *Redactor {
	r := &Redactor{}
	r.Add(secrets...)
	return r
}

// Add registers secrets with the forms they travel in: raw, URL-encoded and
// base64 (standard and URL alphabets, at each of the three alignments a
// secret can have inside a longer base64 text). Empty and very short strings
// are ignored.
func (r *Redactor) Add(secrets ...string) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, s := range secrets {
		if len(s) < MinLen {
			continue
		}
		if r.secrets == nil {
			r.secrets = map[string]bool{}
		}
		for _, form := range Forms(s) {
			if !r.secrets[form] {
				r.secrets[form] = true
				r.replacer = nil
			}
		}
	}
}

// Forms returns the strings a secret can appear as in text: itself, its URL
// encodings, and its base64 encodings. Inside a longer base64 text (a token
// in a JSON blob that was base64-encoded) a secret's encoding depends on its
// offset modulo 3, and its first and last groups mix with the neighbouring
// bytes: each alignment contributes the groups made of the secret's bytes
// alone, when they are long enough to be worth masking.
func Forms(s string) []string {
	out := []string{s, url.QueryEscape(s), url.PathEscape(s)}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		out = append(out, enc.EncodeToString([]byte(s)))
		for skip := range 3 {
			core := s[skip:]
			core = core[:len(core)/3*3]
			if e := enc.EncodeToString([]byte(core)); len(e) >= 8 {
				out = append(out, e)
			}
		}
	}
	return out
}

// String returns s with every known secret and every secret-named query or
// JSON parameter value replaced by Mask.
func (r *Redactor) String(s string) string {
	if rep := r.getReplacer(); rep != nil {
		s = rep.Replace(s)
	}
	if strings.ContainsAny(s, "=%") {
		s = queryParamRE.ReplaceAllString(s, "${1}${2}"+Mask)
	}
	if strings.Contains(s, `"`) {
		s = jsonParamRE.ReplaceAllString(s, "${1}"+Mask)
	}
	return s
}

func (r *Redactor) getReplacer() *strings.Replacer {
	if r == nil {
		return nil
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.secrets) == 0 {
		return nil
	}
	if r.replacer == nil {
		// Longest first, so that a secret containing another is masked whole
		// (strings.Replacer picks the first matching old string in order).
		list := make([]string, 0, len(r.secrets))
		for s := range r.secrets {
			list = append(list, s)
		}
		sort.Slice(list, func(i, j int) bool {
			if len(list[i]) != len(list[j]) {
				return len(list[i]) > len(list[j])
			}
			return list[i] < list[j]
		})
		pairs := make([]string, 0, 2*len(list))
		for _, s := range list {
			pairs = append(pairs, s, Mask)
		}
		r.replacer = strings.NewReplacer(pairs...)
	}
	return r.replacer
}

// Error wraps err so that its message is redacted. errors.Is and errors.As
// still reach what the chain holds (context.Canceled, typed vendor errors),
// except that a *url.Error is handed out as a copy whose URL is redacted: its
// URL holds the token.
func (r *Redactor) Error(err error) error {
	if err == nil {
		return nil
	}
	if re, ok := err.(*redactedError); ok && re.r == r {
		return err
	}
	return &redactedError{r: r, err: err}
}

// redactedError deliberately has no Unwrap method: errors.Unwrap would hand
// out the raw chain. Is and As delegate instead, and As sanitises what it
// finds.
type redactedError struct {
	r   *Redactor
	err error
}

func (e *redactedError) Error() string { return e.r.String(e.err.Error()) }

func (e *redactedError) Is(target error) bool { return errors.Is(e.err, target) }

// Timeout keeps (*url.Error).Timeout working on a sanitised copy, whose cause
// is a redactedError.
func (e *redactedError) Timeout() bool {
	var t interface{ Timeout() bool }
	return errors.As(e.err, &t) && t.Timeout()
}

func (e *redactedError) As(target any) bool {
	if !errors.As(e.err, target) {
		return false
	}
	if p, ok := target.(**url.Error); ok && *p != nil {
		*p = e.r.urlError(*p)
	}
	return true
}

// urlError copies ue with its URL redacted and its cause wrapped.
func (r *Redactor) urlError(ue *url.Error) *url.Error {
	return &url.Error{Op: ue.Op, URL: r.String(ue.URL), Err: r.Error(ue.Err)}
}
