package backend

import (
	"context"
	"errors"
	"fmt"
	"testing"
)

type vendorErr struct{ k Kind }

func (v *vendorErr) Error() string             { return "vendor" }
func (v *vendorErr) Kind() Kind                { return v.k }
func (v *vendorErr) VendorCode() (int, string) { return 0, "ResourceNotFound.Function" }

func TestKindOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		err  error
		want Kind
	}{
		{"nil", nil, KindOther},
		{"plain", errors.New("x"), KindOther},
		{"vendor, wrapped", fmt.Errorf("probe: %w", &vendorErr{KindNotFound}), KindNotFound},
		{"backend error", &Error{K: KindUnreachable, Msg: "no answer"}, KindUnreachable},
		{"cancelled", fmt.Errorf("x: %w", context.Canceled), KindCancelled},
		{"classified wins over cancelled", errors.Join(&Error{K: KindDenied}, context.Canceled), KindDenied},
	}
	for _, tt := range tests {
		if got := KindOf(tt.err); got != tt.want {
			t.Errorf("%s: KindOf = %v, want %v", tt.name, got, tt.want)
		}
	}
	if n, name := CodeOf(fmt.Errorf("w: %w", &vendorErr{})); n != 0 || name != "ResourceNotFound.Function" {
		t.Errorf("CodeOf = %d %q", n, name)
	}
	if n, name := CodeOf(errors.New("x")); n != 0 || name != "" {
		t.Errorf("CodeOf(plain) = %d %q", n, name)
	}
}

func TestOpOther(t *testing.T) {
	t.Parallel()
	if Create.Other() != Update || Update.Other() != Create {
		t.Error("Other is not the fallback")
	}
}

func TestSettingsEmpty(t *testing.T) {
	t.Parallel()
	n := 3
	if !(*Settings)(nil).Empty() || !(&Settings{}).Empty() {
		t.Error("nil and zero settings manage nothing")
	}
	if (&Settings{Timeout: &n}).Empty() || (&Settings{EnvVars: map[string]string{}}).Empty() || (&Settings{PruneTriggers: true}).Empty() {
		t.Error("set fields manage something")
	}
}
