package pack

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/klauspost/compress/zip"
)

// maxUnzipped bounds what SameContent inflates from one zip, per entry and
// in all: far above what a cloud function may unpack to, far below what a
// zip bomb of a few megabytes expands to.
const maxUnzipped = 1 << 30

// SameContent reports whether two zips hold the same files with the same
// bytes, whatever their order, timestamps, modes or compression; directory
// entries are ignored. Deploy uses it when the vendor's checksum of the
// deployed code differs from the new package's, to tell a re-zipped copy
// from a change. An unreadable zip, or one whose entries declare or inflate
// past maxUnzipped, is an error, not a difference.
func SameContent(a io.ReaderAt, aSize int64, b io.ReaderAt, bSize int64) (bool, error) {
	fa, err := zipFiles(a, aSize, "first")
	if err != nil {
		return false, err
	}
	fb, err := zipFiles(b, bSize, "second")
	if err != nil {
		return false, err
	}
	if len(fa) != len(fb) {
		return false, nil
	}
	// Headers first: a different name, size or CRC settles it without
	// inflating anything.
	for i := range fa {
		if fa[i].Name != fb[i].Name || fa[i].UncompressedSize64 != fb[i].UncompressedSize64 || fa[i].CRC32 != fb[i].CRC32 {
			return false, nil
		}
	}
	for i := range fa {
		same, err := sameBytes(fa[i], fb[i])
		if err != nil || !same {
			return false, err
		}
	}
	return true, nil
}

// zipFiles opens a zip and returns its file entries sorted by name, refusing
// duplicate names and sizes past maxUnzipped.
func zipFiles(r io.ReaderAt, size int64, which string) ([]*zip.File, error) {
	zr, err := zip.NewReader(r, size)
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) { // names are only compared here
		return nil, fmt.Errorf("pack: compare zips: the %s zip (%d bytes) is unreadable: %w", which, size, err)
	}
	var files []*zip.File
	var total uint64
	for _, f := range zr.File {
		if strings.HasSuffix(f.Name, "/") || f.Mode().IsDir() {
			continue
		}
		total += f.UncompressedSize64
		if f.UncompressedSize64 > maxUnzipped || total > maxUnzipped {
			return nil, fmt.Errorf("pack: compare zips: the %s zip declares %q at %d bytes, %d in all: refused past %d (a zip bomb, or not a function's code)",
				which, f.Name, f.UncompressedSize64, total, maxUnzipped)
		}
		files = append(files, f)
	}
	slices.SortFunc(files, func(x, y *zip.File) int { return strings.Compare(x.Name, y.Name) })
	for i := 1; i < len(files); i++ {
		if files[i].Name == files[i-1].Name {
			return nil, fmt.Errorf("pack: compare zips: the %s zip holds %q twice, so its content is ambiguous", which, files[i].Name)
		}
	}
	return files, nil
}

// sameBytes inflates two entries side by side and compares them. The zip
// reader checks each against its declared size and CRC at the end.
func sameBytes(x, y *zip.File) (bool, error) {
	rx, err := openEntry(x, "first")
	if err != nil {
		return false, err
	}
	defer rx.Close()
	ry, err := openEntry(y, "second")
	if err != nil {
		return false, err
	}
	defer ry.Close()
	bx, by := make([]byte, 32<<10), make([]byte, 32<<10)
	var n int64
	for {
		nx, errx := io.ReadFull(rx, bx)
		ny, erry := io.ReadFull(ry, by)
		if err := entryError(x, "first", errx); err != nil {
			return false, err
		}
		if err := entryError(y, "second", erry); err != nil {
			return false, err
		}
		if nx != ny || !bytes.Equal(bx[:nx], by[:ny]) {
			return false, nil
		}
		n += int64(nx)
		if n > maxUnzipped {
			return false, fmt.Errorf("pack: compare zips: %q inflates past %d bytes: refused (a zip bomb, or not a function's code)", x.Name, maxUnzipped)
		}
		if nx < len(bx) { // both ended
			return true, nil
		}
	}
}

type entryReader struct {
	io.Reader
	io.Closer
}

func openEntry(f *zip.File, which string) (io.ReadCloser, error) {
	rc, err := f.Open()
	if err != nil {
		return nil, fmt.Errorf("pack: compare zips: the %s zip's %q is unreadable: %w", which, f.Name, err)
	}
	// Actual bytes are bounded too, whatever the header says.
	return entryReader{io.LimitReader(rc, maxUnzipped+1), rc}, nil
}

func entryError(f *zip.File, which string, err error) error {
	if err == nil || err == io.EOF || err == io.ErrUnexpectedEOF {
		return nil
	}
	return fmt.Errorf("pack: compare zips: the %s zip's %q is unreadable: %w", which, f.Name, err)
}
