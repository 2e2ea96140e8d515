package deploy

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/config"
)

// Target is one function to deploy: its cloud name and its local directory.
type Target struct {
	Name string
	Dir  string
}

// functionNameRule is Tencent SCF's rule (API-NOTES.md, "Limits").
var functionNameRule = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_-]{0,58}[A-Za-z0-9]$`)

// Targets resolves the functions a config names: one function-name with its
// path, the directories matched by `functions`, or, when neither is given, the
// directories under the cloudfunctionRoot of a WeChat project.config.json.
// Errors are *config.InputError: nothing has been sent yet.
func Targets(cfg *config.Config) ([]Target, error) {
	if cfg.FunctionName != "" {
		dir := cfg.PathAbs
		if dir == "" {
			dir = cfg.Path
		}
		return []Target{{Name: cfg.FunctionName, Dir: dir}}, nil
	}
	root := workspaceRoot(cfg)
	globs := cfg.Functions
	input := "functions"
	if len(globs) == 0 {
		if cfg.CloudfunctionRoot == "" {
			return nil, &config.InputError{Input: "function-name", Msg: "no function given: set function-name (with path) or functions (e.g. cloudfunctions/*), or run where a project.config.json names a cloudfunctionRoot"}
		}
		globs = []string{path.Join(filepath.ToSlash(cfg.CloudfunctionRoot), "*")}
		input = "functions (from project.config.json cloudfunctionRoot)"
	}
	fsys := os.DirFS(root)
	var includes, excludes []string
	for _, g := range globs {
		g = strings.TrimSpace(g)
		exclude := strings.HasPrefix(g, "!")
		g = strings.TrimPrefix(filepath.ToSlash(strings.TrimPrefix(g, "!")), "./")
		g = strings.TrimSuffix(g, "/")
		if g == "" {
			continue
		}
		if !doublestar.ValidatePattern(g) {
			return nil, &config.InputError{Input: input, Value: g, Msg: "is not a valid glob (doublestar syntax: *, **, ?, [abc], {a,b})"}
		}
		if exclude {
			excludes = append(excludes, g)
		} else {
			includes = append(includes, g)
		}
	}
	excluded := func(dir string) bool {
		for _, x := range excludes {
			if ok, _ := doublestar.Match(x, dir); ok {
				return true
			}
		}
		return false
	}
	seen := map[string]string{}
	var targets []Target
	for _, g := range includes {
		matches, err := doublestar.Glob(fsys, g, doublestar.WithFailOnIOErrors())
		if err != nil {
			return nil, &config.InputError{Input: input, Value: g, Msg: fmt.Sprintf("cannot be expanded: %v", err)}
		}
		sort.Strings(matches)
		n := 0
		for _, m := range matches {
			info, err := fs.Stat(fsys, m)
			if err != nil || !info.IsDir() {
				continue
			}
			name := path.Base(m)
			if strings.HasPrefix(name, ".") {
				continue // .git, .cache and friends are never functions
			}
			n++
			if excluded(m) {
				continue
			}
			if !functionNameRule.MatchString(name) {
				return nil, &config.InputError{Input: input, Value: m, Msg: fmt.Sprintf("directory name %q is not a valid function name (2-60 letters, digits, '-' or '_', starting with a letter and ending with a letter or digit): rename it or exclude it with a !%s line", name, m)}
			}
			if prev, dup := seen[name]; dup {
				if prev == m {
					continue
				}
				return nil, &config.InputError{Input: input, Value: m, Msg: fmt.Sprintf("function %q is matched twice (%q and %q): function names must be unique", name, prev, m)}
			}
			seen[name] = m
			targets = append(targets, Target{Name: name, Dir: filepath.Join(root, filepath.FromSlash(m))})
		}
		if n == 0 {
			return nil, &config.InputError{Input: input, Value: g, Msg: fmt.Sprintf("matched no directory under %q (check the glob; it is relative to the workspace)", root)}
		}
	}
	if len(targets) == 0 {
		return nil, &config.InputError{Input: input, Msg: "matched no function directory"}
	}
	return targets, nil
}

func workspaceRoot(cfg *config.Config) string {
	if cfg.Workspace != "" {
		return cfg.Workspace
	}
	return "."
}
