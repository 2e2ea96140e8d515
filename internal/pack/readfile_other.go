//go:build !unix

package pack

import "os"

// source is an open file being packed; see readfile_unix.go.
type source struct{ *os.File }

func openSource(path string) (source, int64, bool, error) {
	f, err := os.Open(path)
	if err != nil {
		return source{}, 0, false, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return source{}, 0, false, err
	}
	if !fi.Mode().IsRegular() {
		f.Close()
		return source{}, 0, false, errNotRegular
	}
	return source{f}, fi.Size(), fi.Mode()&0o111 != 0, nil
}
