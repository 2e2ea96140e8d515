package pack

import (
	"encoding/binary"
	"unicode/utf8"
)

// The zip is written by hand rather than through a zip.Writer: every header
// byte is then ours to fix (no extended-timestamp extra field, no data
// descriptor, one creator version), and entries go straight into the one
// output slice without a bufio layer. Format: PKWARE APPNOTE 6.3.x, sections
// 4.3.7 (local header), 4.3.12 (central header), 4.3.14-16 (zip64 end records).
const (
	sigLocal       = 0x04034b50
	sigCentral     = 0x02014b50
	sigEnd         = 0x06054b50
	sigEnd64       = 0x06064b50
	sigEnd64Loc    = 0x07064b50
	localLen       = 30
	centralLen     = 46
	endLen         = 22
	end64Len       = 56
	end64LocLen    = 20
	creatorUnix    = 3 << 8 // "version made by" high byte: Unix, so unzip honours the mode bits
	zipVersion20   = 20     // deflate needs 2.0
	zipVersion45   = 45     // zip64
	flagUTF8       = 0x800  // language encoding flag (EFS): the name is UTF-8
	methodStore    = 0
	methodDeflate  = 8
	maxUint16      = 0xffff
	maxUint32      = 0xffffffff
	modeFile       = 0o100644
	modeExecutable = 0o100755
	// dosDate1980 is 1980-01-01 in MS-DOS date format ((year-1980)<<9 | month<<5 | day);
	// the time field stays 0 (00:00:00). The zip epoch: the earliest time the
	// format can say, so no clock or timezone leaks in.
	dosDate1980 = 0<<9 | 1<<5 | 1
)

// central is what the central directory needs of one written entry.
type central struct {
	name   string
	method uint16
	crc    uint32
	csize  uint32
	usize  uint32
	offset uint32
	exec   bool
}

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

// appendLocal appends a local file header. Sizes and CRC are known up front
// (whole files are compressed before they are written), so bit 3 (data
// descriptor) is never set.
func appendLocal(b []byte, c *central) []byte {
	b = binary.LittleEndian.AppendUint32(b, sigLocal)
	b = binary.LittleEndian.AppendUint16(b, zipVersion20)
	b = binary.LittleEndian.AppendUint16(b, nameFlags(c.name))
	b = binary.LittleEndian.AppendUint16(b, c.method)
	b = binary.LittleEndian.AppendUint16(b, 0) // time 00:00:00
	b = binary.LittleEndian.AppendUint16(b, dosDate1980)
	b = binary.LittleEndian.AppendUint32(b, c.crc)
	b = binary.LittleEndian.AppendUint32(b, c.csize)
	b = binary.LittleEndian.AppendUint32(b, c.usize)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(c.name)))
	b = binary.LittleEndian.AppendUint16(b, 0) // no extra field
	return append(b, c.name...)
}

func appendCentral(b []byte, c *central) []byte {
	mode := uint32(modeFile)
	if c.exec {
		mode = modeExecutable
	}
	b = binary.LittleEndian.AppendUint32(b, sigCentral)
	b = binary.LittleEndian.AppendUint16(b, creatorUnix|zipVersion20)
	b = binary.LittleEndian.AppendUint16(b, zipVersion20)
	b = binary.LittleEndian.AppendUint16(b, nameFlags(c.name))
	b = binary.LittleEndian.AppendUint16(b, c.method)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, dosDate1980)
	b = binary.LittleEndian.AppendUint32(b, c.crc)
	b = binary.LittleEndian.AppendUint32(b, c.csize)
	b = binary.LittleEndian.AppendUint32(b, c.usize)
	b = binary.LittleEndian.AppendUint16(b, uint16(len(c.name)))
	b = binary.LittleEndian.AppendUint16(b, 0)        // extra
	b = binary.LittleEndian.AppendUint16(b, 0)        // comment
	b = binary.LittleEndian.AppendUint16(b, 0)        // disk
	b = binary.LittleEndian.AppendUint16(b, 0)        // internal attributes
	b = binary.LittleEndian.AppendUint32(b, mode<<16) // Unix mode in the high half
	b = binary.LittleEndian.AppendUint32(b, c.offset)
	return append(b, c.name...)
}

// appendEnd appends the central directory and the end records. Over 65534
// entries the counts overflow 16 bits and zip64 end records carry them
// (node_modules trees get there); offsets stay 32-bit because the output is
// capped below 4 GiB.
func appendEnd(b []byte, dir []central) []byte {
	start := len(b)
	for i := range dir {
		b = appendCentral(b, &dir[i])
	}
	size := uint64(len(b) - start)
	n := uint64(len(dir))
	count16 := uint16(n)
	if n >= maxUint16 {
		end64 := uint64(len(b))
		b = binary.LittleEndian.AppendUint32(b, sigEnd64)
		b = binary.LittleEndian.AppendUint64(b, end64Len-12) // size of the rest of this record
		b = binary.LittleEndian.AppendUint16(b, creatorUnix|zipVersion45)
		b = binary.LittleEndian.AppendUint16(b, zipVersion45)
		b = binary.LittleEndian.AppendUint32(b, 0) // this disk
		b = binary.LittleEndian.AppendUint32(b, 0) // disk with the directory
		b = binary.LittleEndian.AppendUint64(b, n)
		b = binary.LittleEndian.AppendUint64(b, n)
		b = binary.LittleEndian.AppendUint64(b, size)
		b = binary.LittleEndian.AppendUint64(b, uint64(start))
		b = binary.LittleEndian.AppendUint32(b, sigEnd64Loc)
		b = binary.LittleEndian.AppendUint32(b, 0)
		b = binary.LittleEndian.AppendUint64(b, end64)
		b = binary.LittleEndian.AppendUint32(b, 1) // total disks
		count16 = maxUint16
	}
	b = binary.LittleEndian.AppendUint32(b, sigEnd)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, 0)
	b = binary.LittleEndian.AppendUint16(b, count16)
	b = binary.LittleEndian.AppendUint16(b, count16)
	b = binary.LittleEndian.AppendUint32(b, uint32(size))
	b = binary.LittleEndian.AppendUint32(b, uint32(start))
	return binary.LittleEndian.AppendUint16(b, 0) // comment length
}

// endSize is how many bytes appendEnd adds for dir.
func endSize(dir []central) int64 {
	n := int64(endLen)
	for i := range dir {
		n += centralLen + int64(len(dir[i].name))
	}
	if len(dir) >= maxUint16 {
		n += end64Len + end64LocLen
	}
	return n
}
