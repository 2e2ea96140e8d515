package config

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
)

// maxEnvsFile bounds envs-file: 3,000 env IDs are about 70 KB.
const maxEnvsFile = 4 << 20

// checkEnvs reads envs-file (exclusive with envs) and requires envs where a
// command needs them.
func (b *builder) checkEnvs() {
	c := b.cfg
	if c.EnvsFile != "" && !b.bad["envs-file"] {
		if b.set["envs"] {
			b.fail("envs-file", "", "cannot be combined with envs (give the env IDs one way)")
			return
		}
		b.readEnvsFile()
	}
	if b.bad["envs"] || b.bad["envs-file"] {
		return
	}
	if len(c.Envs) == 0 && (c.Command.API() || c.Command == Plan) {
		b.fail("envs", "", "is required for "+string(c.Command)+" (comma- or newline-separated env IDs, e.g. prod-3gewtf9c10f60c76, or envs-file)")
	}
}

func (b *builder) readEnvsFile() {
	c := b.cfg
	name := c.EnvsFile
	p := absUnder(b.base, name)
	if c.Workspace != "" && !inside(c.Workspace, resolveExisting(p)) {
		b.fail("envs-file", name, "is outside the workspace "+quote(c.Workspace)+" (keep the file in the repository)")
		return
	}
	f, err := os.Open(p)
	if err != nil {
		b.fail("envs-file", name, "cannot be read (check the path; it is relative to the workspace): "+errText(err))
		return
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxEnvsFile+1))
	switch {
	case err != nil:
		b.fail("envs-file", name, "cannot be read: "+errText(err))
		return
	case len(data) > maxEnvsFile:
		b.fail("envs-file", name, fmt.Sprintf("is larger than %d bytes (one env ID per line)", maxEnvsFile))
		return
	}
	envs, errs := parseEnvLines(name, data)
	if len(errs) > 0 {
		b.addErr(errs.err())
		return
	}
	if len(envs) == 0 {
		b.fail("envs-file", name, "lists no env ID (one per line; # starts a comment)")
		return
	}
	c.Envs, c.EnvsFile = envs, p
}

// parseEnvLines reads one env ID per line; blank lines and # comments are
// skipped; errors name the line.
func parseEnvLines(name string, data []byte) ([]string, Errors) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a BOM from Windows editors
	var (
		envs []string
		errs Errors
		seen = map[string]int{}
	)
	for i, line := range strings.Split(strings.ReplaceAll(string(data), "\r\n", "\n"), "\n") {
		if j := strings.Index(line, "#"); j >= 0 {
			line = line[:j]
		}
		env := strings.TrimSpace(line)
		where := fmt.Sprintf("%s line %d", name, i+1)
		switch {
		case env == "":
			continue
		case len(errs) >= 20:
			continue // enough to fix in one round
		case !envIDPattern.MatchString(env):
			errs = append(errs, &InputError{Input: "envs-file", Value: env, Msg: "(" + where + ") is not a valid env ID (letters, digits and '-' only, at most 64)"})
		case seen[env] > 0:
			errs = append(errs, &InputError{Input: "envs-file", Value: env, Msg: fmt.Sprintf("(%s) repeats line %d (remove the duplicate)", where, seen[env])})
		default:
			seen[env] = i + 1
			envs = append(envs, env)
		}
	}
	return envs, errs
}

// errText is an OS error without the path it repeats.
func errText(err error) string {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err.Error()
	}
	return err.Error()
}
