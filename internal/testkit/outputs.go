package testkit

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// ParseOutputs reads a $GITHUB_OUTPUT file the way the runner does: lines
// "name=value" and heredocs "name<<DELIM", value lines, "DELIM". An output
// set twice is an error: the runner would keep the last and hide the first.
func ParseOutputs(text string) (map[string]string, error) {
	out := map[string]string{}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 0, 1<<20), 16<<20)
	set := func(name, value string) error {
		if _, dup := out[name]; dup {
			return fmt.Errorf("output %q is set twice", name)
		}
		out[name] = value
		return nil
	}
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		if name, delim, ok := strings.Cut(line, "<<"); ok && !strings.Contains(name, "=") {
			var value []string
			closed := false
			for sc.Scan() {
				if sc.Text() == delim {
					closed = true
					break
				}
				value = append(value, sc.Text())
			}
			if !closed {
				return nil, fmt.Errorf("output %q: heredoc delimiter %q never closes", name, delim)
			}
			if err := set(name, strings.Join(value, "\n")); err != nil {
				return nil, err
			}
			continue
		}
		name, value, ok := strings.Cut(line, "=")
		if !ok {
			return nil, fmt.Errorf("line %q is neither name=value nor name<<DELIMITER", line)
		}
		if err := set(name, value); err != nil {
			return nil, err
		}
	}
	return out, sc.Err()
}

// CommandLines returns the workflow commands ("::name ...::message") in
// stdout whose name is one of names.
func CommandLines(stdout string, names ...string) []string {
	var out []string
	for _, line := range strings.Split(stdout, "\n") {
		for _, n := range names {
			if strings.HasPrefix(line, "::"+n+"::") || strings.HasPrefix(line, "::"+n+" ") {
				out = append(out, line)
			}
		}
	}
	return out
}

// MaskedValues are the values of the ::add-mask:: commands in stdout.
func MaskedValues(stdout string) map[string]bool {
	out := map[string]bool{}
	for _, line := range strings.Split(stdout, "\n") {
		if v, ok := strings.CutPrefix(line, "::add-mask::"); ok {
			out[v] = true
		}
	}
	return out
}

// WithoutMasks drops the ::add-mask:: lines, which exist to name secrets
// (the runner never shows them).
func WithoutMasks(stdout string) string {
	var keep []string
	for _, line := range strings.Split(stdout, "\n") {
		if !strings.HasPrefix(line, "::add-mask::") {
			keep = append(keep, line)
		}
	}
	return strings.Join(keep, "\n")
}

// contractKeys are the keys every results object carries (CONTRACT.md).
var contractKeys = []string{"function", "env", "action", "errcode", "error", "sha256"}

// Results decodes a results array (the results output, or --json's
// stdout) and checks the contract: every object carries the always-present
// keys, and "invoke" exactly when wantInvoke (present only when a smoke test
// ran).
func Results(t testing.TB, data string, wantInvoke bool) []result.Result {
	t.Helper()
	var raw []map[string]json.RawMessage
	if err := json.Unmarshal([]byte(data), &raw); err != nil {
		t.Fatalf("results is not a JSON array of objects: %v\n%s", err, data)
	}
	var res []result.Result
	if err := json.Unmarshal([]byte(data), &res); err != nil {
		t.Fatalf("results do not match the contract's types: %v\n%s", err, data)
	}
	for i, obj := range raw {
		for _, k := range contractKeys {
			if _, ok := obj[k]; !ok {
				t.Errorf("result %d lacks %q: %s", i, k, data)
			}
		}
		if _, ok := obj["invoke"]; ok != wantInvoke {
			t.Errorf("result %d: invoke present = %v, want %v (present only when a smoke test ran)", i, ok, wantInvoke)
		}
	}
	return res
}
