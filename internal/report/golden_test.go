package report

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/result"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// golden compares got with testdata/name, or rewrites it under -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./internal/report -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs from the golden file (run with -update after checking the change):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestGolden(t *testing.T) {
	t.Parallel()
	dry := testMeta()
	dry.DryRun = true
	bare := Meta{Now: fixedNow}
	tests := []struct {
		name string
		run  *result.Run
		meta Meta
	}{
		{"mixed", mixedRun(), testMeta()},
		{"dry-run", plannedRun(), dry},
		{"interrupted", interruptedRun(), testMeta()},
		{"empty", &result.Run{Command: "deploy"}, bare},
		{"platform", platformRun(), testMeta()},
		{"tencentcloud", tencentRun(), testMeta()},
		{"hostile", hostileRun(), testMeta()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			golden(t, tt.name+".summary.golden", Summary(tt.run, tt.meta))
			golden(t, tt.name+".comment.golden", Comment(tt.run, tt.meta, Marker(tt.meta.Workflow, tt.meta.Job)))
			golden(t, tt.name+".table.golden", Table(tt.run))
		})
	}
	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		golden(t, "invalid.summary.golden", InvalidSummary([]string{
			`envs: "dev_a" is not a valid env ID (letters, digits and -, 6 to 40 characters)`,
			"size-limit: package for \"pay\" is 21 MiB, over size-limit 20 MiB\nlargest: node_modules/big.bin (18 MiB)\nindex.js (2 KiB)",
		}, testMeta()))
	})
}
