package pack

import (
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/size"
)

// SelectError is bad `path` or `files` input: no file matched, an invalid
// pattern, a symlink escaping the root, a special file. Msg says what and how
// to fix it.
type SelectError struct {
	Root string // the path input as given
	Msg  string
}

func (e *SelectError) Error() string { return e.Msg }

// LayoutError is a selection WeChat could not run: everything wrapped in one
// folder, or no entry file at the root.
type LayoutError struct {
	Root string
	Msg  string
	File string // the path (relative to the workspace) the annotation should point at
}

func (e *LayoutError) Error() string { return e.Msg }

// SizeError is a zip over size-limit. It is returned before any upload.
type SizeError struct {
	Root       string
	Limit      int64
	Size       int64 // zip bytes; a lower bound when AtLeast
	Base64Size int64
	// AtLeast is set when the build stopped early because the zip had already
	// grown far past the limit (no point compressing the rest).
	AtLeast bool
	Largest []File // the biggest selected files, uncompressed, largest first (at most 10)
}

func (e *SizeError) Error() string {
	var b strings.Builder
	more := ""
	if e.AtLeast {
		more = "more than "
	}
	fmt.Fprintf(&b, "package for %q is %s%s, over size-limit %s (base64 %s%s)",
		e.Root, more, size.Format(e.Size), size.Format(e.Limit), more, size.Format(e.Base64Size))
	if len(e.Largest) > 0 {
		b.WriteString("; largest files: ")
		for i, f := range e.Largest {
			if i > 0 {
				b.WriteString(", ")
			}
			fmt.Fprintf(&b, "%q (%s)", f.Name, size.Format(f.Size))
		}
	}
	b.WriteString(" — exclude them with files: !pattern (or raise size-limit)")
	return b.String()
}

// base64Ceiling is the vendor's "base64 encoded, up to 20 M", read as
// characters (API-NOTES.md "Limits"): the reading that bounds the zip lowest.
const base64Ceiling = 20_000_000

// Base64Warning returns "" or a warning when the zip's base64 form is over
// 20,000,000 characters: the vendor's limit may mean the base64 text, not the
// zip, and such an upload could be refused even under size-limit.
func Base64Warning(zipSize int64) string {
	b64 := base64Len(zipSize)
	if b64 <= base64Ceiling {
		return ""
	}
	return fmt.Sprintf("zip is %s (%d bytes) and its base64 body %d characters, over %d: "+
		"WeChat documents the upload as \"base64 encoded, up to 20 M\", which may bound the base64 text; "+
		"if the upload is refused, make the package smaller (files: !pattern)",
		size.Format(zipSize), zipSize, b64, base64Ceiling)
}

// base64Len is the length of the standard (padded) base64 encoding of n
// bytes: what the upload body carries.
func base64Len(n int64) int64 { return int64(base64.StdEncoding.EncodedLen(int(n))) }
