package config

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// checkWorkspace resolves the workspace, then path, output and results-file
// against it: each must stay inside it when one is set.
func (b *builder) checkWorkspace() {
	c := b.cfg
	input := "workspace"
	if c.ActionMode {
		input = "GITHUB_WORKSPACE"
	}
	if b.in.workspace != "" {
		ws, err := resolveDir(b.in.workspace)
		if err != nil {
			b.fail(input, b.in.workspace, "is not a directory (set it to the repository checkout)")
			return
		}
		c.Workspace = ws
		b.base = ws
	} else {
		wd, err := os.Getwd()
		if err != nil {
			b.fail("path", "", fmt.Sprintf("cannot resolve: the working directory is unreadable (%v)", err))
			return
		}
		b.base = wd
	}
	c.Output = b.confined("output", c.Output)
	c.ResultsFile = b.confined("results-file", c.ResultsFile)
}

// confined resolves a file to write against the base; with a workspace it
// must lie inside it (a workflow must not be able to write over the runner's
// files), and it must not name a directory.
func (b *builder) confined(input, p string) string {
	if p == "" || b.bad[input] {
		return p
	}
	abs := absUnder(b.base, p)
	if b.cfg.Workspace != "" && !inside(b.cfg.Workspace, resolveExisting(abs)) {
		b.fail(input, p, "is outside the workspace "+quote(b.cfg.Workspace)+" (write inside the repository checkout)")
		return ""
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() && !(input == "output" && b.cfg.Command == Pack) {
		b.fail(input, p, "is a directory (name a file)")
		return ""
	}
	return abs
}

// resolveExisting evaluates the symlinks of the longest existing prefix of
// p, so that a link inside the workspace pointing out of it is caught before
// anything is written.
func resolveExisting(p string) string {
	rest := ""
	for cur := p; ; {
		if r, err := filepath.EvalSymlinks(cur); err == nil {
			return filepath.Join(r, rest)
		}
		parent := filepath.Dir(cur)
		if parent == cur {
			return p
		}
		rest = filepath.Join(filepath.Base(cur), rest)
		cur = parent
	}
}

func resolveDir(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	r, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", err
	}
	fi, err := os.Stat(r)
	if err != nil {
		return "", err
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("%q is not a directory", dir)
	}
	return r, nil
}

func absUnder(base, p string) string {
	if filepath.IsAbs(p) {
		return filepath.Clean(p)
	}
	return filepath.Join(base, p)
}

func inside(root, p string) bool {
	rel, err := filepath.Rel(root, p)
	return err == nil && !escapes(rel) && !filepath.IsAbs(rel)
}

func escapes(rel string) bool {
	rel = filepath.Clean(rel)
	return rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// shown names dir the way messages and annotations should: relative to the
// base when inside it.
func (b *builder) shown(dir string) string {
	if rel, err := filepath.Rel(b.base, dir); err == nil && !escapes(rel) && !filepath.IsAbs(rel) {
		return filepath.ToSlash(rel)
	}
	return dir
}
