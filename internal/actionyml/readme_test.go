package actionyml

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
)

// TestReadmeNamesEveryInputAndOutput keeps the README's tables in step with
// the input table: a new input must be documented where users look.
func TestReadmeNamesEveryInputAndOutput(t *testing.T) {
	t.Parallel()
	data, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(data)
	for _, in := range config.Inputs() {
		if in.CLIOnly {
			continue
		}
		if !strings.Contains(readme, "`"+in.Name+"`") {
			t.Errorf("README.md does not document input %q", in.Name)
		}
	}
	for _, out := range config.Outputs() {
		if !strings.Contains(readme, "`"+out.Name+"` |") && !strings.Contains(readme, "`"+out.Name+"`,") {
			t.Errorf("README.md does not document output %q", out.Name)
		}
	}
}
