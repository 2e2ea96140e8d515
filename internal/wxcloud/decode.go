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
// decoder is deliberately tolerant where a value is plain (numbers sent as
// strings, a resp_data sent as an object, "errmsg" or "errormsg"), and keeps
// fail lists as found: which env failed is read against the request by
// readFailList, the one place that decides.
type response struct {
	Errcode int
	Errmsg  string
	// FailEntries merges fail_env_list (batchuploadscf) and fail_list
	// (batchuploadscfcode): servers have been seen to use either.
	FailEntries []failEntry
	// FailListProblem says why a fail list present in the answer is not an
	// array ("fail_list is a string"); "" when there is none or it is one.
	FailListProblem      string
	RespData             string
	URL                  string
	Checksum             string
	AccessToken          string
	ComponentAccessToken string
	ExpiresIn            int
}

// failEntry is one element of a fail list, as found.
type failEntry struct {
	raw     string // the element's JSON text, for messages
	object  bool
	env     string
	envKind string // "" absent or null, "string", or the JSON kind of a non-string env
	errcode int
	msg     string
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

// snippet returns the start of a body for a message. The whole body goes
// through the client's Redactor, which knows every token and secret of the
// run, before it is cut (and before %q escapes the quotes the patterns rely
// on): cut first, and a token straddling the cut would leave its prefix
// behind, which no pattern recognises.
func snippet(r *redact.Redactor, b []byte) string {
	const n = 80
	s := r.String(strings.TrimSpace(string(b)))
	if len(s) > n {
		s = strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}

var trailingCommaRE = regexp.MustCompile(`,(\s*[}\]])`)

// decodeResponse parses an API response body; red masks the snippets its
// errors quote.
func decodeResponse(red *redact.Redactor, body []byte) (*response, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return nil, &bodyError{kind: "an empty body"}
	}
	if trimmed[0] != '{' {
		return nil, &bodyError{kind: "a non-JSON body", snippet: snippet(red, trimmed)}
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
		return nil, &bodyError{kind: kind, snippet: snippet(red, trimmed), cause: err}
	}
	var r response
	if r.Errcode, err = jsonInt(raw.Errcode); err != nil {
		return nil, &bodyError{kind: "a malformed JSON body", snippet: snippet(red, trimmed), cause: fmt.Errorf("errcode: %w", err)}
	}
	if r.ExpiresIn, err = jsonInt(raw.ExpiresIn); err != nil {
		return nil, &bodyError{kind: "a malformed JSON body", snippet: snippet(red, trimmed), cause: fmt.Errorf("expires_in: %w", err)}
	}
	r.Errmsg = jsonString(raw.Errmsg)
	r.RespData = jsonString(raw.RespData)
	r.URL = jsonString(raw.URL)
	r.Checksum = jsonString(raw.Checksum)
	r.AccessToken = jsonString(raw.AccessToken)
	r.ComponentAccessToken = jsonString(raw.ComponentAccessToken)
	for _, list := range []struct {
		name string
		raw  json.RawMessage
	}{{"fail_env_list", raw.FailEnvList}, {"fail_list", raw.FailList}} {
		items, problem := listItems(list.name, list.raw)
		if problem != "" && r.FailListProblem == "" {
			r.FailListProblem = problem
		}
		for _, item := range items {
			r.FailEntries = append(r.FailEntries, decodeFailure(item))
		}
	}
	return &r, nil
}

// listItems splits a JSON array. Absent or null is an empty list; anything
// else (a string, a number, a lone object) is not a list the client can
// read, and problem says so: guessing what a string means would be claiming
// to know which env failed.
func listItems(name string, raw json.RawMessage) (items []json.RawMessage, problem string) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, ""
	}
	if raw[0] == '[' {
		if err := json.Unmarshal(raw, &items); err == nil {
			return items, ""
		}
	}
	return nil, fmt.Sprintf("%s is %s, not an array", name, jsonKind(raw))
}

// jsonKind names a JSON value's kind for a message.
func jsonKind(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '"':
		return "a string"
	case '{':
		return "an object"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}

func decodeFailure(item json.RawMessage) failEntry {
	f := failEntry{raw: string(bytes.TrimSpace(item))}
	var rf rawFailure
	if len(f.raw) == 0 || f.raw[0] != '{' || json.Unmarshal(item, &rf) != nil {
		return f
	}
	f.object = true
	if env := bytes.TrimSpace(rf.Env); len(env) > 0 && string(env) != "null" {
		f.envKind = jsonKind(env)
		if f.envKind == "a string" {
			f.envKind = "string"
		}
		f.env = jsonString(env)
	}
	f.msg = jsonString(rf.Errmsg)
	if f.msg == "" {
		f.msg = jsonString(rf.Errormsg)
	}
	if code, err := jsonInt(rf.Errcode); err == nil {
		f.errcode = code
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
