package output

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
)

// JSON writes v as indented JSON to stdout (--json): every string in it
// redacted, and the characters a log or terminal would act on escaped
// inside the strings, so that it still decodes to the same (redacted) data.
// HTML characters are not escaped: people read it.
func (o *Out) JSON(v any) error {
	data, err := marshal(v)
	if err != nil {
		return fmt.Errorf("encoding the JSON output: %w", err)
	}
	safe, err := o.safeJSON(data, true)
	if err != nil {
		return fmt.Errorf("encoding the JSON output: %w", err)
	}
	o.stdout.write(append(safe, '\n'))
	return nil
}

func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// safeJSON re-encodes JSON text with every string (keys included) redacted
// one by one, so that redaction can never break the syntax (a secret
// holding a quote) and a secret split by an escape is still found, then
// escapes what jsonUnsafe lists. Numbers keep their exact text.
func (o *Out) safeJSON(data []byte, indent bool) ([]byte, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var w jsonWriter
	for {
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if err := w.token(tok, o.red.String); err != nil {
			return nil, err
		}
	}
	res := w.out.Bytes()
	if indent {
		var ind bytes.Buffer
		if err := json.Indent(&ind, res, "", "  "); err != nil {
			return nil, err
		}
		res = ind.Bytes()
	}
	return []byte(jsonUnsafe.Replace(string(res))), nil
}

// jsonWriter writes compact JSON from a json.Decoder's tokens, which leave
// out the commas and colons.
type jsonWriter struct {
	out bytes.Buffer
	// One entry per open container: is it an object, has it an element yet,
	// is its next string a key.
	obj, started, key []bool
}

func (w *jsonWriter) token(tok json.Token, redact func(string) string) error {
	if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
		n := len(w.obj) - 1
		w.obj, w.started, w.key = w.obj[:n], w.started[:n], w.key[:n]
		w.out.WriteByte(byte(d))
		return nil
	}
	w.separate()
	switch t := tok.(type) {
	case json.Delim:
		w.out.WriteByte(byte(t))
		w.obj, w.started, w.key = append(w.obj, t == '{'), append(w.started, false), append(w.key, t == '{')
	case string:
		s, err := marshal(redact(t))
		if err != nil {
			return err
		}
		w.out.Write(s)
	case json.Number:
		w.out.WriteString(t.String())
	case bool:
		fmt.Fprint(&w.out, t)
	case nil:
		w.out.WriteString("null")
	}
	return nil
}

// separate writes the comma or colon due before the next value or key.
func (w *jsonWriter) separate() {
	n := len(w.obj) - 1
	if n < 0 {
		return
	}
	switch {
	case w.obj[n] && !w.key[n]:
		w.out.WriteByte(':')
	case w.started[n]:
		w.out.WriteByte(',')
	}
	w.started[n] = true
	if w.obj[n] {
		w.key[n] = !w.key[n]
	}
}

// jsonUnsafe escapes, inside JSON strings, what encoding/json leaves raw
// but a reader acts on: the runner's legacy "##[" command prefix (valid
// anywhere in a line), DEL, C1 controls and bidirectional overrides. Outside
// strings JSON holds none of these, so replacing them in the whole text
// only ever touches strings, and \u escapes decode to the same characters.
var jsonUnsafe = func() *strings.Replacer {
	pairs := []string{"##[", `##\u005b`, "\x7f", `\u007f`}
	add := func(lo, hi rune) {
		for r := lo; r <= hi; r++ {
			pairs = append(pairs, string(r), fmt.Sprintf(`\u%04x`, r))
		}
	}
	add(0x80, 0x9f)
	add(0x200e, 0x200f)
	add(0x202a, 0x202e)
	add(0x2066, 0x2069)
	return strings.NewReplacer(pairs...)
}()
