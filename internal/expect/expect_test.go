package expect

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, errFrag string }{
		{"", ""},
		{"/ok/", ""},
		{`{"ok":true}`, ""},
		{`"ok"`, ""},
		{"//", "empty regexp"},
		{"/(/", "not a valid regexp"},
		{`{"a":1e999}`, "out of range"},
		{"ok", "neither JSON nor /regexp/"},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in)
		switch {
		case tt.errFrag == "" && err != nil:
			t.Errorf("Parse(%q) = %v", tt.in, err)
		case tt.errFrag != "" && (err == nil || !strings.Contains(err.Error(), tt.errFrag)):
			t.Errorf("Parse(%q) err = %v, want %q", tt.in, err, tt.errFrag)
		case err == nil && e.String() != tt.in:
			t.Errorf("String() = %q, want %q", e.String(), tt.in)
		}
	}
}

func TestCheck(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expect, resp string
		ok           bool
	}{
		{"", "anything", true},
		{"/ok/", `{"ok":true}`, true},
		{"/^ok$/", `{"ok":true}`, false},
		{`{"ok":true}`, `{"ok":true,"extra":1}`, true},
		{`{"ok":true}`, `{"ok":false}`, false},
		{`{"list":[1,2]}`, `{"list":[1,2]}`, true},
		{`{"list":[1]}`, `{"list":[1,2]}`, false},
		{`"pong"`, `pong`, true},
		{`"pong"`, `"pong"`, true},
		{`{"a":1}`, `not json`, false},
	}
	for _, tt := range tests {
		e, err := Parse(tt.expect)
		if err != nil {
			t.Fatal(err)
		}
		err = e.Check(tt.resp)
		if (err == nil) != tt.ok {
			t.Errorf("expect %s on %s: err = %v, want ok=%v", tt.expect, tt.resp, err, tt.ok)
		}
		if err != nil && strings.Contains(err.Error(), tt.resp) && tt.resp != "" {
			t.Errorf("the message quotes the response (outside text): %v", err)
		}
	}
	var nilE *Expectation
	if nilE.Check("x") != nil || nilE.Set() {
		t.Error("a nil expectation accepts everything")
	}
}
