package pack

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"

	"github.com/klauspost/compress/flate"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
)

// DefaultSizeLimit is size-limit's default: 20 MiB of zip.
const DefaultSizeLimit = 20 * 1024 * 1024

// DefaultLevel is the deflate level used when Options.Level is 0: the
// fastest klauspost level whose zip stays within 5% of Info-ZIP's default
// (zip -6). Measured on the bench tree (npm lodash, dayjs, axios, moment,
// rxjs: 4,795 files, 14.2 MB; bench/packbench -sweep, 2 workers, CPU per
// build): level 4 is 215 ms but +5.2%; 5 is 239 ms, +2.5%; 6 is 252 ms,
// +1.6%; 7 and up use the slow lazy matcher (387 ms, +0.4%). Most files are a
// few kilobytes, where per-file Huffman set-up, not matching, is the cost.
const DefaultLevel = 5

// Options says what to pack and how.
type Options struct {
	Root string // the function directory (`path` input); becomes the zip root
	// Shown is how messages and error fields name Root: the `path` input as
	// the user wrote it, when Root had to be made absolute (the workspace
	// need not be the working directory). "" means Root. Only Root is read.
	Shown     string
	Files     globs.List // the `files` input, parsed; nil/empty => "**"
	Entry     string     // entry file that must be at the zip root; "" => "index.js"; "-" => no check
	SizeLimit int64      // max zip bytes; 0 => DefaultSizeLimit
	Workers   int        // parallel compressors; 0 => runtime.GOMAXPROCS(0)
	Level     int        // deflate level 1-9 (or -2, Huffman only); 0 => DefaultLevel
	TempDir   string     // where the zip file lives until Close; "" => os.TempDir()
}

// File is one packed file.
type File struct {
	Name string // slash path in the zip
	Size int64  // uncompressed
}

// Build selects, checks and zips one function directory into a temporary
// file; the Package reads it back and Close removes it. Errors are
// *SelectError or *LayoutError (bad input), *SizeError (over the limit), the
// context's error, or I/O errors; on error no file is left behind.
func Build(ctx context.Context, opts Options) (*Package, error) {
	return buildWith(ctx, opts, os.Remove)
}

// buildWith is Build with the early unlink of the temp file supplied, so
// tests can take the path of systems where an open file cannot be removed.
func buildWith(ctx context.Context, opts Options, unlink func(string) error) (*Package, error) {
	z, limit, err := newZipper(opts)
	if err != nil {
		return nil, err
	}
	zf, err := createZipFile(opts.TempDir, unlink)
	if err != nil {
		return nil, err
	}
	pkg, err := z.build(ctx, zf, opts.Entry, limit)
	if err != nil {
		zf.close()
		return nil, err
	}
	return pkg, nil
}

// newZipper applies the options' defaults and checks them.
func newZipper(opts Options) (*zipper, int64, error) {
	z := &zipper{root: opts.Root, shown: opts.Shown, level: opts.Level, workers: opts.Workers}
	if z.root == "" {
		z.root = "."
	}
	if z.level == 0 {
		z.level = DefaultLevel
	}
	if z.level < flate.HuffmanOnly || z.level > flate.BestCompression || z.level == flate.NoCompression {
		return nil, 0, fmt.Errorf("pack: compression level %d out of range (use 1-9, or 0 for the default)", z.level)
	}
	limit := opts.SizeLimit
	if limit <= 0 {
		limit = DefaultSizeLimit
	}
	z.ceiling = ceiling(limit)
	if z.workers <= 0 {
		z.workers = runtime.GOMAXPROCS(0)
	}
	rules, err := rulesFor(opts.Files)
	if err != nil {
		return nil, 0, withRoot(err, z.name())
	}
	z.rules = rules
	return z, limit, nil
}

// build writes the zip into zf and checks what it holds.
func (z *zipper) build(ctx context.Context, zf *zipFile, entry string, limit int64) (*Package, error) {
	c := newContainer(zf.f)
	files, err := z.run(ctx, c)
	if err != nil {
		var ce *ceilingError
		if errors.As(err, &ce) {
			return nil, sizeError(z.name(), limit, ce.size, true, ce.files)
		}
		return nil, err
	}
	sum, size, err := c.close()
	if err != nil {
		return nil, z.writeError(err)
	}
	if len(files) == 0 {
		return nil, noMatch(z.name(), z.rules)
	}
	if err := checkLayout(z.name(), files, entry); err != nil {
		return nil, err
	}
	if size > limit {
		return nil, sizeError(z.name(), limit, size, false, files)
	}
	return &Package{SHA256: sum, Files: files, zip: zf, size: size}, nil
}

// ceiling is where the build gives up compressing: far enough past the limit
// that the reported size is exact for near misses, low enough that a stray
// video or dataset is not read in full. The hard cap keeps offsets and sizes
// 32-bit: no zip64 extra fields, which some unzip tools still refuse.
func ceiling(limit int64) int64 {
	if limit >= maxUint32/2 {
		return maxUint32 - 1
	}
	return min(max(2*limit, limit+16<<20), maxUint32-1)
}

func sizeError(root string, limit, size int64, atLeast bool, files []File) *SizeError {
	largest := slices.Clone(files)
	slices.SortFunc(largest, func(a, b File) int {
		if c := cmp.Compare(b.Size, a.Size); c != 0 {
			return c
		}
		return cmp.Compare(a.Name, b.Name)
	})
	if len(largest) > 10 {
		largest = largest[:10]
	}
	return &SizeError{Root: root, Limit: limit, Size: size, Base64Size: base64Len(size), AtLeast: atLeast, Largest: largest}
}

// checkLayout refuses selections WeChat cannot run: everything inside one
// folder (the classic "zipped the folder, not its contents" mistake) or no
// entry file at the root.
func checkLayout(root string, files []File, entry string) error {
	var top []string // names at the root, directories with a trailing '/'
	hasFile := false
	for _, f := range files {
		first, _, isDir := strings.Cut(f.Name, "/")
		if isDir {
			first += "/"
		} else {
			hasFile = true
		}
		// files are sorted, so equal first components are adjacent
		if len(top) == 0 || top[len(top)-1] != first {
			top = append(top, first)
		}
	}
	if !hasFile && len(top) == 1 {
		dir := strings.TrimSuffix(top[0], "/")
		return &LayoutError{
			Root: root,
			File: joinSlash(root, dir),
			Msg: fmt.Sprintf("path %q holds only the folder %q: the zip would wrap everything in it and WeChat would not find the code at the root "+
				"(set path to that directory, e.g. path: %s)", root, dir+"/", joinSlash(root, dir)),
		}
	}
	if entry == "-" {
		return nil
	}
	if entry == "" {
		entry = "index.js"
	}
	if _, ok := slices.BinarySearchFunc(files, entry, func(f File, name string) int { return cmp.Compare(f.Name, name) }); ok {
		return nil
	}
	found := top
	more := ""
	if len(found) > 8 {
		found, more = found[:8], fmt.Sprintf(" and %d more", len(top)-8)
	}
	return &LayoutError{
		Root: root,
		File: joinSlash(root, entry),
		Msg: fmt.Sprintf("no %q at the root of %q (found: %s%s): WeChat loads the entry file from the zip root "+
			"(set path to the folder containing %s, or entry: - for other runtimes)",
			entry, root, strings.Join(found, ", "), more, entry),
	}
}

func joinSlash(root, name string) string {
	root = strings.TrimSuffix(strings.ReplaceAll(root, "\\", "/"), "/")
	if root == "" || root == "." {
		return name
	}
	return root + "/" + name
}
