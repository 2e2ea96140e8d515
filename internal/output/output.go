package output

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sethvargo/go-githubactions"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/redact"
)

// DefaultStallTimeout is how long one write may block before Out stops
// waiting for it: long enough for a slow runner, short enough that a
// cancelled job still exits within its grace period.
const DefaultStallTimeout = 10 * time.Second

// Options is the world an Out writes to.
type Options struct {
	// Stdout and Stderr are the process streams (main hands in os.Stdout and
	// os.Stderr; tests hand in buffers). nil discards.
	Stdout, Stderr io.Writer
	// Getenv reads GITHUB_OUTPUT and GITHUB_STEP_SUMMARY. nil reads nothing.
	Getenv func(string) string
	// Action selects Actions mode: progress and workflow commands go to
	// stdout, which the runner reads. Otherwise progress and annotations go
	// to stderr and stdout carries only what a caller may pipe (--json).
	Action bool
	// Redactor is the program's one Redactor; Mask adds to it. nil makes a
	// new one.
	Redactor *redact.Redactor
	// Workspace is GITHUB_WORKSPACE: annotation files are made relative to
	// it and dropped when they do not exist there.
	Workspace string
	// Random makes heredoc delimiters; crypto/rand when nil.
	Random io.Reader
	// StallTimeout bounds each write to a stream or file;
	// DefaultStallTimeout when zero.
	StallTimeout time.Duration
}

// Out is the one writer of the program. It is safe for concurrent use.
type Out struct {
	getenv    func(string) string
	action    bool
	red       *redact.Redactor
	workspace string
	random    io.Reader
	stall     time.Duration

	stdout, stderr *stream

	mu     sync.Mutex
	masked map[string]bool
}

// New returns an Out writing to the world opts describes.
func New(opts Options) *Out {
	o := &Out{
		getenv:    opts.Getenv,
		action:    opts.Action,
		red:       opts.Redactor,
		workspace: opts.Workspace,
		random:    opts.Random,
		stall:     opts.StallTimeout,
		masked:    map[string]bool{},
	}
	if o.getenv == nil {
		o.getenv = func(string) string { return "" }
	}
	if o.red == nil {
		o.red = redact.New()
	}
	if o.random == nil {
		o.random = rand.Reader
	}
	if o.stall <= 0 {
		o.stall = DefaultStallTimeout
	}
	o.stdout = newStream("stdout", opts.Stdout, o.stall)
	o.stderr = newStream("stderr", opts.Stderr, o.stall)
	return o
}

// Redactor returns the Redactor Out redacts with, for the clients that must
// redact their own errors (and add the tokens they fetch).
func (o *Out) Redactor() *redact.Redactor { return o.red }

// Mask adds secrets to the Redactor and, in Actions, asks the runner to hide
// each of them in the log (::add-mask::) once, before anything could print
// it. Each line of a multi-line secret is masked on its own, as the runner
// matches line by line. Call it for every secret input before anything else,
// and for every token as soon as it is fetched.
func (o *Out) Mask(secrets ...string) {
	for _, s := range secrets {
		if strings.TrimSpace(s) == "" {
			continue
		}
		o.mu.Lock()
		seen := o.masked[s]
		o.masked[s] = true
		o.mu.Unlock()
		if seen {
			continue
		}
		o.red.Add(s)
		if !o.action {
			continue
		}
		var b strings.Builder
		for _, line := range strings.Split(s, "\n") {
			line = strings.TrimSuffix(line, "\r")
			if strings.TrimSpace(line) == "" {
				continue
			}
			// Written as it is: the runner must see the exact value.
			b.WriteString((&githubactions.Command{Name: "add-mask", Message: line}).String() + "\n")
		}
		o.stdout.write([]byte(b.String()))
	}
}

// progress is where progress lines and annotations go: the step log in
// Actions, stderr in a terminal (stdout stays clean for --json).
func (o *Out) progress() *stream {
	if o.action {
		return o.stdout
	}
	return o.stderr
}

// Line writes one progress line. Whatever the arguments hold, it stays one
// line: redacted, then newlines and controls shown as escapes, then cut to
// LineLimit.
func (o *Out) Line(format string, args ...any) {
	line := o.red.String(fmt.Sprintf(format, args...))
	o.progress().write([]byte(cut(neutralLine(line), LineLimit) + "\n"))
}

// Group starts a collapsible group in the Actions log (::group::) and
// returns the function that ends it; in a terminal it writes a header line
// and the end does nothing. Calling end twice ends the group once.
func (o *Out) Group(title string) (end func()) {
	title = cut(neutralLine(o.red.String(title)), 256)
	if !o.action {
		o.stderr.write([]byte("== " + title + " ==\n"))
		return func() {}
	}
	o.stdout.write([]byte((&githubactions.Command{Name: "group", Message: title}).String() + "\n"))
	var once sync.Once
	return func() {
		once.Do(func() { o.stdout.write([]byte("::endgroup::\n")) })
	}
}

// Print writes our own multi-line text (the CLI table, help, the version)
// to stdout; PrintErr to stderr. Outside strings inside it are made safe
// line by line.
func (o *Out) Print(text string) {
	if b := o.text(text); len(b) > 0 {
		o.stdout.write(b)
	}
}

// PrintErr is Print to stderr.
func (o *Out) PrintErr(text string) {
	if b := o.text(text); len(b) > 0 {
		o.stderr.write(b)
	}
}

// text redacts the whole text (a secret may span what would become two
// lines), then neutralises and cuts each line.
func (o *Out) text(s string) []byte {
	if s == "" {
		return nil
	}
	s = strings.TrimSuffix(o.red.String(s), "\n")
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		lines[i] = cut(neutralLine(l), LineLimit)
	}
	return []byte(strings.Join(lines, "\n") + "\n")
}

// Annotate shows a on the run page (::error::, ::warning::, ::notice::) in
// Actions, or as "error: …" lines on stderr in a terminal. An unknown level
// is an error, so it is not lost.
func (o *Out) Annotate(a Annotation) {
	level := a.Level
	switch level {
	case "error", "warning", "notice":
	default:
		level = "error"
	}
	title := cut(neutralLine(o.red.String(a.Title)), 256)
	file := o.annotationFile(a.File)
	// The message may have lines (the runner shows them); each is made
	// safe, and the command escaping turns the newlines into %0A.
	msg := cut(neutralLines(o.red.String(strings.TrimRight(a.Message, "\n"))), AnnotationLimit)

	if !o.action {
		o.stderr.write([]byte(plainAnnotation(level, title, file, a.Line, msg)))
		return
	}
	props := githubactions.CommandProperties{}
	if title != "" {
		props["title"] = title
	}
	if file != "" {
		props["file"] = file
		if a.Line > 0 {
			props["line"] = strconv.Itoa(a.Line)
		}
	}
	o.stdout.write([]byte((&githubactions.Command{Name: level, Message: msg, Properties: props}).String() + "\n"))
}

// plainAnnotation is the terminal form, like a compiler's:
// "path:3: error: title: message", further lines indented.
func plainAnnotation(level, title, file string, line int, msg string) string {
	var b strings.Builder
	if file != "" {
		b.WriteString(file)
		if line > 0 {
			b.WriteString(":" + strconv.Itoa(line))
		}
		b.WriteString(": ")
	}
	b.WriteString(level + ": ")
	if title != "" {
		b.WriteString(title + ": ")
	}
	for i, l := range strings.Split(msg, "\n") {
		if i > 0 {
			// Indenting cannot revive a command: defuse looks past spaces,
			// and l was defused already.
			b.WriteString("\n  ")
		}
		b.WriteString(l)
	}
	b.WriteString("\n")
	return b.String()
}

// annotationFile makes file relative to the workspace, or drops it: GitHub
// places annotations by workspace-relative path, and one on a file that is
// not in the checkout only confuses.
func (o *Out) annotationFile(file string) string {
	file = strings.TrimSpace(file)
	if file == "" {
		return ""
	}
	file = neutralLine(o.red.String(file))
	if o.workspace == "" {
		return filepath.ToSlash(filepath.Clean(file))
	}
	abs := file
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(o.workspace, file)
	}
	rel, err := filepath.Rel(o.workspace, abs)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return ""
	}
	if _, err := os.Stat(abs); err != nil {
		return ""
	}
	return filepath.ToSlash(rel)
}

// Flush waits until everything written so far has reached the streams, or
// ctx ends. Call it before the program returns, with a deadline: a stream
// nobody reads must not hold the exit.
func (o *Out) Flush(ctx context.Context) error {
	return errors.Join(o.stdout.flush(ctx), o.stderr.flush(ctx))
}
