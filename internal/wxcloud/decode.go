package wxcloud

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

// response is the union of the fields every endpoint answers with. The
// decoder is deliberately tolerant: numbers sent as strings, a resp_data sent
// as an object, fail lists under either name with "errmsg" or "errormsg".
type response struct {
	Errcode int
	Errmsg  string
	// Failed merges fail_env_list (batchuploadscf) and fail_list
	// (batchuploadscfcode): servers have been seen to use either.
	Failed               []EnvFailure
	RespData             string
	URL                  string
	Checksum             string
	AccessToken          string
	ComponentAccessToken string
	ExpiresIn            int
}

type rawResponse struct {
	Errcode              json.RawMessage `json:"errcode"`
	Errmsg               json.RawMessage `json:"errmsg"`
	FailEnvList          json.RawMessage `json:"fail_env_list"`
	FailList             json.RawMessage `json:"fail_list"`
	RespData             json.RawMessage `json:"resp_data"`
	URL                  json.RawMessage `json:"url"`
	Checksum             json.RawMessage `json:"checksum"`
	AccessToken          json.RawMessage `json:"access_token"`
	ComponentAccessToken json.RawMessage `json:"component_access_token"`
	ExpiresIn            json.RawMessage `json:"expires_in"`
}

type rawFailure struct {
	Env      json.RawMessage `json:"env"`
	Errcode  json.RawMessage `json:"errcode"`
	Errmsg   json.RawMessage `json:"errmsg"`
	Errormsg json.RawMessage `json:"errormsg"`
}

// bodyError says why a response body could not be used. It is transient: a
// gateway's HTML page or a cut connection, not an answer from the API.
type bodyError struct {
	kind    string // "an empty body", "a truncated JSON body", "a non-JSON body"
	snippet string
	cause   error
}

func (e *bodyError) Error() string {
	s := "HTTP 200 with " + e.kind
	if e.snippet != "" {
		s += fmt.Sprintf(" starting %q", e.snippet)
	}
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

func (e *bodyError) Unwrap() error { return e.cause }

// snippet returns the start of a body for a message, secret values masked
// before it is cut (and before %q escapes the quotes the patterns rely on).
func snippet(b []byte) string {
	const n = 80
	s := redact.New().String(strings.TrimSpace(string(b)))
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}

var trailingCommaRE = regexp.MustCompile(`,(\s*[}\]])`)

// decodeResponse parses an API response body.
func decodeResponse(body []byte) (*response, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, &bodyError{kind: "an empty body"}
	}
	if trimmed[0] != '{' {
		return nil, &bodyError{kind: "a non-JSON body", snippet: snippet(trimmed)}
	}
	var raw rawResponse
	err := json.Unmarshal(trimmed, &raw)
	if err != nil {
		// The createfunction page's sample answer ends `"errmsg": "ok",}`:
		// accept a trailing comma rather than retry a successful call.
		if fixed := trailingCommaRE.ReplaceAll(trimmed, []byte("$1")); !bytes.Equal(fixed, trimmed) {
			if json.Unmarshal(fixed, &raw) == nil {
				err = nil
			}
		}
	}
	if err != nil {
		// Every field is a RawMessage, so only syntax errors get here; encoding/json
		// has no sentinel for a body cut short.
		kind := "a non-JSON body"
		if strings.Contains(err.Error(), "unexpected end") {
			kind = "a truncated JSON body"
		}
		return nil, &bodyError{kind: kind, snippet: snippet(trimmed), cause: err}
	}
	var r response
	if r.Errcode, err = jsonInt(raw.Errcode); err != nil {
		return nil, &bodyError{kind: "a malformed JSON body", snippet: snippet(trimmed), cause: fmt.Errorf("errcode: %w", err)}
	}
	if r.ExpiresIn, err = jsonInt(raw.ExpiresIn); err != nil {
		return nil, &bodyError{kind: "a malformed JSON body", snippet: snippet(trimmed), cause: fmt.Errorf("expires_in: %w", err)}
	}
	r.Errmsg = jsonString(raw.Errmsg)
	r.RespData = jsonString(raw.RespData)
	r.URL = jsonString(raw.URL)
	r.Checksum = jsonString(raw.Checksum)
	r.AccessToken = jsonString(raw.AccessToken)
	r.ComponentAccessToken = jsonString(raw.ComponentAccessToken)
	for _, list := range []json.RawMessage{raw.FailEnvList, raw.FailList} {
		for _, item := range listItems(list) {
			r.Failed = append(r.Failed, decodeFailure(item))
		}
	}
	return &r, nil
}

// listItems splits a JSON array; a lone object counts as a list of one, and
// null or anything else as empty.
func listItems(raw json.RawMessage) []json.RawMessage {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case '[':
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err == nil {
			return items
		}
	case '{':
		return []json.RawMessage{raw}
	}
	return nil
}

func decodeFailure(item json.RawMessage) EnvFailure {
	var rf rawFailure
	if err := json.Unmarshal(item, &rf); err != nil {
		// Not an object: keep whatever it says as the message.
		return EnvFailure{Msg: jsonString(item)}
	}
	f := EnvFailure{Env: jsonString(rf.Env), Msg: jsonString(rf.Errmsg)}
	if f.Msg == "" {
		f.Msg = jsonString(rf.Errormsg)
	}
	if code, err := jsonInt(rf.Errcode); err == nil {
		f.Errcode = code
	}
	return f
}

// jsonString returns a JSON string's value, "" for null or absent, and the raw
// text of any other value.
func jsonString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err == nil {
			return s
		}
	}
	return string(raw)
}

// jsonInt reads an integer sent as a number or as a string holding one;
// null or absent is 0.
func jsonInt(raw json.RawMessage) (int, error) {
	s := jsonString(raw)
	if s == "" {
		return 0, nil
	}
	if n, err := strconv.Atoi(strings.TrimSpace(s)); err == nil {
		return n, nil
	}
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
		return 0, fmt.Errorf("%q is not an integer", s)
	}
	return int(f), nil
}
