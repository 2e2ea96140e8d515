package pack

import (
	"bytes"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"

	"github.com/klauspost/compress/flate"
	"github.com/klauspost/compress/zip"
)

// openSource opens a file to pack and reports its size and whether any
// exec bit is set: fstat on the open file, not lstat in the walk, needs no
// path lookup and runs on the workers, in parallel. openFlags keeps a fifo
// swapped in since the walk from blocking the open; the mode check then
// refuses it.
func openSource(path string) (*os.File, int64, bool, error) {
	f, err := os.OpenFile(path, os.O_RDONLY|openFlags, 0)
	if err != nil {
		return nil, 0, false, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, false, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return nil, 0, false, errNotRegular
	}
	return f, fi.Size(), fi.Mode()&0o111 != 0, nil
}

// workspace is one worker's reusable state.
type workspace struct {
	fw *flate.Writer
	// raw is the read buffer, made at full size up front: a fresh
	// allocation's pages are only touched when written, whereas growing one
	// clears every new byte of capacity, and page faults are a large share of
	// a small VM's time.
	raw []byte
	// large takes a large file's deflate output, which is copied into the
	// piece only if it is smaller than the file: an incompressible file's
	// would otherwise grow piece buffers to its size, again and again.
	large bytes.Buffer
}

// largeKeep is the capacity up to which the large-file buffer is kept for
// the next file; past it, one huge file's worth goes back to the runtime.
const largeKeep = 4 << 20

// largeReserve bounds the large-file buffer's first reservation.
const largeReserve = 64 << 20

func newWorkspace(level int) *workspace {
	fw, _ := flate.NewWriter(io.Discard, level) // level checked by Build
	return &workspace{fw: fw, raw: make([]byte, 0, wholeFile)}
}

// compress reads one file and appends it to buf, deflated, or stored when
// deflate does not shrink it.
func (z *zipper) compress(ws *workspace, e entry, buf *bytes.Buffer, p *packed) error {
	f, size, exec, err := openSource(e.path)
	if err != nil {
		return z.readError(e, err)
	}
	defer f.Close()
	*p = packed{method: zip.Deflate, exec: exec, start: buf.Len()}
	if size <= wholeFile {
		err = compressWhole(ws, f, size, buf, p)
	} else {
		err = z.compressStream(ws, f, e, size, buf, p)
	}
	var ce *ceilingError
	if errors.As(err, &ce) {
		return err
	}
	if err != nil {
		return z.readError(e, err)
	}
	p.end = buf.Len()
	return nil
}

// compressWhole packs a small file read in one piece.
func compressWhole(ws *workspace, f *os.File, size int64, buf *bytes.Buffer, p *packed) error {
	data := ws.raw[:size] // size <= wholeFile = cap(ws.raw)
	// A file that shrank since the fstat is packed as it is now; one that
	// grew is cut at the size fstat saw, as tar does.
	n, err := io.ReadFull(f, data)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return err
	}
	data = data[:n]
	p.crc, p.usize = crc32.ChecksumIEEE(data), int64(n)
	ws.fw.Reset(buf)
	if n > 0 {
		ws.fw.Write(data) // writes to a bytes.Buffer cannot fail
	}
	ws.fw.Close()
	if buf.Len()-p.start >= n {
		buf.Truncate(p.start)
		buf.Write(data)
		p.method = zip.Store
	}
	return nil
}

// compressStream packs a large file as it reads it, so memory follows its
// compressed size. One that deflate does not shrink (media, archives) is
// marked for the writer to copy from the file rather than held raw.
func (z *zipper) compressStream(ws *workspace, f *os.File, e entry, size int64, buf *bytes.Buffer, p *packed) error {
	defer func() {
		if ws.large.Cap() > largeKeep {
			ws.large = bytes.Buffer{}
		}
	}()
	ws.large.Reset()
	// Room for the worst case (stored blocks) up front: growing by doubling
	// would leave up to twice the file's size behind. Pages not written
	// cost no memory, but a huge reservation could be refused outright, so
	// past largeReserve the buffer grows as it must.
	ws.large.Grow(int(min(size, largeReserve)) + int(min(size, largeReserve)>>12) + 4096)
	ws.fw.Reset(&ws.large)
	c := ws.raw[:chunk]
	crc := crc32.NewIEEE()
	var n int64
	for n < size {
		m, err := f.Read(c[:min(int64(len(c)), size-n)])
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
		crc.Write(c[:m])
		ws.fw.Write(c[:m])
		n += int64(m)
		if int64(ws.large.Len()) > z.ceiling {
			return &ceilingError{size: int64(ws.large.Len()), files: []File{{Name: e.name, Size: size}}}
		}
	}
	ws.fw.Close()
	p.crc, p.usize = crc.Sum32(), n
	if int64(ws.large.Len()) >= n {
		p.method, p.reread = zip.Store, true
		return nil
	}
	buf.Write(ws.large.Bytes())
	return nil
}

// copyStored writes a stored large file into the zip: its first p.usize
// bytes, which must still be what the worker read (the header with their
// CRC is already written).
func (z *zipper) copyStored(w io.Writer, e entry, p *packed) error {
	f, _, _, err := openSource(e.path)
	if err != nil {
		return z.readError(e, err)
	}
	defer f.Close()
	crc := crc32.NewIEEE()
	c := make([]byte, chunk)
	var n int64
	for n < p.usize {
		m, err := f.Read(c[:min(int64(len(c)), p.usize-n)])
		if err == io.EOF {
			break
		}
		if err != nil {
			return z.readError(e, err)
		}
		crc.Write(c[:m])
		if _, err := w.Write(c[:m]); err != nil {
			return z.writeError(err)
		}
		n += int64(m)
	}
	if n != p.usize || crc.Sum32() != p.crc {
		return z.readError(e, errChanged)
	}
	return nil
}

func (z *zipper) readError(e entry, err error) error {
	return fmt.Errorf("path %q: read %q: %w", z.name(), e.name, withoutPath(err))
}
