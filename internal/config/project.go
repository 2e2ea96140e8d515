package config

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// ProjectFunctionRoot reads dir/project.config.json, the WeChat DevTools
// project file, and returns its cloudfunctionRoot (e.g. "cloudfunctions/"), so
// that a repository laid out by DevTools deploys with no function-name or
// functions input: the caller globs cloudfunctionRoot + "*".
//
// found is false, with a nil error, when the file is absent or names no
// cloudfunctionRoot. A malformed file, or a root that is absolute or leaves
// dir, is an error.
func ProjectFunctionRoot(dir string) (root string, found bool, err error) {
	const name = "project.config.json"
	b, err := os.ReadFile(filepath.Join(dir, name))
	if errors.Is(err, fs.ErrNotExist) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("%s: %w", name, err)
	}
	// Windows editors (and DevTools on Windows) may start the file with a
	// UTF-8 byte order mark, which encoding/json refuses.
	b = bytes.TrimPrefix(b, []byte("\xef\xbb\xbf"))
	var pc struct {
		CloudfunctionRoot *string `json:"cloudfunctionRoot"`
	}
	if err := json.Unmarshal(b, &pc); err != nil {
		return "", false, fmt.Errorf("%s in %q is not valid JSON (fix the file or set function-name or functions): %w", name, dir, err)
	}
	if pc.CloudfunctionRoot == nil || strings.TrimSpace(*pc.CloudfunctionRoot) == "" {
		return "", false, nil
	}
	// DevTools on Windows writes backslashes; globs want slashes.
	root = strings.ReplaceAll(strings.TrimSpace(*pc.CloudfunctionRoot), `\`, "/")
	clean := path.Clean(root)
	if path.IsAbs(clean) || (len(root) > 1 && root[1] == ':') || clean == ".." || strings.HasPrefix(clean, "../") {
		return "", false, fmt.Errorf("%s in %q: cloudfunctionRoot %q leaves the project directory (use a relative path such as \"cloudfunctions/\")", name, dir, root)
	}
	return root, true, nil
}
