package pack

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sync"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/size"
)

// The pipeline: one goroutine walks (in zip order) and queues batches of
// files twice, for the workers and, in order, for the writer; workers
// compress a batch into one or more pieces; the caller writes the pieces in
// order into the zip. The walk overlaps the compression (it would otherwise
// be a serial tenth of the run), workers take batches straight from the
// walk's queue (a middleman goroutine would make them wait for it to be
// scheduled), and batches keep goroutine hand-offs off the per-file path:
// most files are a few kilobytes. Pieces bound memory: a batch of large
// files is handed over a megabyte at a time instead of held whole, and the
// gate caps what waits for the writer.

// zipper is one Build's pipeline.
type zipper struct {
	root    string // read from
	shown   string // named in messages; "" means root
	rules   []globs.Rule
	level   int
	workers int
	ceiling int64
}

const (
	// batchFiles is how many files one hand-off from the walk carries:
	// enough small files to make the hand-off cheap.
	batchFiles = 32
	// pieceBytes is how much compressed data a worker gathers before it
	// hands a piece of its batch to the writer.
	pieceBytes = 1 << 20
	// pieceCap is a piece buffer's capacity: a piece passes pieceBytes by
	// at most one file read whole. Buffers are made at full size and
	// reused, so they never grow: a fresh allocation's pages cost nothing
	// until written, whereas growing one clears and copies, and a dropped
	// one makes garbage that raises the heap's peak (both measured: 10% more
	// CPU on the bench tree, 40% more peak memory with large files).
	pieceCap = pieceBytes + wholeFile + 64<<10
	// queued bounds how many batches the walk may run ahead of the writer.
	queued = 4096
	// wholeFile is the size up to which a file is read in one piece; larger
	// ones are compressed as they are read, so memory follows the
	// compressed size.
	wholeFile = 1 << 20
	// chunk is the read size for larger files.
	chunk = 256 << 10
	// inFlightBytes bounds the compressed bytes waiting for the writer.
	inFlightBytes = 4 << 20
)

// batch is consecutive entries of the zip: a job, then its result.
type batch struct {
	seq     int
	entries []entry
	// results carries pieces covering entries in order; its capacity is
	// len(entries), so a worker never blocks on a send.
	results chan *piece
}

// piece is the compressed form of some consecutive entries of a batch.
type piece struct {
	packed []packed
	data   *bytes.Buffer // every entry's compressed (or stored) bytes, back to back
}

// packed is one compressed (or stored) entry.
type packed struct {
	method     uint16
	crc        uint32
	usize      int64
	exec       bool
	start, end int // its bytes in piece.data
	// reread marks a large file that deflate did not shrink: it is stored,
	// and the writer copies it from the file rather than a worker holding
	// it in memory.
	reread bool
}

// ceilingError stops a build whose zip passed the ceiling.
type ceilingError struct {
	size  int64  // what the zip had reached
	files []File // the files known so far, for the largest-files listing
}

func (e *ceilingError) Error() string { return fmt.Sprintf("pack: zip passed %d bytes", e.size) }

var (
	errNotRegular = errors.New("not a regular file any more (it changed while packing)")
	errChanged    = errors.New("it changed while packing (run again once nothing writes to it)")
)

// run packs every selected file into c and returns them in zip order.
func (z *zipper) run(parent context.Context, c *container) ([]File, error) {
	ctx, cancel := context.WithCancelCause(parent)
	jobs := make(chan *batch, queued)  // for the workers
	order := make(chan *batch, queued) // for the writer, in zip order
	// A generous window, so that a slow batch (large files) does not leave
	// the other workers idle; the byte budget bounds what it holds.
	window := 8 * z.workers
	g := newGate(window, inFlightBytes)
	// Piece buffers, reused: room for as many as the window and the byte
	// budget let exist at once. Their untouched pages cost nothing.
	free := make(chan *bytes.Buffer, window+z.workers)

	var wg sync.WaitGroup
	// On every return: stop the others, then wait for workers to finish their
	// current entry (deferred calls run last-in first-out).
	defer wg.Wait()
	defer cancel(nil)
	wg.Go(func() {
		if err := z.produce(ctx, jobs, order); err != nil {
			cancel(err)
		}
	})
	for range z.workers {
		wg.Go(func() {
			if err := z.work(ctx, jobs, g, free); err != nil {
				cancel(err)
			}
		})
	}
	return z.consume(ctx, order, g, free, c)
}

// produce walks the tree and queues its files in batches, to both channels.
func (z *zipper) produce(ctx context.Context, jobs, order chan<- *batch) error {
	defer close(order)
	defer close(jobs)
	seq := 0
	cur := make([]entry, 0, batchFiles)
	send := func() error {
		b := &batch{seq: seq, entries: cur, results: make(chan *piece, len(cur))}
		for _, ch := range []chan<- *batch{order, jobs} {
			select {
			case ch <- b:
			case <-ctx.Done():
				return context.Cause(ctx)
			}
		}
		seq++
		cur = make([]entry, 0, batchFiles)
		return nil
	}
	err := walk(ctx, z.root, z.name(), z.rules, func(e entry) error {
		cur = append(cur, e)
		if len(cur) < batchFiles {
			return nil
		}
		return send()
	})
	if err == nil && len(cur) > 0 {
		err = send()
	}
	return err
}

// work is one compressor: it packs batches until the queue closes.
func (z *zipper) work(ctx context.Context, jobs <-chan *batch, g *gate, free chan *bytes.Buffer) error {
	ws := newWorkspace(z.level)
	for b := range jobs {
		if !g.start(ctx, b.seq) {
			return context.Cause(ctx)
		}
		if err := z.packBatch(ctx, b, ws, g, free); err != nil {
			return err
		}
	}
	return nil
}

// packBatch compresses one batch, handing over a piece whenever it holds
// pieceBytes, and the rest at the end.
func (z *zipper) packBatch(ctx context.Context, b *batch, ws *workspace, g *gate, free chan *bytes.Buffer) error {
	p := newPiece(free)
	for i, e := range b.entries {
		p.packed = append(p.packed, packed{})
		if err := z.compress(ws, e, p.data, &p.packed[len(p.packed)-1]); err != nil {
			return err
		}
		if p.data.Len() < pieceBytes && i < len(b.entries)-1 {
			continue
		}
		if !g.hold(ctx, b.seq, int64(p.data.Len())) {
			return context.Cause(ctx)
		}
		b.results <- p
		if i < len(b.entries)-1 {
			p = newPiece(free)
		}
	}
	return nil
}

func newPiece(free chan *bytes.Buffer) *piece {
	select {
	case buf := <-free:
		buf.Reset()
		return &piece{data: buf}
	default:
		return &piece{data: bytes.NewBuffer(make([]byte, 0, pieceCap))}
	}
}

// recycle keeps a piece buffer for reuse, unless a large compressible
// file grew it: that memory goes back to the runtime.
func recycle(free chan<- *bytes.Buffer, buf *bytes.Buffer) {
	if buf.Cap() > pieceCap {
		return
	}
	select {
	case free <- buf:
	default:
	}
}

// consume is the writer: it takes each batch's pieces in order and adds
// their entries to the zip.
func (z *zipper) consume(ctx context.Context, order <-chan *batch, g *gate, free chan<- *bytes.Buffer, c *container) ([]File, error) {
	var files []File
	for b := range order {
		for done := 0; done < len(b.entries); {
			var p *piece
			select {
			case p = <-b.results:
			case <-ctx.Done():
				return nil, context.Cause(ctx)
			}
			data := p.data.Bytes()
			for i := range p.packed {
				var err error
				if files, err = z.writeEntry(c, b.entries[done+i], &p.packed[i], data, files); err != nil {
					return nil, err
				}
			}
			done += len(p.packed)
			next := b.seq
			if done == len(b.entries) {
				next++
			}
			g.release(next, int64(len(data)))
			recycle(free, p.data)
		}
	}
	// order is closed: the walk ended, cleanly or not.
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	return files, nil
}

// writeEntry adds one packed entry to the zip and to files.
func (z *zipper) writeEntry(c *container, e entry, p *packed, data []byte, files []File) ([]File, error) {
	if len(files) > 0 && e.name <= files[len(files)-1].Name {
		// The walk's order is the zip's; a broken order would make the
		// SHA-256 depend on the file system.
		return nil, fmt.Errorf("pack: internal error: %q after %q", e.name, files[len(files)-1].Name)
	}
	if p.usize > maxUint32-1 {
		return nil, &SelectError{Root: z.name(), Msg: fmt.Sprintf(
			"%q under %q is %s: files over 4 GiB cannot be packed (exclude it with files: !%s)", e.name, z.name(), size.Format(p.usize), e.name)}
	}
	files = append(files, File{Name: e.name, Size: p.usize})
	csize := int64(p.end - p.start)
	if p.reread {
		csize = p.usize
	}
	if need := c.offset() + localLen + int64(len(e.name)) + csize; need > z.ceiling {
		return nil, &ceilingError{size: need, files: files}
	}
	w, err := c.create(e.name, p, csize)
	if err != nil {
		return nil, z.writeError(err)
	}
	if !p.reread {
		if _, err := w.Write(data[p.start:p.end]); err != nil {
			return nil, z.writeError(err)
		}
		return files, nil
	}
	if err := z.copyStored(w, e, p); err != nil {
		return nil, err
	}
	return files, nil
}

func (z *zipper) writeError(err error) error {
	return fmt.Errorf("path %q: write the zip: %w (check free space in the temp directory)", z.name(), err)
}

// name is how messages name the root (Options.Shown).
func (z *zipper) name() string {
	if z.shown != "" {
		return z.shown
	}
	return z.root
}

// gate keeps workers from running far ahead of the writer, which takes
// batches in order: a batch may start only within window batches of the one
// the writer needs (each batch in flight holds a buffer), and a piece may be
// handed over only while the compressed bytes waiting stay within a budget.
// The batch the writer needs always passes both, so a large batch parked
// behind the others cannot deadlock the pipeline.
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

// release records that the writer wrote n bytes and needs batch next.
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
