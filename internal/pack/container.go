package pack

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"hash"
	"io"
	"unicode/utf8"

	"github.com/klauspost/compress/zip"
)

// The container is github.com/klauspost/compress/zip's Writer, fed entries
// the workers compressed (CreateRaw). Every header field that CreateRaw
// writes is set here, so the bytes stay what the hand-written writer before
// it produced (testdata/golden): one creator (Unix, 2.0), the zip epoch as
// MS-DOS date and time (FileHeader.Modified stays zero, or the library adds
// an extended-timestamp extra field), sizes and CRC in the local header (no
// data descriptor), normalised modes. Format: PKWARE APPNOTE 6.3.x.
const (
	localLen       = 30     // local file header without name and extra field
	centralLen     = 46     // central directory header without name, extra and comment
	creatorUnix    = 3 << 8 // "version made by" high byte: Unix, so unzip honours the mode bits
	zipVersion20   = 20     // deflate needs 2.0
	flagUTF8       = 0x800  // language encoding flag (EFS): the name is UTF-8
	maxUint16      = 0xffff
	maxUint32      = 0xffffffff
	modeFile       = 0o100644
	modeExecutable = 0o100755
	// dosDate1980 is 1980-01-01 in MS-DOS date format ((year-1980)<<9 |
	// month<<5 | day); the time field stays 0 (00:00:00). The zip epoch: the
	// earliest time the format can say, so no clock or timezone leaks in.
	dosDate1980 = 0<<9 | 1<<5 | 1
)

// container writes one zip, hashing it as it goes.
type container struct {
	zw      *zip.Writer
	out     *sink
	off     int64 // where the next local header goes
	dirSize int64 // the central directory's size so far
	entries int
}

func newContainer(w io.Writer) *container {
	out := &sink{buf: bufio.NewWriterSize(w, 256<<10), h: sha256.New()}
	return &container{zw: zip.NewWriter(out), out: out}
}

// offset is the size of the zip so far, central directory excluded.
func (c *container) offset() int64 { return c.off }

// create starts an entry whose csize bytes the caller then writes.
func (c *container) create(name string, p *packed, csize int64) (io.Writer, error) {
	mode := uint32(modeFile)
	if p.exec {
		mode = modeExecutable
	}
	w, err := c.zw.CreateRaw(&zip.FileHeader{
		Name:               name,
		CreatorVersion:     creatorUnix | zipVersion20,
		ReaderVersion:      zipVersion20,
		Flags:              nameFlags(name),
		Method:             p.method,
		ModifiedDate:       dosDate1980,
		CRC32:              p.crc,
		CompressedSize64:   uint64(csize),
		UncompressedSize64: uint64(p.usize),
		ExternalAttrs:      mode << 16, // Unix mode in the high half
	})
	c.off += localLen + int64(len(name)) + csize
	c.dirSize += centralLen + int64(len(name))
	c.entries++
	return w, err
}

// nameFlags sets EFS for a name that is valid UTF-8 beyond ASCII; a name
// that is not UTF-8 is left for the reader to decode as it can.
func nameFlags(name string) uint16 {
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			if utf8.ValidString(name) {
				return flagUTF8
			}
			return 0
		}
	}
	return 0
}

// close writes the central directory and returns the zip's SHA-256 and size.
func (c *container) close() (sum string, size int64, err error) {
	if c.entries >= maxUint16 {
		c.out.patches = zip64EndPatches(c.off, c.dirSize)
	}
	if err := c.zw.Close(); err != nil {
		return "", 0, err
	}
	if err := c.out.buf.Flush(); err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(c.out.h.Sum(nil)), c.out.n, nil
}

// zip64EndPatches keeps the end records of zips past 65,534 entries what
// they were before the library wrote them (node_modules trees get there).
// The library's zip64 end record says version made by 4.5 without a host,
// where ours says Unix like every other header; and its classic end record
// gives the directory's size and offset as 0xffffffff, where ours keeps the
// real values, which fit in 32 bits because the zip stays under 4 GiB (the
// ceiling): readers without zip64 support still find the directory. The
// record positions follow from the directory's start and size: it has no
// comment and its headers no extra fields.
func zip64EndPatches(dirStart, dirSize int64) []patch {
	end64 := dirStart + dirSize // zip64 end of central directory record
	const end64Len, locatorLen = 56, 20
	end := end64 + end64Len + locatorLen // classic end of central directory record
	realSizes := binary.LittleEndian.AppendUint32(nil, uint32(dirSize))
	realSizes = binary.LittleEndian.AppendUint32(realSizes, uint32(dirStart))
	return []patch{
		{at: end64 + 12, b: []byte{45, creatorUnix >> 8}}, // version made by: Unix, 4.5
		{at: end + 12, b: realSizes},                      // directory size, then offset
	}
}

// patch replaces len(b) bytes at offset at of the stream.
type patch struct {
	at int64
	b  []byte
}

// sink is where the zip's bytes go: hashed, counted, patched, buffered.
type sink struct {
	buf     *bufio.Writer
	h       hash.Hash
	n       int64
	patches []patch
}

func (s *sink) Write(p []byte) (int, error) {
	if len(s.patches) > 0 {
		p = s.patch(p)
	}
	s.h.Write(p)
	n, err := s.buf.Write(p)
	s.n += int64(n)
	return n, err
}

// patch returns p, or a copy of it with the patches that fall inside it
// applied (the library's buffer is not ours to change).
func (s *sink) patch(p []byte) []byte {
	start, end := s.n, s.n+int64(len(p))
	copied := false
	for _, pt := range s.patches {
		for i, b := range pt.b {
			at := pt.at + int64(i)
			if at < start || at >= end {
				continue
			}
			if !copied {
				p, copied = append([]byte(nil), p...), true
			}
			p[at-start] = b
		}
	}
	return p
}
