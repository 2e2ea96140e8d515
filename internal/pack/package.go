package pack

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
)

// Package is a built zip. Its bytes live in a temporary file, so that a run
// holding many packages holds only their file lists in memory; Close
// removes the file.
type Package struct {
	SHA256 string // lowercase hex of the zip
	Files  []File // sorted by Name
	zip    *zipFile
	size   int64
}

// Size is the zip's length in bytes.
func (p *Package) Size() int64 { return p.size }

// ReadAt reads the zip's bytes at off, as io.ReaderAt; it is safe for
// concurrent use (uploads read several parts at once) and fails after Close.
func (p *Package) ReadAt(b []byte, off int64) (int, error) {
	if p.zip == nil {
		return 0, errNoZip
	}
	// The file holds exactly the zip: its end is the zip's.
	return p.zip.f.ReadAt(b, off)
}

// WriteTo copies the whole zip to w (pack --output).
func (p *Package) WriteTo(w io.Writer) (int64, error) {
	if p.zip == nil {
		return 0, errNoZip
	}
	return io.Copy(w, io.NewSectionReader(p, 0, p.size))
}

// Close removes the zip's file. It may be called more than once; reads
// after it fail.
func (p *Package) Close() error {
	if p.zip == nil {
		return nil
	}
	return p.zip.close()
}

var errNoZip = errors.New("pack: package has no zip (use the Package Build returned)")

// zipFile is the temporary file a zip is built into. On Unix it is unlinked
// as soon as it is created, so that nothing is left behind even if the
// process is killed; the open descriptor keeps the data. Where an open file
// cannot be removed (Windows), close removes it.
type zipFile struct {
	f       *os.File
	removed bool // unlinked at creation
	once    sync.Once
	err     error
}

func createZipFile(dir string, unlink func(string) error) (*zipFile, error) {
	f, err := os.CreateTemp(dir, "wxcloud-deploy-*.zip")
	if err != nil {
		if dir == "" {
			dir = os.TempDir()
		}
		return nil, fmt.Errorf("pack: create the zip's temporary file in %q: %w (check that it exists and is writable, or set TMPDIR)", dir, err)
	}
	return &zipFile{f: f, removed: unlink(f.Name()) == nil}, nil
}

func (z *zipFile) close() error {
	z.once.Do(func() {
		z.err = z.f.Close()
		if !z.removed {
			if err := os.Remove(z.f.Name()); err != nil && z.err == nil {
				z.err = fmt.Errorf("pack: remove the zip's temporary file: %w", err)
			}
		}
	})
	return z.err
}
