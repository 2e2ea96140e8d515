package pack

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/klauspost/compress/flate"
)

// DefaultSizeLimit is size-limit's default: 20 MiB of zip.
const DefaultSizeLimit = 20 * 1024 * 1024

// DefaultLevel is the deflate level used when Options.Level is 0. Measured on
// an npm tree (lodash, dayjs, axios, moment, rxjs: 4,800 files, 14 MB; see
// bench/pack.sh), klauspost level 5 ... (see LevelNote).
const DefaultLevel = 5

// Options says what to pack and how.
type Options struct {
	Root      string   // the function directory (`path` input); becomes the zip root
	Files     []string // glob lines (`files` input); nil/empty => ["**"]
	Entry     string   // entry file that must be at the zip root; "" => "index.js"; "-" => no check
	SizeLimit int64    // max zip bytes; 0 => DefaultSizeLimit
	Workers   int      // parallel compressors; 0 => runtime.GOMAXPROCS(0)
	Level     int      // deflate level 1-9 (or -2, Huffman only); 0 => DefaultLevel
}

// File is one packed file.
type File struct {
	Name string // slash path in the zip
	Size int64  // uncompressed
}

// Package is a built zip.
type Package struct {
	Zip    []byte
	SHA256 string // lowercase hex of Zip
	Files  []File // sorted by Name
}

// Size is the zip's length in bytes.
func (p *Package) Size() int64 { return int64(len(p.Zip)) }

// Build selects, checks and zips one function directory. Errors are
// *SelectError or *LayoutError (bad input), *SizeError (over the limit), the
// context's error, or I/O errors.
func Build(ctx context.Context, opts Options) (*Package, error) {
	root := opts.Root
	if root == "" {
		root = "."
	}
	level := opts.Level
	if level == 0 {
		level = DefaultLevel
	}
	if level < flate.HuffmanOnly || level > flate.BestCompression || level == flate.NoCompression {
		return nil, fmt.Errorf("pack: compression level %d out of range (use 1-9, or 0 for the default)", level)
	}
	limit := opts.SizeLimit
	if limit <= 0 {
		limit = DefaultSizeLimit
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	rules, err := rulesFor(opts.Files)
	if err != nil {
		return nil, withRoot(err, root)
	}

	z := &zipper{root: root, rules: rules, level: level, workers: workers, ceiling: ceiling(limit)}
	out, sum, files, err := z.run(ctx)
	if err != nil {
		var ce *ceilingError
		if errors.As(err, &ce) {
			return nil, sizeError(root, limit, ce.size, true, ce.files)
		}
		return nil, err
	}
	if len(files) == 0 {
		return nil, noMatch(root, rules)
	}
	if err := checkLayout(root, files, opts.Entry); err != nil {
		return nil, err
	}
	if int64(len(out)) > limit {
		return nil, sizeError(root, limit, int64(len(out)), false, files)
	}
	return &Package{Zip: out, SHA256: sum, Files: files}, nil
}

// ceiling is where the build gives up compressing: far enough past the limit
// that the reported size is exact for near misses, low enough that a stray
// video or dataset is not read in full. Offsets are 32-bit (no zip64 offsets),
// hence the hard cap.
func ceiling(limit int64) int64 {
	c := max(2*limit, limit+16<<20)
	return min(c, maxUint32-1)
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
	return &SizeError{Root: root, Limit: limit, Size: size, Base64Size: Base64Len(size), AtLeast: atLeast, Largest: largest}
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

// The pipeline: one goroutine walks (in zip order), one dispatches, workers
// compress, and the caller writes entries in order into the one output slice.
// The walk overlaps the compression: on the bench tree it would otherwise be
// a serial tenth of the run.

// zipper is one Build's pipeline.
type zipper struct {
	root    string
	rules   []Rule
	level   int
	workers int
	ceiling int64
	bufs    sync.Pool // *bytes.Buffer for compressed data waiting to be written
}

// job is one file for a worker: its position in the zip and where it is.
type job struct {
	i int
	e entry
}

// packed is one compressed (or stored) entry waiting for its turn. end marks
// the slot after the last entry.
type packed struct {
	e      entry
	method uint16
	crc    uint32
	usize  int64
	exec   bool
	data   *bytes.Buffer
	end    bool
}

// ceilingError stops a build whose zip passed the ceiling.
type ceilingError struct {
	size  int64  // what the zip had reached
	files []File // the files known so far, for the largest-files listing
}

func (e *ceilingError) Error() string { return fmt.Sprintf("pack: zip passed %d bytes", e.size) }

// wholeFile is the size up to which a file is read in one piece; larger ones
// are compressed as they are read so memory follows the compressed size.
const wholeFile = 1 << 20

// chunk is the read size for larger files.
const chunk = 256 << 10

// inFlightBytes bounds the compressed bytes waiting for the writer.
const inFlightBytes = 16 << 20

var errNotRegular = errors.New("not a regular file any more (it changed while packing)")

func (z *zipper) run(parent context.Context) (out []byte, sum string, files []File, err error) {
	ctx, cancel := context.WithCancelCause(parent)
	defer cancel(nil)

	window := 4 * z.workers
	slots := make([]chan packed, window)
	for i := range slots {
		slots[i] = make(chan packed, 1)
	}
	tokens := make(chan struct{}, window) // entries dispatched but not yet written
	budget := newBudget(inFlightBytes)
	found := make(chan entry, 256)
	jobs := make(chan job)

	var wg sync.WaitGroup
	// On every return: stop the others, then wait for workers to finish their
	// current file (deferred calls run last-in first-out).
	defer wg.Wait()
	defer cancel(nil)

	wg.Add(2 + z.workers)
	go func() { // walker
		defer wg.Done()
		defer close(found)
		err := walk(ctx, z.root, z.rules, func(e entry) error {
			select {
			case found <- e:
				return nil
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		})
		if err != nil {
			cancel(err)
		}
	}()
	go func() { // dispatcher: at most window entries ahead of the writer
		defer wg.Done()
		defer close(jobs)
		acquire := func() bool {
			select {
			case tokens <- struct{}{}:
				return true
			case <-ctx.Done():
				return false
			}
		}
		i := 0
		for e := range found {
			if !acquire() {
				return
			}
			select {
			case jobs <- job{i, e}:
			case <-ctx.Done():
				return
			}
			i++
		}
		if ctx.Err() == nil && acquire() {
			slots[i%window] <- packed{end: true}
		}
	}()
	for range z.workers {
		go func() {
			defer wg.Done()
			fw, _ := flate.NewWriter(io.Discard, z.level) // level checked by Build
			var raw []byte
			for j := range jobs {
				p, err := z.compress(fw, &raw, j.e)
				if err != nil {
					cancel(err)
					return
				}
				if !budget.acquire(ctx, j.i, int64(p.data.Len())) {
					return
				}
				// Never blocks: slot i%window was drained before job i was dispatched.
				slots[j.i%window] <- p
			}
		}()
	}

	h := sha256.New()
	var dir []central
	out = make([]byte, 0, 1<<20)
	for i := 0; ; i++ {
		var p packed
		select {
		case p = <-slots[i%window]:
		case <-ctx.Done():
			return nil, "", nil, context.Cause(ctx)
		}
		if p.end {
			break
		}
		if i > 0 && p.e.name <= files[i-1].Name {
			// The walk's order is the zip's; a broken order would make the
			// SHA-256 depend on the file system.
			return nil, "", nil, fmt.Errorf("pack: internal error: %q after %q", p.e.name, files[i-1].Name)
		}
		if p.usize > maxUint32-1 {
			return nil, "", nil, &SelectError{Root: z.root, Msg: fmt.Sprintf(
				"%q under %q is %s: files over 4 GiB cannot be packed (exclude it with files: !%s)", p.e.name, z.root, HumanSize(p.usize), p.e.name)}
		}
		files = append(files, File{Name: p.e.name, Size: p.usize})
		n := int64(p.data.Len())
		need := len(out) + localLen + len(p.e.name) + p.data.Len()
		if int64(need) > z.ceiling {
			return nil, "", nil, &ceilingError{size: int64(need), files: files}
		}
		if need > cap(out) {
			// Grow by doubling ourselves: append's growth for large slices
			// is 1.25x, which would copy the zip several times over.
			out = slices.Grow(out, max(need, 2*cap(out))-len(out))
		}
		dir = append(dir, central{name: p.e.name, method: p.method, crc: p.crc, offset: uint32(len(out)),
			csize: uint32(n), usize: uint32(p.usize), exec: p.exec})
		start := len(out)
		out = appendLocal(out, &dir[len(dir)-1])
		out = append(out, p.data.Bytes()...)
		h.Write(out[start:])
		z.bufs.Put(p.data)
		budget.release(i+1, n)
		<-tokens
	}
	start := len(out)
	out = appendEnd(out, dir)
	h.Write(out[start:])
	return out, hex.EncodeToString(h.Sum(nil)), files, nil
}

// compress reads and deflates one file, storing it when deflate does not
// shrink it. raw is the worker's reusable read buffer.
func (z *zipper) compress(fw *flate.Writer, raw *[]byte, e entry) (packed, error) {
	f, size, exec, err := openSource(e.path)
	if err != nil {
		return packed{}, z.readError(e, err)
	}
	defer f.Close()
	buf, _ := z.bufs.Get().(*bytes.Buffer)
	if buf == nil {
		buf = new(bytes.Buffer)
	}
	buf.Reset()
	p := packed{e: e, method: methodDeflate, exec: exec, data: buf}
	fw.Reset(buf)

	if size <= wholeFile {
		data := (*raw)[:0]
		if int64(cap(data)) < size {
			data = make([]byte, size)
			*raw = data
		}
		data = data[:size]
		// A file that shrank since the open is packed as it is now; one that
		// grew is cut at the size fstat saw, as tar does.
		n, err := io.ReadFull(f, data)
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return packed{}, z.readError(e, err)
		}
		data = data[:n]
		p.crc, p.usize = crc32.ChecksumIEEE(data), int64(n)
		if n > 0 {
			fw.Write(data) // writes to a bytes.Buffer cannot fail
		}
		fw.Close()
		if buf.Len() >= n {
			buf.Reset()
			buf.Write(data)
			p.method = methodStore
		}
		return p, nil
	}

	if cap(*raw) < chunk {
		*raw = make([]byte, chunk)
	}
	c := (*raw)[:chunk]
	crc := crc32.NewIEEE()
	var n int64
	for n < size {
		m, err := f.Read(c[:min(int64(len(c)), size-n)])
		if err == io.EOF {
			break
		}
		if err != nil {
			return packed{}, z.readError(e, err)
		}
		crc.Write(c[:m])
		fw.Write(c[:m])
		n += int64(m)
		if int64(buf.Len()) > z.ceiling {
			return packed{}, &ceilingError{size: int64(buf.Len()), files: []File{{Name: e.name, Size: size}}}
		}
	}
	fw.Close()
	p.crc, p.usize = crc.Sum32(), n
	if int64(buf.Len()) >= n {
		// Incompressible (media, archives): store. Read it again rather than
		// hold a raw copy of every large file.
		buf.Reset()
		buf.Grow(int(n))
		crc.Reset()
		var off int64
		for off < n {
			m, err := f.ReadAt(c[:min(int64(len(c)), n-off)], off)
			if err == io.EOF {
				break
			}
			if err != nil {
				return packed{}, z.readError(e, err)
			}
			crc.Write(c[:m])
			buf.Write(c[:m])
			off += int64(m)
		}
		p.method, p.crc, p.usize = methodStore, crc.Sum32(), off
	}
	return p, nil
}

func (z *zipper) readError(e entry, err error) error {
	return fmt.Errorf("path %q: read %q: %w", z.root, e.name, err)
}

// budget bounds the compressed bytes between the workers and the writer.
// The entry the writer waits for always passes, or a large file parked
// behind full slots could never be written.
type budget struct {
	mu      sync.Mutex
	free    int64
	next    int           // index the writer needs next
	waiting int           // workers blocked in acquire
	changed chan struct{} // closed and replaced on a release while some wait
}

func newBudget(n int64) *budget {
	return &budget{free: n, changed: make(chan struct{})}
}

func (b *budget) acquire(ctx context.Context, i int, n int64) bool {
	for {
		b.mu.Lock()
		if i == b.next || b.free >= n {
			b.free -= n
			b.mu.Unlock()
			return true
		}
		ch := b.changed
		b.waiting++
		b.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
		b.mu.Lock()
		b.waiting--
		b.mu.Unlock()
	}
}

func (b *budget) release(next int, n int64) {
	b.mu.Lock()
	b.free += n
	b.next = next
	if b.waiting > 0 {
		close(b.changed)
		b.changed = make(chan struct{})
	}
	b.mu.Unlock()
}
