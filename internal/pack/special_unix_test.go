//go:build unix

package pack

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func TestSpecialFiles(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		make    func(t *testing.T, root string) // creates the special file at root/special
		lines   []string
		wantErr string
	}{
		{name: "fifo refused", make: mkfifo, wantErr: `"special" under "ROOT" is a named pipe (fifo), not a regular file, and cannot be zipped (exclude it with files: !special)`},
		{name: "fifo excluded", make: mkfifo, lines: []string{"**", "!special"}},
		{name: "socket refused", make: mksocket, wantErr: "is a socket"},
		{name: "link to fifo refused", make: func(t *testing.T, root string) {
			mustNil(t, syscall.Mkfifo(filepath.Join(root, "p"), 0o644))
			writeTree(t, root, tree{"special": "->p"})
		}, lines: []string{"**", "!p"}, wantErr: "is a named pipe"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := makeTree(t, tree{"index.js": "x"})
			tt.make(t, root)
			// Build must fail before it tries to read: opening a fifo blocks.
			_, err := Build(context.Background(), Options{Root: root, Files: parse(t, tt.lines)})
			if tt.wantErr == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var se *SelectError
			want := strings.ReplaceAll(tt.wantErr, "ROOT", root)
			if !errors.As(err, &se) || !strings.Contains(err.Error(), want) {
				t.Fatalf("err = %v\nwant *SelectError containing %q", err, want)
			}
		})
	}
}

func mkfifo(t *testing.T, root string) {
	mustNil(t, syscall.Mkfifo(filepath.Join(root, "special"), 0o644))
}

func mksocket(t *testing.T, root string) {
	p := filepath.Join(root, "special")
	if len(p) > 100 {
		t.Skip("temp path too long for a unix socket")
	}
	l, err := net.Listen("unix", p)
	mustNil(t, err)
	t.Cleanup(func() { l.Close() })
}

// TestOpenSourceRefusesFifo covers a fifo swapped in after the walk: the
// non-blocking open returns and fstat refuses it.
func TestOpenSourceRefusesFifo(t *testing.T) {
	t.Parallel()
	p := filepath.Join(t.TempDir(), "p")
	mustNil(t, syscall.Mkfifo(p, 0o644))
	if _, _, _, err := openSource(p); !errors.Is(err, errNotRegular) {
		t.Fatalf("err = %v, want errNotRegular", err)
	}
}
