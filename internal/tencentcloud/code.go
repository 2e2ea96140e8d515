package tencentcloud

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/backend"
)

// encodeZip reads the package once and returns its base64, which the API
// takes inside the JSON body. The raw bytes are streamed through the
// encoder, so only the base64 string is held. The checksum is verified on
// the way: the package sits in a temp file between pack and upload.
func encodeZip(z backend.Zip) (string, error) {
	if z.R == nil || z.Size <= 0 {
		return "", errors.New("the package is empty")
	}
	var sb strings.Builder
	sb.Grow(base64.StdEncoding.EncodedLen(int(z.Size)))
	enc := base64.NewEncoder(base64.StdEncoding, &sb)
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(enc, h), io.NewSectionReader(z.R, 0, z.Size))
	if err != nil {
		return "", fmt.Errorf("reading the package: %w", err)
	}
	if n != z.Size {
		return "", fmt.Errorf("reading the package: got %d bytes, want %d", n, z.Size)
	}
	if err := enc.Close(); err != nil {
		return "", err
	}
	if sum := hex.EncodeToString(h.Sum(nil)); z.SHA256 != "" && !strings.EqualFold(sum, z.SHA256) {
		return "", fmt.Errorf("the package changed after it was packed (sha256 %s, packed as %s)", sum, z.SHA256)
	}
	return sb.String(), nil
}

// placeholderTime keeps the placeholder zip byte-identical across runs.
var placeholderTime = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)

// placeholderZip is the code CreateEmpty creates a function with: the file
// and export the handler names ("index.main": index.js exporting main),
// returning {}. CreateFunction requires code; this is the smallest that runs.
func placeholderZip(handler string) ([]byte, error) {
	file, export := "index", "main"
	if i := strings.LastIndexByte(handler, '.'); i > 0 && i < len(handler)-1 {
		file, export = handler[:i], handler[i+1:]
	}
	name, _ := json.Marshal(export)
	src := fmt.Sprintf("// Placeholder created by wxcloud-deploy (command: create): deploy the real code over it.\nexports[%s] = async () => ({});\n", name)
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	w, err := zw.CreateHeader(&zip.FileHeader{Name: file + ".js", Method: zip.Deflate, Modified: placeholderTime})
	if err != nil {
		return nil, err
	}
	if _, err := io.WriteString(w, src); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// normalizeSHA256 returns a checksum as lowercase hex. Whether GetFunctionAddress
// answers CodeSha256 in hex or base64 is not documented
// (API-NOTES-TENCENTCLOUD.md §6.5): both are read. Anything else is "no
// checksum" (ok false), so deploy compares the code itself.
func normalizeSHA256(s string) (string, bool) {
	s = strings.TrimSpace(s)
	if len(s) == 2*sha256.Size {
		if b, err := hex.DecodeString(s); err == nil {
			return hex.EncodeToString(b), true
		}
	}
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding, base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(s); err == nil && len(b) == sha256.Size {
			return hex.EncodeToString(b), true
		}
	}
	return "", false
}
