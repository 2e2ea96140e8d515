// Package yamlsubset reads the block-style subset of YAML that the
// project's own generated and hand-written release files use (action.yml,
// .goreleaser.yaml): mappings, sequences, plain, single- and double-quoted
// scalars, comments on their own lines. go.mod carries no YAML library, and
// these files are read only by tests; a test that compares Read with PyYAML
// where it is installed keeps the subset honest.
package yamlsubset

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Read parses src into map[string]any, []any, string and nil (an empty
// value). Every scalar stays a string, as GitHub reads action inputs; flow
// collections ([a, b], {a: b}) and block scalars (|, >) are errors, not
// strings.
func Read(src string) (any, error) {
	var lines []yline
	for i, raw := range strings.Split(src, "\n") {
		t := strings.TrimRight(raw, " ")
		trimmed := strings.TrimLeft(t, " ")
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if strings.Contains(t, "\t") {
			return nil, fmt.Errorf("line %d: tab in indentation", i+1)
		}
		lines = append(lines, yline{indent: len(t) - len(trimmed), text: trimmed, no: i + 1})
	}
	p := &yparser{lines: lines}
	if len(lines) == 0 {
		return map[string]any{}, nil
	}
	v, err := p.block(lines[0].indent)
	if err != nil {
		return nil, err
	}
	if p.i != len(lines) {
		return nil, fmt.Errorf("line %d: unexpected indentation", lines[p.i].no)
	}
	return v, nil
}

type yline struct {
	indent int
	text   string
	no     int
}

type yparser struct {
	lines []yline
	i     int
}

func (p *yparser) block(indent int) (any, error) {
	if strings.HasPrefix(p.lines[p.i].text, "- ") {
		return p.list(indent)
	}
	return p.mapping(indent)
}

func (p *yparser) list(indent int) (any, error) {
	out := []any{}
	for p.i < len(p.lines) && p.lines[p.i].indent == indent && strings.HasPrefix(p.lines[p.i].text, "- ") {
		l := &p.lines[p.i]
		item := strings.TrimPrefix(l.text, "- ")
		if !isMappingLine(item) {
			v, err := Scalar(item)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", l.no, err)
			}
			out = append(out, v)
			p.i++
			continue
		}
		// "- key: v" starts a mapping two columns further in.
		l.indent += 2
		l.text = item
		v, err := p.block(indent + 2)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, nil
}

// isMappingLine tells "key: value" and "key:" from a scalar such as
// "https://x" or "-s -w".
func isMappingLine(s string) bool {
	if strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "'") {
		return false
	}
	_, rest, ok := strings.Cut(s, ":")
	return ok && (rest == "" || rest[0] == ' ')
}

func (p *yparser) mapping(indent int) (any, error) {
	out := map[string]any{}
	for p.i < len(p.lines) && p.lines[p.i].indent == indent {
		l := p.lines[p.i]
		if strings.HasPrefix(l.text, "- ") {
			return nil, fmt.Errorf("line %d: sequence item inside a mapping", l.no)
		}
		key, rest, ok := strings.Cut(l.text, ":")
		if !ok || (rest != "" && rest[0] != ' ') {
			return nil, fmt.Errorf("line %d: want key: value, got %q", l.no, l.text)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("line %d: key %q twice", l.no, key)
		}
		p.i++
		rest = strings.TrimSpace(rest)
		if rest != "" {
			v, err := Scalar(rest)
			if err != nil {
				return nil, fmt.Errorf("line %d: %w", l.no, err)
			}
			out[key] = v
			continue
		}
		// A sequence may sit at its key's own indentation (key:\n- a).
		if p.i < len(p.lines) && (p.lines[p.i].indent > indent ||
			p.lines[p.i].indent == indent && strings.HasPrefix(p.lines[p.i].text, "- ")) {
			v, err := p.block(p.lines[p.i].indent)
			if err != nil {
				return nil, err
			}
			out[key] = v
		} else {
			out[key] = nil
		}
	}
	return out, nil
}

// Scalar reads one scalar as Read does: a double-quoted one as JSON, a
// single-quoted one with ” as ', a plain one as it stands.
func Scalar(s string) (string, error) {
	switch {
	case strings.HasPrefix(s, "[") || strings.HasPrefix(s, "{"):
		return "", fmt.Errorf("flow collection %s: write it in block style", s)
	case s == "|" || s == ">" || strings.HasPrefix(s, "|-") || strings.HasPrefix(s, ">-"):
		return "", fmt.Errorf("block scalar %s is not supported", s)
	case strings.HasPrefix(s, `"`):
		var v string
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return "", fmt.Errorf("double-quoted scalar %s: %w", s, err)
		}
		return v, nil
	case strings.HasPrefix(s, "'"):
		if len(s) < 2 || !strings.HasSuffix(s, "'") {
			return "", fmt.Errorf("unterminated single-quoted scalar %s", s)
		}
		return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
	case strings.Contains(s, " #"), strings.Contains(s, ": "):
		return "", fmt.Errorf("plain scalar %q would not read back as written", s)
	}
	return s, nil
}
