package deploy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
)

func TestTargets(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, d := range []string{"cloudfunctions/login", "cloudfunctions/orders", "cloudfunctions/old", "cloudfunctions/.cache", "other/pay"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(root, "cloudfunctions/README.md"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name      string
		functions []string
		fnRoot    string
		want      string // names joined by ","
		wantInput string // InputError.Input when an error is expected
		wantMsg   string
	}{
		{name: "glob of directories", functions: []string{"cloudfunctions/*"}, want: "login,old,orders"},
		{name: "exclusion", functions: []string{"cloudfunctions/*", "!cloudfunctions/old"}, want: "login,orders"},
		{name: "two globs", functions: []string{"cloudfunctions/login", "other/*"}, want: "login,pay"},
		{name: "project.config.json root", fnRoot: "cloudfunctions/", want: "login,old,orders"},
		{name: "nothing matched", functions: []string{"nope/*"}, wantInput: "functions", wantMsg: "matched no directory"},
		{name: "invalid glob", functions: []string{"cloudfunctions/[a"}, wantInput: "functions", wantMsg: "not a valid glob"},
		{name: "duplicate names", functions: []string{"cloudfunctions/login", "*/login", "other/pay", "cloudfunctions/*"}, want: "login,pay,old,orders"},
		{name: "nothing given", wantInput: "function-name", wantMsg: "no function given"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			cfg := &config.Config{Functions: tt.functions, CloudfunctionRoot: tt.fnRoot, Workspace: root}
			got, err := Targets(cfg)
			if tt.wantInput != "" {
				var ie *config.InputError
				if !errors.As(err, &ie) || ie.Input != tt.wantInput || !strings.Contains(err.Error(), tt.wantMsg) {
					t.Fatalf("err = %v, want an InputError for %q containing %q", err, tt.wantInput, tt.wantMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var names []string
			for _, tg := range got {
				names = append(names, tg.Name)
				if _, err := os.Stat(tg.Dir); err != nil {
					t.Errorf("%s: dir %q: %v", tg.Name, tg.Dir, err)
				}
			}
			if strings.Join(names, ",") != tt.want {
				t.Errorf("targets = %v, want %s", names, tt.want)
			}
		})
	}
}

func TestTargetsSameNameTwice(t *testing.T) {
	t.Parallel()
	root := t.TempDir()
	for _, d := range []string{"a/login", "b/login"} {
		if err := os.MkdirAll(filepath.Join(root, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	_, err := Targets(&config.Config{Functions: []string{"*/login"}, Workspace: root})
	if err == nil || !strings.Contains(err.Error(), "matched twice") {
		t.Fatalf("err = %v, want a duplicate-name error", err)
	}
}
