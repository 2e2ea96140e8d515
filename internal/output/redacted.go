package output

import (
	"reflect"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

// Redacted returns a deep copy of run with every string in it redacted
// (errors, details, config changes, a function's response and log, warnings,
// names, map keys): call it once, before any renderer cuts a cell, so that a
// cut can never leave the start of a secret behind. It walks the value by
// reflection, so a string field added to result later is covered without a
// change here.
func (o *Out) Redacted(run *result.Run) *result.Run {
	if run == nil {
		return nil
	}
	return o.redactValue(reflect.ValueOf(run)).Interface().(*result.Run)
}

func (o *Out) redactValue(v reflect.Value) reflect.Value {
	switch v.Kind() {
	case reflect.String:
		c := reflect.New(v.Type()).Elem()
		c.SetString(o.red.String(v.String()))
		return c
	case reflect.Pointer, reflect.Interface:
		return o.redactIndirect(v)
	case reflect.Struct:
		c := reflect.New(v.Type()).Elem()
		for i := range v.NumField() {
			if c.Field(i).CanSet() {
				c.Field(i).Set(o.redactValue(v.Field(i)))
			}
		}
		return c
	case reflect.Slice, reflect.Array:
		return o.redactList(v)
	case reflect.Map:
		if v.IsNil() {
			return v
		}
		c := reflect.MakeMapWithSize(v.Type(), v.Len())
		for it := v.MapRange(); it.Next(); {
			c.SetMapIndex(o.redactValue(it.Key()), o.redactValue(it.Value()))
		}
		return c
	}
	return v
}

func (o *Out) redactIndirect(v reflect.Value) reflect.Value {
	if v.IsNil() {
		return v
	}
	if v.Kind() == reflect.Pointer {
		c := reflect.New(v.Type().Elem())
		c.Elem().Set(o.redactValue(v.Elem()))
		return c
	}
	c := reflect.New(v.Type()).Elem()
	c.Set(o.redactValue(v.Elem()))
	return c
}

func (o *Out) redactList(v reflect.Value) reflect.Value {
	var c reflect.Value
	if v.Kind() == reflect.Slice {
		if v.IsNil() {
			return v
		}
		c = reflect.MakeSlice(v.Type(), v.Len(), v.Len())
	} else {
		c = reflect.New(v.Type()).Elem()
	}
	for i := range v.Len() {
		c.Index(i).Set(o.redactValue(v.Index(i)))
	}
	return c
}
