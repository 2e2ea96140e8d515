// Command stdzip is bench/pack.sh's baseline: the same file list as packbench
// (pack.Select), written sequentially with Go's standard archive/zip at its
// default Deflate level, the way most Go tools build zips.
package main

import (
	"archive/zip"
	"bufio"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/globs"
	"github.com/wxcloud-deploy/wxcloud-deploy/internal/pack"
)

func main() {
	if len(os.Args) != 3 && len(os.Args) != 4 {
		fmt.Fprintln(os.Stderr, "usage: stdzip ROOT OUT.zip [FILES]  (FILES: newline-separated globs; default everything, node_modules included)")
		os.Exit(2)
	}
	files := "**\nnode_modules/**"
	if len(os.Args) == 4 {
		files = os.Args[3]
	}
	list, err := globs.Parse(files)
	if err != nil {
		fmt.Fprintln(os.Stderr, "stdzip: FILES:", err)
		os.Exit(2)
	}
	if err := run(os.Args[1], list, os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "stdzip:", err)
		os.Exit(1)
	}
}

func run(root string, files globs.List, out string) error {
	names, err := pack.Select(root, files)
	if err != nil {
		return err
	}
	f, err := os.Create(out)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	zw := zip.NewWriter(bw)
	for _, name := range names {
		w, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate})
		if err != nil {
			return err
		}
		src, err := os.Open(filepath.Join(root, filepath.FromSlash(name)))
		if err != nil {
			return err
		}
		_, err = io.Copy(w, src)
		src.Close()
		if err != nil {
			return err
		}
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}
