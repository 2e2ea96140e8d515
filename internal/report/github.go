package report

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"

	"github.com/sethvargo/go-githubactions"
)

// GitHub writes to the places a GitHub Actions runner reads: workflow
// commands on stdout, $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY. It never
// panics (go-githubactions' SetOutput and AddStepSummary do when a file
// cannot be opened, which happens to docker actions running as non-root).
type GitHub struct {
	getenv func(string) string
	stdout io.Writer
	// random makes heredoc delimiters; tests replace it.
	random io.Reader
}

// NewGitHub returns a writer that reads file paths through getenv and prints
// workflow commands to stdout.
func NewGitHub(getenv func(string) string, stdout io.Writer) *GitHub {
	return &GitHub{getenv: getenv, stdout: stdout, random: rand.Reader}
}

// Mask asks the runner to hide secret in all later log lines. Each line of a
// multi-line secret is masked on its own, as the runner matches line by line.
func (g *GitHub) Mask(secret string) {
	for _, line := range strings.Split(secret, "\n") {
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		g.command(&githubactions.Command{Name: "add-mask", Message: line})
	}
}

// Annotate prints one ::error::, ::warning:: or ::notice:: command (an
// unknown level is printed as error, so it is not lost). Properties and
// message are escaped the way the runner unescapes them.
func (g *GitHub) Annotate(a Annotation) {
	name := a.Level
	switch name {
	case "error", "warning", "notice":
	default:
		name = "error"
	}
	props := githubactions.CommandProperties{}
	if a.Title != "" {
		props["title"] = a.Title
	}
	if a.File != "" {
		props["file"] = a.File
	}
	if a.Line > 0 {
		props["line"] = strconv.Itoa(a.Line)
	}
	g.command(&githubactions.Command{Name: name, Message: a.Message, Properties: props})
}

func (g *GitHub) command(c *githubactions.Command) {
	// A closed stdout leaves nothing useful to report the failure to.
	_, _ = io.WriteString(g.stdout, c.String()+"\n")
}

// SetOutputs appends outs to $GITHUB_OUTPUT in the multi-line form
//
//	name<<DELIMITER
//	value
//	DELIMITER
//
// with a random delimiter that occurs in no name or value, so a value can
// never end early or set another output. Outside GitHub Actions
// (GITHUB_OUTPUT unset) it does nothing.
func (g *GitHub) SetOutputs(outs []Output) error {
	path := g.getenv("GITHUB_OUTPUT")
	if path == "" || len(outs) == 0 {
		return nil
	}
	var b strings.Builder
	for _, o := range outs {
		delim, err := g.delimiter(o)
		if err != nil {
			return fmt.Errorf("output %q: %w", o.Name, err)
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", o.Name, delim, o.Value, delim)
	}
	return appendFile("GITHUB_OUTPUT", path, b.String())
}

// AddSummary appends markdown to $GITHUB_STEP_SUMMARY; it does nothing when
// the variable is unset.
func (g *GitHub) AddSummary(markdown string) error {
	path := g.getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return nil
	}
	if !strings.HasSuffix(markdown, "\n") {
		markdown += "\n"
	}
	return appendFile("GITHUB_STEP_SUMMARY", path, markdown)
}

func (g *GitHub) delimiter(o Output) (string, error) {
	// The chance of a clash is nil in practice; the loop only guards against
	// a value crafted to contain a delimiter seen before.
	for range 10 {
		var buf [16]byte
		if _, err := io.ReadFull(g.random, buf[:]); err != nil {
			return "", fmt.Errorf("making a heredoc delimiter: %w", err)
		}
		d := "ghadelimiter_" + hex.EncodeToString(buf[:])
		if !strings.Contains(o.Value, d) && !strings.Contains(o.Name, d) {
			return d, nil
		}
	}
	return "", errors.New("no heredoc delimiter found that the value does not contain")
}

// appendFile writes text in one call, so a partial write is unlikely to
// leave half an output behind.
func appendFile(variable, path, text string) (err error) {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return fmt.Errorf("cannot open $%s file %q: %w (check that it is writable: a docker action must run as root)", variable, path, err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = fmt.Errorf("closing $%s file %q: %w", variable, path, cerr)
		}
	}()
	if _, err := f.WriteString(text); err != nil {
		return fmt.Errorf("writing $%s file %q: %w", variable, path, err)
	}
	return nil
}
