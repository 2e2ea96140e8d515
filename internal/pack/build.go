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

// The pipeline: one goroutine walks (in zip order) and queues batches of
// files twice, for the workers and, in order, for the writer; workers
// compress a batch and mark it done; the caller writes batches in order into
// the one output slice. The walk overlaps the compression (it would
// otherwise be a serial tenth of the run), workers take batches straight
// from the walk's queue (a middleman goroutine would make them wait for it
// to be scheduled), and batches keep goroutine hand-offs off the per-file
// path: most files are a few kilobytes.

// zipper is one Build's pipeline.
type zipper struct {
	root    string
	rules   []Rule
	level   int
	workers int
	ceiling int64
}

const (
	// batchFiles is how many files one hand-off carries: enough small files
	// to make the hand-off cheap.
	batchFiles = 32
	// batchCap is a batch buffer's first capacity: 32 files rarely deflate to
	// more.
	batchCap = 2 << 20
	// queued bounds how many batches the walk may run ahead of the writer.
	queued = 4096
	// initialCap is the output's first capacity. A fresh allocation's pages
	// cost nothing until written, so starting large spares the copies and
	// page faults of doubling up to a typical node_modules-sized zip, and the
	// GC cycles a growing heap would trigger; run trims the slack of small
	// zips.
	initialCap = 8 << 20
	// wholeFile is the size up to which a file is read in one piece; larger
	// ones are compressed as they are read, so memory follows the
	// compressed size.
	wholeFile = 1 << 20
	// chunk is the read size for larger files.
	chunk = 256 << 10
	// inFlightBytes bounds the compressed bytes waiting for the writer.
	inFlightBytes = 16 << 20
)

// batch is consecutive entries of the zip: a job, then its result.
type batch struct {
	seq     int
	entries []entry
	done    chan struct{} // closed by the worker when packed and data are set
	packed  []packed
	data    *bytes.Buffer // every entry's compressed (or stored) bytes, back to back
}

// packed is one compressed (or stored) entry.
type packed struct {
	method     uint16
	crc        uint32
	usize      int64
	exec       bool
	start, end int // its bytes in batch.data
}

// ceilingError stops a build whose zip passed the ceiling.
type ceilingError struct {
	size  int64  // what the zip had reached
	files []File // the files known so far, for the largest-files listing
}

func (e *ceilingError) Error() string { return fmt.Sprintf("pack: zip passed %d bytes", e.size) }

var errNotRegular = errors.New("not a regular file any more (it changed while packing)")

func (z *zipper) run(parent context.Context) (out []byte, sum string, files []File, err error) {
	ctx, cancel := context.WithCancelCause(parent)
	jobs := make(chan *batch, queued)  // for the workers
	order := make(chan *batch, queued) // for the writer, in zip order
	// A generous window, so that a slow batch (large files) does not leave
	// the other workers idle; each batch in it may hold a buffer, and the
	// byte budget bounds them when batches are large.
	window := 8 * z.workers
	gate := newGate(window, inFlightBytes)
	// Data buffers, reused: room for every one that can exist, since a
	// dropped one would be replaced by a fresh allocation that the runtime
	// may have to clear in full (2 MB of page faults).
	free := make(chan *bytes.Buffer, window+z.workers)

	var wg sync.WaitGroup
	// On every return: stop the others, then wait for workers to finish their
	// current batch (deferred calls run last-in first-out).
	defer wg.Wait()
	defer cancel(nil)

	wg.Add(1 + z.workers)
	go func() { // walker
		defer wg.Done()
		defer close(order)
		defer close(jobs)
		seq := 0
		cur := &batch{entries: make([]entry, 0, batchFiles)}
		send := func() error {
			cur.seq, cur.done = seq, make(chan struct{})
			for _, ch := range []chan *batch{order, jobs} {
				select {
				case ch <- cur:
				case <-ctx.Done():
					return context.Cause(ctx)
				}
			}
			seq++
			cur = &batch{entries: make([]entry, 0, batchFiles)}
			return nil
		}
		err := walk(ctx, z.root, z.rules, func(e entry) error {
			cur.entries = append(cur.entries, e)
			if len(cur.entries) < batchFiles {
				return nil
			}
			return send()
		})
		if err == nil && len(cur.entries) > 0 {
			err = send()
		}
		if err != nil {
			cancel(err)
		}
	}()
	for range z.workers {
		go func() {
			defer wg.Done()
			fw, _ := flate.NewWriter(io.Discard, z.level) // level checked by Build
			// Buffers are made at full size up front and reused: a fresh
			// allocation's pages are only touched when written, whereas
			// growing one (bytes.Buffer, append) clears every new byte of
			// capacity. Page faults are a large share of a small VM's time.
			buf := make([]byte, 0, wholeFile) // read buffer
			for b := range jobs {
				if !gate.start(ctx, b.seq) {
					return
				}
				select {
				case b.data = <-free:
					b.data.Reset()
				default:
					b.data = bytes.NewBuffer(make([]byte, 0, batchCap))
				}
				b.packed = make([]packed, len(b.entries))
				for i, e := range b.entries {
					if err := z.compress(fw, &buf, e, b.data, &b.packed[i]); err != nil {
						cancel(err)
						return
					}
				}
				if !gate.hold(ctx, b.seq, int64(b.data.Len())) {
					return
				}
				close(b.done)
			}
		}()
	}

	h := sha256.New()
	var dir []central
	out = make([]byte, 0, min(initialCap, z.ceiling+1))
	for b := range order {
		select {
		case <-b.done:
		case <-ctx.Done():
			return nil, "", nil, context.Cause(ctx)
		}
		data := b.data.Bytes()
		for i, e := range b.entries {
			p := &b.packed[i]
			if len(files) > 0 && e.name <= files[len(files)-1].Name {
				// The walk's order is the zip's; a broken order would make the
				// SHA-256 depend on the file system.
				return nil, "", nil, fmt.Errorf("pack: internal error: %q after %q", e.name, files[len(files)-1].Name)
			}
			if p.usize > maxUint32-1 {
				return nil, "", nil, &SelectError{Root: z.root, Msg: fmt.Sprintf(
					"%q under %q is %s: files over 4 GiB cannot be packed (exclude it with files: !%s)", e.name, z.root, HumanSize(p.usize), e.name)}
			}
			files = append(files, File{Name: e.name, Size: p.usize})
			body := data[p.start:p.end]
			need := len(out) + localLen + len(e.name) + len(body)
			if int64(need) > z.ceiling {
				return nil, "", nil, &ceilingError{size: int64(need), files: files}
			}
			if need > cap(out) {
				// Grow by doubling ourselves: append's growth for large
				// slices is 1.25x, which would copy the zip several times over.
				out = slices.Grow(out, max(need, 2*cap(out))-len(out))
			}
			dir = append(dir, central{name: e.name, method: p.method, crc: p.crc, offset: uint32(len(out)),
				csize: uint32(len(body)), usize: uint32(p.usize), exec: p.exec})
			start := len(out)
			out = appendLocal(out, &dir[len(dir)-1])
			out = append(out, body...)
			h.Write(out[start:])
		}
		gate.release(b.seq+1, int64(len(data)))
		select {
		case free <- b.data:
		default:
		}
		b.data, b.packed = nil, nil
	}
	// order is closed: the walk ended, cleanly or not.
	if err := context.Cause(ctx); err != nil {
		return nil, "", nil, err
	}
	start := len(out)
	out = appendEnd(out, dir)
	h.Write(out[start:])
	if cap(out) > 4*len(out) {
		// A small zip: do not keep megabytes of slack alive with it.
		out = append([]byte(nil), out...)
	}
	return out, hex.EncodeToString(h.Sum(nil)), files, nil
}

// compress reads one file and appends it to buf, deflated, or stored when
// deflate does not shrink it. raw is the worker's reusable read buffer.
func (z *zipper) compress(fw *flate.Writer, raw *[]byte, e entry, buf *bytes.Buffer, p *packed) error {
	f, size, exec, err := openSource(e.path)
	if err != nil {
		return z.readError(e, err)
	}
	defer f.Close()
	start := buf.Len()
	*p = packed{method: methodDeflate, exec: exec, start: start}
	fw.Reset(buf)

	if size <= wholeFile {
		data := (*raw)[:0]
		if int64(cap(data)) < size {
			data = make([]byte, size)
			*raw = data
		}
		data = data[:size]
		// A file that shrank since the fstat is packed as it is now; one
		// that grew is cut at the size fstat saw, as tar does.
		n, err := io.ReadFull(f, data)
		if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
			return z.readError(e, err)
		}
		data = data[:n]
		p.crc, p.usize = crc32.ChecksumIEEE(data), int64(n)
		if n > 0 {
			fw.Write(data) // writes to a bytes.Buffer cannot fail
		}
		fw.Close()
		if buf.Len()-start >= n {
			buf.Truncate(start)
			buf.Write(data)
			p.method = methodStore
		}
		p.end = buf.Len()
		return nil
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
			return z.readError(e, err)
		}
		crc.Write(c[:m])
		fw.Write(c[:m])
		n += int64(m)
		if int64(buf.Len()-start) > z.ceiling {
			return &ceilingError{size: int64(buf.Len() - start), files: []File{{Name: e.name, Size: size}}}
		}
	}
	fw.Close()
	p.crc, p.usize = crc.Sum32(), n
	if int64(buf.Len()-start) >= n {
		// Incompressible (media, archives): store. Read it again rather than
		// hold a raw copy of every large file.
		buf.Truncate(start)
		buf.Grow(int(n))
		crc.Reset()
		var off int64
		for off < n {
			m, err := f.ReadAt(c[:min(int64(len(c)), n-off)], off)
			if err == io.EOF {
				break
			}
			if err != nil {
				return z.readError(e, err)
			}
			crc.Write(c[:m])
			buf.Write(c[:m])
			off += int64(m)
		}
		p.method, p.crc, p.usize = methodStore, crc.Sum32(), off
	}
	p.end = buf.Len()
	return nil
}

func (z *zipper) readError(e entry, err error) error {
	return fmt.Errorf("path %q: read %q: %w", z.root, e.name, err)
}

// gate keeps workers from running far ahead of the writer, which takes
// batches in order: a batch may start only within window batches of the one
// the writer needs (each batch in flight holds a buffer), and may be handed
// over only while the compressed bytes waiting stay within a budget. The
// batch the writer needs always passes both, so a large batch parked behind
// the others cannot deadlock the pipeline.
type gate struct {
	mu      sync.Mutex
	window  int
	free    int64
	next    int           // seq the writer needs next
	waiting int           // workers blocked
	changed chan struct{} // closed and replaced on a release while some wait
}

func newGate(window int, bytes int64) *gate {
	return &gate{window: window, free: bytes, changed: make(chan struct{})}
}

// start waits until batch seq may be compressed.
func (g *gate) start(ctx context.Context, seq int) bool {
	return g.wait(ctx, func() bool { return seq < g.next+g.window })
}

// hold waits until batch seq may hand over n compressed bytes.
func (g *gate) hold(ctx context.Context, seq int, n int64) bool {
	return g.wait(ctx, func() bool {
		if seq == g.next || g.free >= n {
			g.free -= n
			return true
		}
		return false
	})
}

// wait blocks until ok (called with g.mu held) is true or ctx ends.
func (g *gate) wait(ctx context.Context, ok func() bool) bool {
	for {
		g.mu.Lock()
		if ok() {
			g.mu.Unlock()
			return true
		}
		ch := g.changed
		g.waiting++
		g.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return false
		}
		g.mu.Lock()
		g.waiting--
		g.mu.Unlock()
	}
}

// release records that the writer wrote a batch of n bytes and needs next.
func (g *gate) release(next int, n int64) {
	g.mu.Lock()
	g.free += n
	g.next = next
	if g.waiting > 0 {
		close(g.changed)
		g.changed = make(chan struct{})
	}
	g.mu.Unlock()
}
