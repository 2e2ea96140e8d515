package config

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
)

// checkTargets resolves the functions a command acts on: one function-name
// with its path, the directories matched by functions, or, when neither is
// given, the directories under the cloudfunctionRoot of a WeChat
// project.config.json.
func (b *builder) checkTargets() {
	c := b.cfg
	if b.bad["function-name"] || b.bad["functions"] || b.bad["path"] || b.base == "" {
		return
	}
	if b.functions != "" {
		if b.functionGlobs = b.globList("functions", b.relativeGlobs(b.functions)); b.bad["functions"] {
			return
		}
	}
	switch c.Command {
	case Deploy, Pack, Plan:
		b.codeTargets()
	case Create, Invoke, Download:
		if len(b.functionGlobs) > 0 {
			b.fail("functions", "", "is not supported by "+string(c.Command)+" (give one function-name)")
			return
		}
		if b.functionName == "" {
			b.fail("function-name", "", "is required for "+string(c.Command)+" "+functionNameRule)
			return
		}
		c.Targets = []Target{{Name: b.functionName}}
	}
}

func (b *builder) codeTargets() {
	c := b.cfg
	switch {
	case b.functionName != "" && len(b.functionGlobs) > 0:
		b.fail("functions", "", "cannot be combined with function-name (give one function-name, or directory globs in functions)")
	case b.functionName != "":
		b.namedTarget()
	case len(b.functionGlobs) > 0:
		b.globTargets("functions", b.functionGlobs)
	case c.Command == Pack && b.set["path"]:
		// pack --path DIR: the function is named after its folder.
		b.functionName = filepath.Base(absUnder(b.base, b.path))
		if !FunctionNamePattern.MatchString(b.functionName) {
			b.fail("function-name", "", "is required: the folder name "+quote(b.functionName)+" of path is not a valid function name "+functionNameRule)
			return
		}
		b.namedTarget()
	default:
		b.projectTargets()
	}
}

// namedTarget is function-name with path.
func (b *builder) namedTarget() {
	abs := absUnder(b.base, b.path)
	if b.cfg.Workspace != "" && !inside(b.cfg.Workspace, resolveExisting(abs)) {
		b.fail("path", b.path, "is outside the workspace "+quote(b.cfg.Workspace)+" (use a path inside the repository)")
		return
	}
	resolved, err := filepath.EvalSymlinks(abs)
	if err != nil {
		b.fail("path", b.path, "does not exist under "+quote(b.base)+" (set path to the function's directory)")
		return
	}
	if fi, err := os.Stat(resolved); err != nil || !fi.IsDir() {
		b.fail("path", b.path, "is not a directory (set path to the function's directory)")
		return
	}
	b.cfg.Targets = []Target{b.target(b.functionName, resolved)}
}

// projectTargets: neither function-name nor functions; a WeChat DevTools
// project names its functions' folder.
func (b *builder) projectTargets() {
	c := b.cfg
	root, found, err := ProjectFunctionRoot(b.base)
	switch {
	case err != nil:
		b.fail("functions", "", "is not set and "+err.Error())
	case !found:
		b.fail("function-name", "", "is required for "+string(c.Command)+
			" (or set functions to directory globs such as cloudfunctions/*, or run in a WeChat project whose project.config.json names cloudfunctionRoot)")
	default:
		b.globTargets("functions (from project.config.json cloudfunctionRoot)", globs.List{{Pattern: path.Join(path.Clean(root), "*"), Line: 1}})
	}
}

// globTargets expands directory globs under the base: each matched directory
// is a function named after it; "!" lines exclude.
func (b *builder) globTargets(input string, list globs.List) {
	fsys := os.DirFS(b.base)
	var includes, excludes []string
	for _, r := range list {
		pat := strings.TrimSuffix(r.Pattern, "/")
		if r.Exclude {
			excludes = append(excludes, pat)
		} else {
			includes = append(includes, pat)
		}
	}
	seen := map[string]string{}
	for _, g := range includes {
		if !b.expand(input, fsys, g, excludes, seen) {
			return
		}
	}
	if len(b.cfg.Targets) == 0 {
		b.fail(input, "", "matched no function directory")
	}
}

// relativeGlobs accepts absolute globs inside the workspace
// (${{ github.workspace }}/cloudfunctions/*) by making them relative; the
// glob parser reads a leading "/" as the root of the workspace, so one
// outside it must be refused here.
func (b *builder) relativeGlobs(text string) string {
	lines := strings.Split(text, "\n")
	for i, line := range lines {
		trimmed := strings.TrimSpace(line)
		neg := strings.HasPrefix(trimmed, "!")
		pat := strings.TrimSpace(strings.TrimPrefix(trimmed, "!"))
		if !filepath.IsAbs(pat) {
			continue
		}
		rel, err := filepath.Rel(b.base, filepath.FromSlash(pat))
		if err != nil || escapes(rel) {
			b.fail("functions", pat, "leaves the workspace "+quote(b.base)+" (use globs inside the repository, e.g. cloudfunctions/*)")
			continue
		}
		if lines[i] = filepath.ToSlash(rel); neg {
			lines[i] = "!" + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

func (b *builder) expand(input string, fsys fs.FS, g string, excludes []string, seen map[string]string) bool {
	matches, err := doublestar.Glob(fsys, g, doublestar.WithFailOnIOErrors())
	if err != nil {
		b.fail(input, g, fmt.Sprintf("cannot be expanded: %v", err))
		return false
	}
	sort.Strings(matches)
	n := 0
	for _, m := range matches {
		if info, err := fs.Stat(fsys, m); err != nil || !info.IsDir() || strings.HasPrefix(path.Base(m), ".") {
			continue // files, and .git, .cache and friends, are never functions
		}
		n++
		if matchesAny(excludes, m) {
			continue
		}
		if !b.addGlobTarget(input, m, seen) {
			return false
		}
	}
	if n == 0 {
		b.fail(input, g, fmt.Sprintf("matched no directory under %q (check the glob; it is relative to the workspace)", b.base))
		return false
	}
	return true
}

func (b *builder) addGlobTarget(input, m string, seen map[string]string) bool {
	name := path.Base(m)
	if !FunctionNamePattern.MatchString(name) {
		b.fail(input, m, fmt.Sprintf("directory name %q is not a valid function name %s: rename it or exclude it with a !%s line", name, functionNameRule, m))
		return false
	}
	if prev, dup := seen[name]; dup {
		if prev == m {
			return true
		}
		b.fail(input, m, fmt.Sprintf("function %q is matched twice (%q and %q): function names must be unique", name, prev, m))
		return false
	}
	seen[name] = m
	b.cfg.Targets = append(b.cfg.Targets, b.target(name, filepath.Join(b.base, filepath.FromSlash(m))))
	return true
}

func matchesAny(patterns []string, name string) bool {
	for _, x := range patterns {
		if ok, _ := doublestar.Match(x, name); ok {
			return true
		}
	}
	return false
}

func (b *builder) target(name, dir string) Target {
	return Target{Name: name, Dir: dir, Shown: b.shown(dir)}
}
