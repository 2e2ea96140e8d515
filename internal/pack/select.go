package pack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
)

// entry is one selected file, as the walk found it. Size and mode are read
// by the compressor (fstat on the open file), so the walk costs one getdents
// per directory and no syscall per regular file.
type entry struct {
	name string // slash path in the zip
	path string // file to read, symlinks resolved
}

// Select returns the slash paths (sorted) that Build would pack from root with
// the given `files` rules, default excludes included. An empty list means "**".
func Select(root string, files globs.List) ([]string, error) {
	if root == "" {
		root = "."
	}
	rules, err := rulesFor(files)
	if err != nil {
		return nil, withRoot(err, root)
	}
	var names []string
	err = walk(context.Background(), root, root, rules, func(e entry) error {
		names = append(names, e.name)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, noMatch(root, rules)
	}
	return names, nil
}

func withRoot(err error, root string) error {
	var se *SelectError
	if errors.As(err, &se) && se.Root == "" {
		se.Root = root
	}
	return err
}

func noMatch(root string, rules []globs.Rule) error {
	return &SelectError{Root: root, Msg: fmt.Sprintf("files: no file matched %q under %q (check path and files)", userPatterns(rules), root)}
}

// walk calls emit for every selected file under root, in the zip's order:
// byte order of the slash path. It lists each directory sorted by name, with
// a directory's key being its name plus '/', so that a depth-first walk meets
// paths already in that order ("a.b" before "a/x", "a/x" before "a0") and the
// compressor can start on the first file while the walk goes on. Messages
// name the root as shown; only root is read.
func walk(ctx context.Context, root, shown string, rules []globs.Rule, emit func(entry) error) error {
	abs, err := filepath.Abs(root)
	if err != nil {
		return fmt.Errorf("path %q: %w", shown, err)
	}
	fi, err := os.Stat(abs)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &SelectError{Root: shown, Msg: fmt.Sprintf("path: %q does not exist (check path: it is relative to the workspace)", shown)}
	case err != nil:
		return fmt.Errorf("path %q: %w", shown, withoutPath(err))
	case !fi.IsDir():
		return &SelectError{Root: shown, Msg: fmt.Sprintf("path: %q is a file, not a directory (set path to the function's folder)", shown)}
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return fmt.Errorf("path %q: %w", shown, withoutPath(err))
	}
	w := &walker{ctx: ctx, root: shown, realRoot: real, m: newMatcher(rules), emit: emit}
	return w.walkDir(real, "")
}

// withoutPath drops the file name from an *fs.PathError: the OS names the
// file by the path pack opened (absolute, symlinks resolved), while the
// messages around it already name the root as shown and the file in it.
func withoutPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return fmt.Errorf("%s: %w", pe.Op, pe.Err)
	}
	return err
}

type walker struct {
	ctx      context.Context
	root     string // as shown, for messages
	realRoot string
	m        *matcher
	emit     func(entry) error
	stack    []string // real paths of the directories being walked: the loop guard
}

// child is one directory entry that the rules may pack.
type child struct {
	key  string // name, plus '/' for a directory: the sort key
	rel  string // slash path from the root
	path string // real path (a symlink's target)
	dir  bool
}

func (w *walker) walkDir(realDir, rel string) error {
	if err := w.ctx.Err(); err != nil {
		return err
	}
	w.stack = append(w.stack, realDir)
	defer func() { w.stack = w.stack[:len(w.stack)-1] }()
	kids, err := w.children(realDir, rel)
	if err != nil {
		return err
	}
	for _, c := range kids {
		if c.dir {
			if err := w.walkDir(c.path, c.rel); err != nil {
				return err
			}
			continue
		}
		if err := w.emit(entry{name: c.rel, path: c.path}); err != nil {
			return err
		}
	}
	return nil
}

// children lists what the rules may pack in one directory, in zip order.
func (w *walker) children(realDir, rel string) ([]child, error) {
	des, err := os.ReadDir(realDir)
	if err != nil {
		return nil, fmt.Errorf("path %q: read directory %q: %w", w.root, rel, withoutPath(err))
	}
	kids := make([]child, 0, len(des))
	for _, de := range des {
		name := de.Name()
		r := name
		if rel != "" {
			r = rel + "/" + name
		}
		c, ok, err := w.child(de.Type(), filepath.Join(realDir, name), r)
		if err != nil {
			return nil, err
		}
		if ok {
			c.key = name
			if c.dir {
				c.key += "/"
			}
			kids = append(kids, c)
		}
	}
	slices.SortFunc(kids, func(a, b child) int { return cmp.Compare(a.key, b.key) })
	return kids, nil
}

// child classifies one directory entry (type t, real path full, slash path
// r): kept, skipped, or refused.
func (w *walker) child(t fs.FileMode, full, r string) (child, bool, error) {
	switch {
	case t.IsDir():
		return child{rel: r, path: full, dir: true}, !w.m.prunable(r), nil
	case t.IsRegular():
		return child{rel: r, path: full}, w.m.included(r), nil
	case t&fs.ModeSymlink != 0:
		return w.link(full, r)
	case w.m.included(r):
		return child{}, false, w.special(r, t)
	}
	return child{}, false, nil
}

// link resolves the symlink at full (slash path r) when the rules could pack
// it, as a file or as a directory, and refuses one that leaves the root,
// dangles, loops or names a special file.
func (w *walker) link(full, r string) (child, bool, error) {
	incl := w.m.included(r)
	if !incl && w.m.prunable(r) {
		return child{}, false, nil
	}
	target, err := filepath.EvalSymlinks(full)
	if err != nil {
		dest, _ := os.Readlink(full)
		return child{}, false, &SelectError{Root: w.root, Msg: fmt.Sprintf(
			"symlink %q under %q points to %q, which does not exist (remove the link, or exclude it with files: !%s)",
			r, w.root, dest, r)}
	}
	fi, err := os.Stat(target)
	if err != nil {
		return child{}, false, fmt.Errorf("path %q: symlink %q: %w", w.root, r, withoutPath(err))
	}
	inside := target == w.realRoot || strings.HasPrefix(target, w.realRoot+string(filepath.Separator))
	switch {
	case fi.IsDir():
		if w.m.prunable(r) {
			return child{}, false, nil
		}
		if !inside {
			return child{}, false, w.escape(r, target, r+"/**")
		}
		if slices.Contains(w.stack, target) {
			return child{}, false, &SelectError{Root: w.root, Msg: fmt.Sprintf(
				"symlink %q under %q points to %q, a directory that contains it: following it would loop forever (remove the link, or exclude it with files: !%s/**)",
				r, w.root, w.inRoot(target), r)}
		}
		return child{rel: r, path: target, dir: true}, true, nil
	case fi.Mode().IsRegular():
		if !incl {
			return child{}, false, nil
		}
		if !inside {
			return child{}, false, w.escape(r, target, r)
		}
		return child{rel: r, path: target}, true, nil
	default:
		if !incl {
			return child{}, false, nil
		}
		return child{}, false, w.special(r, fi.Mode().Type())
	}
}

// inRoot names a real path inside the root through the root as shown.
func (w *walker) inRoot(real string) string {
	rel, err := filepath.Rel(w.realRoot, real)
	switch {
	case err == nil && rel == ".":
		return w.root
	case err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)):
		return real
	}
	return joinSlash(w.root, filepath.ToSlash(rel))
}

func (w *walker) escape(r, target, exclude string) error {
	return &SelectError{Root: w.root, Msg: fmt.Sprintf(
		"symlink %q under %q points to %q, outside path: the cloud would not get those files "+
			"(copy them into %q, or exclude the link with files: !%s)",
		r, w.root, target, w.root, exclude)}
}

func (w *walker) special(r string, t fs.FileMode) error {
	return &SelectError{Root: w.root, Msg: fmt.Sprintf(
		"%q under %q is a %s, not a regular file, and cannot be zipped (exclude it with files: !%s)",
		r, w.root, kindOf(t), r)}
}

func kindOf(t fs.FileMode) string {
	switch {
	case t&fs.ModeNamedPipe != 0:
		return "named pipe (fifo)"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeDevice != 0:
		return "device"
	case t.IsDir():
		return "directory"
	}
	return "special file"
}
