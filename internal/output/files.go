package output

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/safefile"
)

// outputName is what the runner accepts as an output name; ours are fixed,
// so anything else is a bug to report rather than write.
var outputName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// SetOutputs appends outs to $GITHUB_OUTPUT in the multi-line form
//
//	name<<DELIMITER
//	value
//	DELIMITER
//
// with a random delimiter that occurs in no value, so a value can never end
// early or set another output. Each value is redacted; a JSON value stays
// JSON (its strings escaped, see the package comment), any other value is
// neutralised line by line. A value over OutputLimit is left out and named
// in the error; the others are still written. Outside GitHub Actions
// (GITHUB_OUTPUT unset) it does nothing. It never panics (go-githubactions'
// SetOutput does when the file cannot be opened, which happens to docker
// actions running as non-root).
func (o *Out) SetOutputs(outs []Output) error {
	path := o.getenv("GITHUB_OUTPUT")
	if path == "" || len(outs) == 0 {
		return nil
	}
	var b strings.Builder
	var errs []error
	for _, out := range outs {
		if !outputName.MatchString(out.Name) {
			errs = append(errs, fmt.Errorf("output %q: not a valid output name (letters, digits, - and _)", out.Name))
			continue
		}
		value := o.outputValue(out.Value)
		if len(value) > OutputLimit {
			errs = append(errs, fmt.Errorf("output %q: %d bytes is over the %d GitHub keeps; left unset", out.Name, len(value), OutputLimit))
			continue
		}
		delim, err := o.delimiter(value)
		if err != nil {
			errs = append(errs, fmt.Errorf("output %q: %w", out.Name, err))
			continue
		}
		fmt.Fprintf(&b, "%s<<%s\n%s\n%s\n", out.Name, delim, value, delim)
	}
	if b.Len() > 0 {
		errs = append(errs, o.appendFile("GITHUB_OUTPUT", path, b.String()))
	}
	return errors.Join(errs...)
}

// outputValue redacts and neutralises one output value.
func (o *Out) outputValue(v string) string {
	if json.Valid([]byte(v)) {
		if safe, err := o.safeJSON([]byte(v), false); err == nil {
			return string(safe)
		}
	}
	return neutralLines(o.red.String(v))
}

func (o *Out) delimiter(value string) (string, error) {
	// A clash with 128 random bits does not happen by chance; the loop only
	// guards against a value crafted to hold a delimiter seen before.
	for range 10 {
		var buf [16]byte
		if _, err := io.ReadFull(o.random, buf[:]); err != nil {
			return "", fmt.Errorf("making a heredoc delimiter: %w", err)
		}
		d := "ghadelimiter_" + hex.EncodeToString(buf[:])
		if !strings.Contains(value, d) {
			return d, nil
		}
	}
	return "", errors.New("no heredoc delimiter found that the value does not contain")
}

// Summary appends markdown to $GITHUB_STEP_SUMMARY: redacted, control
// characters shown as escapes, and cut so that the file stays within
// SummaryLimit (GitHub's per-step limit, which counts what is already in the
// file). It does nothing when the variable is unset.
func (o *Out) Summary(markdown string) error {
	path := o.getenv("GITHUB_STEP_SUMMARY")
	if path == "" {
		return nil
	}
	md := neutralMarkdown(o.red.String(markdown))
	if !strings.HasSuffix(md, "\n") {
		md += "\n"
	}
	room := SummaryLimit
	if fi, err := os.Stat(path); err == nil && fi.Mode().IsRegular() {
		room -= int(fi.Size())
	}
	if room <= 0 {
		return fmt.Errorf("$GITHUB_STEP_SUMMARY file %q already holds %d bytes, GitHub's limit: summary not written", path, SummaryLimit)
	}
	md = cutLines(md, room, "_The summary was cut here: GitHub shows at most 1 MiB per step._")
	return o.appendFile("GITHUB_STEP_SUMMARY", path, md)
}

// CommentBody returns what to post as the PR comment: redacted, control
// characters shown as escapes, and at most CommentLimit bytes (so at most
// that many characters), cut at a line end with a note when longer. report
// renders within the limit; this is the guard.
func (o *Out) CommentBody(markdown string) string {
	md := neutralMarkdown(o.red.String(markdown))
	return cutLines(md, CommentLimit, "_The comment was cut here: GitHub accepts at most 65,536 characters. See the job summary._")
}

// WriteFile writes data to path after redacting it: for results-file. JSON
// stays valid JSON. The file is written beside the target and renamed over
// it (never through a symlink), inside the workspace when one is set.
func (o *Out) WriteFile(path string, data []byte) error {
	text := string(data)
	if json.Valid(data) {
		safe, err := o.safeJSON(data, true)
		if err != nil {
			return fmt.Errorf("writing %q: %w", path, err)
		}
		text = string(safe) + "\n"
	} else {
		text = o.red.String(text)
	}
	return o.bounded("file "+path, func() error {
		return safefile.Write(path, o.workspace, func(w io.Writer) error {
			_, err := io.WriteString(w, text)
			return err
		})
	})
}

// appendFile writes text in one call, so a partial write is unlikely to
// leave half an output behind, and gives up after the stall timeout: opening
// a FIFO nobody reads blocks forever.
func (o *Out) appendFile(variable, path, text string) error {
	return o.bounded("$"+variable+" file "+path, func() (err error) {
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
	})
}

// bounded runs write and waits for it at most the stall timeout. A write
// that takes longer is left running: the program is about to exit, and an
// exit must not wait on a file.
func (o *Out) bounded(what string, write func() error) error {
	done := make(chan error, 1)
	go func() { done <- write() }()
	t := time.NewTimer(o.stall)
	defer t.Stop()
	select {
	case err := <-done:
		return err
	case <-t.C:
		return fmt.Errorf("writing %s did not finish within %s (is it a FIFO nobody reads, or a stalled network disk?): given up", what, o.stall)
	}
}
