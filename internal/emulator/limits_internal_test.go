package emulator

import (
	"encoding/base64"
	"strings"
	"testing"
)

// TestCodeZipSizeLimits: ZipFile is refused by the size of the zip it holds,
// known from the base64 length before anything is decoded: 20 MB for
// UpdateFunctionCode's top-level ZipFile, 50 MB for Code.ZipFile.
func TestCodeZipSizeLimits(t *testing.T) {
	t.Parallel()
	// The arithmetic at every base64 padding, on small limits (decoding 50
	// MB under the race detector takes many seconds); the real limits are
	// checked below.
	const limit = 3000
	cases := []struct {
		name  string
		size  int
		limit int
		code  string
		msg   string
	}{
		{"at the limit", limit, limit, tcBadZip, "not a valid zip"},
		{"one byte over (two = of padding)", limit + 1, limit, tcBadZip, "takes up to"},
		{"two bytes over (one =)", limit + 2, limit, tcBadZip, "takes up to"},
		{"three bytes over (no padding)", limit + 3, limit, tcBadZip, "takes up to"},
		{"one byte under", limit - 1, limit, tcBadZip, "not a valid zip"},
		{"two bytes under", limit - 2, limit, tcBadZip, "not a valid zip"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			b64 := base64.StdEncoding.EncodeToString(make([]byte, c.size))
			_, err := decodeCodeZip(b64, "ZipFile", c.limit)
			if err == nil || err.Code != c.code || !strings.Contains(err.Message, c.msg) {
				t.Errorf("got %+v, want %s with %q", err, c.code, c.msg)
			}
		})
	}
	if maxTopLevelZip != 20<<20 || maxCodeZip != 50<<20 || DefaultMaxBodyBytes < base64.StdEncoding.EncodedLen(maxCodeZip)+1024 {
		t.Errorf("limits: %d, %d; body limit %d must fit a 50 MB zip in base64", maxTopLevelZip, maxCodeZip, DefaultMaxBodyBytes)
	}
}
