package pack

import (
	"strings"
	"testing"
)

func TestMatcherIncluded(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		path  string
		want  bool
	}{
		{"default all", nil, "index.js", true},
		{"default node_modules out", nil, "node_modules/a/index.js", false},
		{"nested node_modules in", nil, "lib/node_modules/a.js", true}, // only the root one is the cloud's to install
		{"git out", nil, ".git/config", false},
		{"ds_store anywhere", nil, "a/b/.DS_Store", false},
		{"macosx root", nil, "__MACOSX/x", false},
		{"macosx nested", nil, "a/__MACOSX/x", false},
		{"re-include", []string{"**", "node_modules/**"}, "node_modules/a/index.js", true},
		{"last match wins: include after exclude", []string{"**", "!*.md", "README.md"}, "README.md", true},
		{"last match wins: exclude after include", []string{"README.md", "!*.md"}, "README.md", false},
		{"unmatched is out", []string{"src/**"}, "index.js", false},
		{"exclude only", []string{"!a"}, "b", false},
		{"wildcards do not reach node_modules", []string{"**/*.js"}, "node_modules/a/index.js", false},
		{"single star does not reach node_modules", []string{"*/index.js"}, "node_modules/index.js", false},
		{"spelled after doublestar", []string{"**/node_modules/**"}, "node_modules/a/index.js", true},
		{"spelled in braces", []string{"{node_modules,src}/**"}, "node_modules/a/index.js", true},
		{"one package spelled", []string{"node_modules/lodash/**"}, "node_modules/lodash/add.js", true},
		{"other package not", []string{"node_modules/lodash/**"}, "node_modules/dayjs/index.js", false},
		{"re-included node_modules keeps .DS_Store out", []string{"**", "node_modules/**"}, "node_modules/a/.DS_Store", false},
		{"spelled .DS_Store comes back", []string{"**", "a/.DS_Store"}, "a/.DS_Store", true},
		{"wildcard include before spelled one", []string{"node_modules/**", "**"}, "node_modules/a.js", true},
		{"user exclude after re-include", []string{"**", "node_modules/**", "!node_modules/**/*.md"}, "node_modules/a/README.md", false},
		{"git spelled", []string{".git/HEAD"}, ".git/HEAD", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rules, err := rulesFor(parse(t, tt.lines))
			if err != nil {
				t.Fatal(err)
			}
			if got := newMatcher(rules).included(tt.path); got != tt.want {
				t.Fatalf("included(%q) with %q = %v, want %v", tt.path, tt.lines, got, tt.want)
			}
		})
	}
}

func TestMatcherPrunable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		lines []string
		dir   string
		want  bool
	}{
		{"default node_modules", nil, "node_modules", true},
		{"deep under node_modules", nil, "node_modules/a/b", true},
		{"ordinary dir", nil, "src", false},
		{"re-included node_modules", []string{"**", "node_modules/**"}, "node_modules", false},
		{"one package re-included: its parent is walked", []string{"**", "node_modules/lodash/**"}, "node_modules", false},
		{"one package re-included: others pruned", []string{"**", "node_modules/lodash/**"}, "node_modules/dayjs", true},
		{"one package re-included: it is walked", []string{"**", "node_modules/lodash/**"}, "node_modules/lodash", false},
		{"include elsewhere", []string{"src/**"}, "docs", true},
		{"include inside", []string{"src/**"}, "src/a", false},
		{"root files only", []string{"*.js"}, "lib", true},
		{"any depth file", []string{"**/*.js"}, "lib", false},
		{"braces are not reasoned about", []string{"{src,lib}/**"}, "docs", false},
		{"excluded then nothing re-includes", []string{"**", "!test/**"}, "test", true},
		{"excluded, a later include could match", []string{"**", "!test/**", "test/fixtures/keep.json"}, "test", false},
		{"excluded, later include elsewhere", []string{"**", "!test/**", "src/**"}, "test", true},
		{"exclude of files is no prune", []string{"**", "!*.md"}, "docs", false},
		{"wildcard-only include under node_modules", []string{"**/*.js"}, "node_modules", true},
		{"single star segment over node_modules", []string{"*/*.js"}, "node_modules", true},
		{"spelled after doublestar is walked", []string{"**/node_modules/**"}, "node_modules", false},
		{"spelled deeper is walked", []string{"**/node_modules/lodash/*.js"}, "node_modules/lodash", false},
		{"nested macosx pruned", []string{"**"}, "a/__MACOSX", true},
		{"nested macosx under re-included node_modules", []string{"**", "node_modules/**"}, "node_modules/x/__MACOSX", true},
		{"user exclude then spelled include", []string{"**", "!node_modules/**", "node_modules/a/**"}, "node_modules/a", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			rules, err := rulesFor(parse(t, tt.lines))
			if err != nil {
				t.Fatal(err)
			}
			if got := newMatcher(rules).prunable(tt.dir); got != tt.want {
				t.Fatalf("prunable(%q) with %q = %v, want %v", tt.dir, tt.lines, got, tt.want)
			}
		})
	}
}

func TestBase64(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]int64{0: 0, 1: 4, 2: 4, 3: 4, 4: 8, 15_000_000: 20_000_000} {
		if got := base64Len(n); got != want {
			t.Errorf("base64Len(%d) = %d, want %d", n, got, want)
		}
	}
	if w := Base64Warning(15_000_000); w != "" {
		t.Errorf("Base64Warning at exactly 20,000,000 characters = %q, want none", w)
	}
	w := Base64Warning(15_000_001)
	for _, want := range []string{"15000001 bytes", "20000004 characters", "20000000"} {
		if !strings.Contains(w, want) {
			t.Errorf("Base64Warning(15000001) = %q, want it to name %q", w, want)
		}
	}
}
