package output_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/output"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// fill sets every string reachable from v (fields, slice elements, map keys
// and values, through pointers) to a value holding secret, creating one
// element in each empty slice and map, so that a string field added to
// result later is tested too.
func fill(v reflect.Value, secret string) {
	switch v.Kind() {
	case reflect.String:
		v.SetString("before " + secret + " after")
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(v.Type().Elem()))
		}
		fill(v.Elem(), secret)
	case reflect.Struct:
		for i := range v.NumField() {
			if v.Field(i).CanSet() {
				fill(v.Field(i), secret)
			}
		}
	case reflect.Slice:
		if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		for i := range v.Len() {
			fill(v.Index(i), secret)
		}
	case reflect.Map:
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(k, secret)
		fill(e, secret)
		v.Set(reflect.MakeMap(v.Type()))
		v.SetMapIndex(k, e)
	}
}

// strs lists every string reachable from v.
func strs(v reflect.Value) []string {
	switch v.Kind() {
	case reflect.String:
		return []string{v.String()}
	case reflect.Pointer, reflect.Interface:
		if v.IsNil() {
			return nil
		}
		return strs(v.Elem())
	case reflect.Struct:
		var out []string
		for i := range v.NumField() {
			out = append(out, strs(v.Field(i))...)
		}
		return out
	case reflect.Slice, reflect.Array:
		var out []string
		for i := range v.Len() {
			out = append(out, strs(v.Index(i))...)
		}
		return out
	case reflect.Map:
		var out []string
		it := v.MapRange()
		for it.Next() {
			out = append(out, strs(it.Key())...)
			out = append(out, strs(it.Value())...)
		}
		return out
	}
	return nil
}

func TestRedacted(t *testing.T) {
	t.Parallel()
	run := &result.Run{}
	fill(reflect.ValueOf(run), testToken)
	all := strs(reflect.ValueOf(run))
	if len(all) < 20 {
		t.Fatalf("fill reached only %d strings", len(all))
	}

	got := output.New(output.Options{Redactor: redact.New(testToken)}).Redacted(run)
	for _, s := range strs(reflect.ValueOf(got)) {
		if s != "before *** after" {
			t.Errorf("Redacted left %q", s)
		}
	}
	if n := len(strs(reflect.ValueOf(got))); n != len(all) {
		t.Errorf("the copy has %d strings, the run %d", n, len(all))
	}
	for _, s := range strs(reflect.ValueOf(run)) {
		if !strings.Contains(s, testToken) {
			t.Fatalf("Redacted changed the original: %q", s)
		}
	}

	// With nothing to redact the copy is equal and shares nothing.
	same := output.New(output.Options{}).Redacted(run)
	if !reflect.DeepEqual(same, run) {
		t.Errorf("copy differs:\n%+v\n%+v", same, run)
	}
	same.Results[0].Invoke.Log = "changed"
	same.Results[0].Config[0] = "changed"
	if run.Results[0].Invoke.Log == "changed" || run.Results[0].Config[0] == "changed" {
		t.Error("the copy shares memory with the run")
	}
	if output.New(output.Options{}).Redacted(nil) != nil {
		t.Error("Redacted(nil) != nil")
	}
}
