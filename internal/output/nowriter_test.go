package output_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// The rule this file enforces, over every non-test Go file of the packages
// the binary links from this module (main and its imports; bench/ tools
// are separate programs). Outside main.go and internal/output:
//
//  1. No process stream: os.Stdout, os.Stderr, os.NewFile, syscall (and
//     x/sys/unix) Stdout, Stderr and Write, nor a string naming
//     /dev/stdout, /dev/stderr, /dev/tty, /dev/fd/ or /proc/self/fd.
//  2. No printer that writes to them by itself: fmt.Print, Printf, Println,
//     the print and println builtins, anything from package log, and
//     log/slog's package-level loggers.
//  3. Nothing of go-githubactions that writes (commands on os.Stdout, the
//     runner files): only New, WithGetenv, WithHTTPClient and the Action
//     methods GetInput, Getenv, Context and GetIDToken, which read. No string
//     naming GITHUB_STEP_SUMMARY, GITHUB_ENV, GITHUB_PATH or GITHUB_STATE
//     (GITHUB_OUTPUT is read for mode detection).
//  4. The streams' one path: where main.go passes os.Stdout or os.Stderr to
//     a function of the module (cli.Main), that parameter may only be used
//     as a field of a composite literal of an internal/output type or as an
//     argument to an internal/output function, i.e. handed straight to
//     output.New(output.Options{Stdout: stdout, …}). Nothing else may hold
//     it, so no fmt.Fprint(stderr, …) can exist anywhere.
//
// Rules 1 and 4 leave no way to reach the streams except through an *Out;
// 2 and 3 close the libraries that reach them on their own. internal/emulator
// needs no exemption: it logs through a Logf function the CLI hands in.

func TestNoOtherWriter(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("type-checks the module (go list -export)")
	}
	root, err := moduleRoot()
	if err != nil {
		t.Fatal(err)
	}
	findings, err := checkWriters(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range findings {
		t.Errorf("%s", f)
	}
}

// TestNoOtherWriterCatches plants each kind of violation in a small module
// shaped like ours and checks that the rule names it.
func TestNoOtherWriterCatches(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds small modules")
	}
	tests := []struct {
		name  string
		files map[string]string
		want  string // "" when the module is clean
	}{
		{"the clean module passes", nil, ""},
		{"fmt.Println", badGo(`import "fmt"`, `fmt.Println("hi")`), "fmt.Println"},
		{"fmt.Printf held in a variable", badGo(`import "fmt"`, `p := fmt.Printf; p("x")`), "fmt.Printf"},
		{"fmt dot-imported", badGo(`import . "fmt"`, `Println("x")`), "fmt.Println"},
		{"os.Stderr", badGo(`import ("fmt"; "os")`, `fmt.Fprintln(os.Stderr, "x")`), "os.Stderr"},
		{"os renamed", badGo(`import xos "os"`, `xos.Stdout.WriteString("x")`), "os.Stdout"},
		{"os.NewFile on fd 2", badGo(`import "os"`, `os.NewFile(2, "e").WriteString("x")`), "os.NewFile"},
		{"/dev/stderr", badGo(`import "os"`, `os.WriteFile("/dev/stderr", nil, 0)`), "/dev/stderr"},
		{"syscall.Write", badGo(`import "syscall"`, `syscall.Write(1, []byte("x"))`), "syscall.Write"},
		{"println builtin", badGo(``, `println("x")`), "println"},
		{"log.Printf", badGo(`import "log"`, `log.Printf("x")`), "log.Printf"},
		{"a log.Logger", badGo(`import ("io"; "log")`, `log.New(io.Discard, "", 0).Print("x")`), "log.New"},
		{"slog.Info", badGo(`import "log/slog"`, `slog.Info("x")`), "slog.Info"},
		{"githubactions writing", badGo(`import gha "github.com/sethvargo/go-githubactions"`, `gha.New().Errorf("x")`), "githubactions Errorf"},
		{"githubactions package-level", badGo(`import gha "github.com/sethvargo/go-githubactions"`, `gha.SetOutput("a", "b")`), "githubactions SetOutput"},
		{"the summary file", badGo(`import "os"`, `os.WriteFile(os.Getenv("GITHUB_STEP_SUMMARY"), nil, 0o644)`), "GITHUB_STEP_SUMMARY"},
		{"cli keeps stderr", map[string]string{"internal/cli/cli.go": cliGo(
			`type program struct{ stderr io.Writer }`,
			`p := &program{stderr: stderr}; _ = p; out := output.New(output.Options{Stdout: stdout})`)},
			"stderr (os.Stderr from main.go)"},
		{"cli prints to stdout itself", map[string]string{"internal/cli/cli.go": cliGo(``,
			`fmt.Fprintln(stdout, "x"); out := output.New(output.Options{Stdout: stdout, Stderr: stderr})`)},
			"stdout (os.Stdout from main.go)"},
		{"cli passes stderr to another package", map[string]string{"internal/cli/cli.go": cliGo(``,
			`bad.Keep(stderr); out := output.New(output.Options{Stdout: stdout, Stderr: stderr})`)},
			"stderr (os.Stderr from main.go)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			root := plantModule(t, tt.files)
			findings, err := checkWriters(root)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == "" {
				if len(findings) > 0 {
					t.Errorf("a clean module has findings:\n%s", strings.Join(findings, "\n"))
				}
				return
			}
			for _, f := range findings {
				if strings.Contains(f, tt.want) {
					return
				}
			}
			t.Errorf("no finding names %q; got:\n%s", tt.want, strings.Join(findings, "\n"))
		})
	}
}

// badGo is internal/bad/bad.go doing body in Run.
func badGo(imports, body string) map[string]string {
	return map[string]string{"internal/bad/bad.go": "package bad\n\n" + imports + "\n\n" +
		"import \"example.com/planted/internal/output\"\n\nfunc Keep(any) {}\n\nfunc Run(out *output.Out) {\n\t" + body + "\n\tout.Line(\"ok\")\n}\n"}
}

func cliGo(decls, body string) string {
	return `package cli

import (
	"fmt"
	"io"

	gha "github.com/sethvargo/go-githubactions"

	"example.com/planted/internal/bad"
	"example.com/planted/internal/output"
)

var _ = fmt.Sprint

` + decls + `

func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	` + body + `
	out.Line(gha.New(gha.WithGetenv(getenv)).GetInput("x"))
	bad.Run(out)
	return 0
}
`
}

// plantModule writes a module shaped like ours (main.go, internal/cli,
// internal/output, a package to misbehave in, and a stand-in for
// go-githubactions), with files replacing the clean defaults.
func plantModule(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	all := map[string]string{
		"go.mod": "module example.com/planted\n\ngo 1.26\n\nrequire github.com/sethvargo/go-githubactions v1.3.2\n\n" +
			"replace github.com/sethvargo/go-githubactions => ./fakegha\n",
		"main.go": `package main

import (
	"os"

	"example.com/planted/internal/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr)) }
`,
		"internal/output/output.go": `package output

import (
	"fmt"
	"io"
	"os"
)

type Options struct{ Stdout, Stderr io.Writer }

type Out struct{ o Options }

func New(o Options) *Out { return &Out{o} }

// The output package may do anything.
func (o *Out) Line(s string) { fmt.Fprintln(o.o.Stderr, s); fmt.Println(s); _ = os.Stdout }
`,
		"internal/cli/cli.go": cliGo("", `out := output.New(output.Options{Stdout: stdout, Stderr: stderr})`),
		"internal/bad/bad.go": badGo(`import "strings"`, `var b strings.Builder; b.WriteString("x"); Keep(b.String())`)["internal/bad/bad.go"],
		"fakegha/go.mod":      "module github.com/sethvargo/go-githubactions\n\ngo 1.26\n",
		"fakegha/actions.go": `package githubactions

import (
	"fmt"
	"io"
	"os"
)

type Option func(*Action)

type Action struct {
	w      io.Writer
	getenv func(string) string
}

func New(opts ...Option) *Action {
	a := &Action{w: os.Stdout, getenv: os.Getenv}
	for _, o := range opts {
		o(a)
	}
	return a
}

func WithGetenv(f func(string) string) Option { return func(a *Action) { a.getenv = f } }

func (a *Action) GetInput(name string) string { return a.getenv("INPUT_" + name) }

func (a *Action) Errorf(format string, args ...any) { fmt.Fprintf(a.w, "::error::"+format+"\n", args...) }

func SetOutput(k, v string) { New().Errorf("%s=%s", k, v) }
`,
	}
	for k, v := range files {
		all[k] = v
	}
	for name, text := range all {
		path := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test's directory")
		}
		dir = parent
	}
}

// listed is what go list says of one package.
type listed struct {
	ImportPath, Dir, Export string
	GoFiles                 []string
	Module                  *struct{ Path string }
}

// checkWriters applies the rule to the module at root and returns one line
// per violation, "file:line: what (and the fix)".
func checkWriters(root string) ([]string, error) {
	cmd := exec.Command("go", "list", "-deps", "-export", "-e", "-json=ImportPath,Dir,Export,GoFiles,Module", ".")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	data, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list in %s: %v\n%s", root, err, stderr.String())
	}
	var pkgs []listed
	for dec := json.NewDecoder(bytes.NewReader(data)); ; {
		var p listed
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("reading go list: %w", err)
		}
		pkgs = append(pkgs, p)
	}
	modPath, err := modulePath(root)
	if err != nil {
		return nil, err
	}
	c := &checker{root: root, modPath: modPath, fset: token.NewFileSet(),
		mod: map[string]*types.Package{}, decls: map[token.Pos]*ast.FuncDecl{}}
	exports := map[string]string{}
	for _, p := range pkgs {
		if p.Export != "" {
			exports[p.ImportPath] = p.Export
		}
	}
	gc := importer.ForCompiler(c.fset, "gc", func(path string) (io.ReadCloser, error) {
		if f := exports[path]; f != "" {
			return os.Open(f)
		}
		return nil, fmt.Errorf("no export data for %q (it does not build)", path)
	})
	imp := importerFunc(func(path string) (*types.Package, error) {
		if p, ok := c.mod[path]; ok {
			return p, nil
		}
		return gc.Import(path)
	})
	// go list -deps lists dependencies first, so each module package is
	// checked after the module packages it imports. A package that does
	// not type-check (another change in progress) is still checked as far
	// as its types resolve.
	for _, p := range pkgs {
		if p.Module == nil || p.Module.Path != modPath || p.Dir == "" {
			continue
		}
		var files []*ast.File
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(c.fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
			if err != nil {
				return nil, err
			}
			files = append(files, f)
		}
		info := &types.Info{Uses: map[*ast.Ident]types.Object{}, Defs: map[*ast.Ident]types.Object{}, Types: map[ast.Expr]types.TypeAndValue{}}
		conf := types.Config{Importer: imp, Error: func(error) {}}
		tp, _ := conf.Check(p.ImportPath, c.fset, files, info)
		c.mod[p.ImportPath] = tp
		for _, f := range files {
			c.files = append(c.files, checkedFile{pkg: p.ImportPath, file: f, info: info})
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok {
					c.decls[fd.Name.Pos()] = fd
				}
			}
		}
	}
	for _, f := range c.files {
		c.checkFile(f)
	}
	sort.Strings(c.findings)
	return c.findings, nil
}

type importerFunc func(path string) (*types.Package, error)

func (f importerFunc) Import(path string) (*types.Package, error) { return f(path) }

func modulePath(root string) (string, error) {
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		return "", err
	}
	defer f.Close()
	for s := bufio.NewScanner(f); s.Scan(); {
		if rest, ok := strings.CutPrefix(strings.TrimSpace(s.Text()), "module "); ok {
			return strings.Trim(strings.TrimSpace(rest), `"`), nil
		}
	}
	return "", fmt.Errorf("no module line in %s/go.mod", root)
}

type checkedFile struct {
	pkg  string
	file *ast.File
	info *types.Info
}

type checker struct {
	root, modPath string
	fset          *token.FileSet
	mod           map[string]*types.Package
	files         []checkedFile
	decls         map[token.Pos]*ast.FuncDecl // by the position of the name
	findings      []string
}

func (c *checker) report(pos token.Pos, format string, args ...any) {
	p := c.fset.Position(pos)
	rel, err := filepath.Rel(c.root, p.Filename)
	if err != nil {
		rel = p.Filename
	}
	c.findings = append(c.findings, fmt.Sprintf("%s:%d: %s", filepath.ToSlash(rel), p.Line, fmt.Sprintf(format, args...)))
}

func (c *checker) isOutput(pkg string) bool {
	out := c.modPath + "/internal/output"
	return pkg == out || strings.HasPrefix(pkg, out+"/")
}

func (c *checker) isMain(f checkedFile) bool {
	return f.pkg == c.modPath && filepath.Base(c.fset.Position(f.file.Package).Filename) == "main.go"
}

const ghaPath = "github.com/sethvargo/go-githubactions"

// readOnlyGHA is what of go-githubactions only reads.
var readOnlyGHA = map[string]bool{
	"New": true, "WithGetenv": true, "WithHTTPClient": true, "Option": true, "Action": true, "GetenvFunc": true,
	"GitHubContext": true, "EnvMissingError": true, "RequestFailedError": true,
	"GetInput": true, "Getenv": true, "Context": true, "GetIDToken": true, "Repo": true,
}

var slogLoggers = map[string]bool{
	"Debug": true, "Info": true, "Warn": true, "Error": true, "Log": true, "LogAttrs": true,
	"DebugContext": true, "InfoContext": true, "WarnContext": true, "ErrorContext": true,
	"Default": true, "SetDefault": true, "NewLogLogger": true,
}

// denied says why a reference to pkg.name breaks the rule, or "".
func denied(pkg, name string, field bool) string {
	switch {
	case pkg == "os" && (name == "Stdout" || name == "Stderr" || name == "NewFile"),
		(pkg == "syscall" || pkg == "golang.org/x/sys/unix") && (name == "Stdout" || name == "Stderr" || name == "Write"):
		return fmt.Sprintf("%s.%s reaches a process stream: write through output.Out", filepath.Base(pkg), name)
	case pkg == "fmt" && (name == "Print" || name == "Printf" || name == "Println"):
		return "fmt." + name + " writes to stdout: use output.Out (Line, Print)"
	case pkg == "log":
		return "log." + name + " writes to stderr: use output.Out.Line"
	case pkg == "log/slog" && slogLoggers[name]:
		return "slog." + name + " writes to stderr: use output.Out.Line"
	case pkg == ghaPath && !field && !readOnlyGHA[name]:
		return "githubactions " + name + " writes workflow commands or runner files: only internal/output may"
	}
	return ""
}

// streamLiterals are strings that open a process stream or a runner file.
var streamLiterals = []string{"/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/fd/", "/proc/self/fd",
	"GITHUB_STEP_SUMMARY", "GITHUB_ENV", "GITHUB_PATH", "GITHUB_STATE"}

func (c *checker) checkFile(f checkedFile) {
	if c.isOutput(f.pkg) {
		return
	}
	if c.isMain(f) {
		c.followStreams(f)
		return
	}
	imports := map[string]string{} // local name -> path, for what types could not resolve
	for _, is := range f.file.Imports {
		path, _ := strconv.Unquote(is.Path.Value)
		name := filepath.Base(path)
		if is.Name != nil {
			name = is.Name.Name
		}
		imports[name] = path
	}
	ast.Inspect(f.file, func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Ident:
			obj := f.info.Uses[n]
			switch o := obj.(type) {
			case *types.Builtin:
				if o.Name() == "print" || o.Name() == "println" {
					c.report(n.Pos(), "the %s builtin writes to stderr: use output.Out.Line", o.Name())
				}
			case nil, *types.PkgName:
			default:
				if o.Pkg() != nil {
					v, isVar := o.(*types.Var)
					if why := denied(o.Pkg().Path(), o.Name(), isVar && v.IsField()); why != "" {
						c.report(n.Pos(), "%s", why)
					}
				}
			}
		case *ast.SelectorExpr:
			// Types did not resolve it (a package that does not build yet):
			// judge by the import's path.
			if x, ok := n.X.(*ast.Ident); ok && f.info.Uses[n.Sel] == nil {
				if path, ok := imports[x.Name]; ok {
					if why := denied(path, n.Sel.Name, false); why != "" {
						c.report(n.Pos(), "%s", why)
					}
				}
			}
		case *ast.BasicLit:
			if n.Kind == token.STRING {
				for _, s := range streamLiterals {
					if strings.Contains(n.Value, s) {
						c.report(n.Pos(), "%q names a process stream or runner file: only internal/output writes there", s)
					}
				}
			}
		}
		return true
	})
}

// followStreams finds main.go's calls that pass os.Stdout or os.Stderr to
// a function of the module, and checks that the function hands the
// parameter straight to internal/output.
func (c *checker) followStreams(f checkedFile) {
	ast.Inspect(f.file, func(n ast.Node) bool {
		call, ok := n.(*ast.CallExpr)
		if !ok {
			return true
		}
		for i, arg := range call.Args {
			stream := streamArg(f.info, arg)
			if stream == "" {
				continue
			}
			fn := calleeFunc(f.info, call.Fun)
			if fn == nil || fn.Pkg() == nil || c.isOutput(fn.Pkg().Path()) {
				continue // not ours (main.go may use the streams itself), or output
			}
			if fn.Pkg().Path() != c.modPath && !strings.HasPrefix(fn.Pkg().Path(), c.modPath+"/") {
				continue
			}
			decl := c.decls[fn.Pos()]
			if decl == nil || decl.Body == nil {
				c.report(call.Pos(), "%s is passed to %s, whose body cannot be checked: hand it to output.New instead", stream, fn.Name())
				continue
			}
			c.checkParam(decl, i, stream)
		}
		return true
	})
}

func streamArg(info *types.Info, e ast.Expr) string {
	sel, ok := e.(*ast.SelectorExpr)
	if !ok {
		return ""
	}
	if obj := info.Uses[sel.Sel]; obj != nil && obj.Pkg() != nil && obj.Pkg().Path() == "os" && (obj.Name() == "Stdout" || obj.Name() == "Stderr") {
		return "os." + obj.Name()
	}
	return ""
}

func calleeFunc(info *types.Info, fun ast.Expr) *types.Func {
	var id *ast.Ident
	switch f := fun.(type) {
	case *ast.Ident:
		id = f
	case *ast.SelectorExpr:
		id = f.Sel
	}
	if id == nil {
		return nil
	}
	fn, _ := info.Uses[id].(*types.Func)
	return fn
}

// checkParam checks every use of the index-th parameter of decl.
func (c *checker) checkParam(decl *ast.FuncDecl, index int, stream string) {
	var f checkedFile
	for _, cf := range c.files {
		if cf.file.Pos() <= decl.Pos() && decl.End() <= cf.file.End() {
			f = cf
		}
	}
	var param *ast.Ident
	i := 0
	for _, field := range decl.Type.Params.List {
		for _, name := range field.Names {
			if i == index {
				param = name
			}
			i++
		}
	}
	if param == nil || f.info == nil {
		c.report(decl.Pos(), "%s is passed to %s but cannot be followed: hand it to output.New", stream, decl.Name.Name)
		return
	}
	obj := f.info.Defs[param]
	var stack []ast.Node
	ast.Inspect(decl.Body, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return false
		}
		stack = append(stack, n)
		id, ok := n.(*ast.Ident)
		if !ok || id.Name != param.Name || (obj != nil && f.info.Uses[id] != obj) {
			return true
		}
		if !c.handedToOutput(f.info, stack) {
			c.report(id.Pos(), "%s (%s from main.go) is used outside internal/output: hand it straight to output.New(output.Options{...}); nothing else may hold a process stream",
				param.Name, stream)
		}
		return true
	})
}

// handedToOutput reports whether the identifier on top of stack is a field
// of a composite literal of an output type, or an argument to an output
// function.
func (c *checker) handedToOutput(info *types.Info, stack []ast.Node) bool {
	if len(stack) < 2 {
		return false
	}
	id := stack[len(stack)-1]
	parent := stack[len(stack)-2]
	if kv, ok := parent.(*ast.KeyValueExpr); ok && kv.Value == id && len(stack) >= 3 {
		parent = stack[len(stack)-3]
	}
	switch p := parent.(type) {
	case *ast.CompositeLit:
		t := info.Types[p].Type
		if ptr, ok := t.(*types.Pointer); ok {
			t = ptr.Elem()
		}
		if named, ok := t.(*types.Named); ok && named.Obj().Pkg() != nil {
			return c.isOutput(named.Obj().Pkg().Path())
		}
		// Types did not resolve: judge by the literal's written type.
		if sel, ok := p.Type.(*ast.SelectorExpr); ok {
			if x, ok := sel.X.(*ast.Ident); ok {
				if pn, ok := info.Uses[x].(*types.PkgName); ok {
					return c.isOutput(pn.Imported().Path())
				}
			}
		}
	case *ast.CallExpr:
		for _, a := range p.Args {
			if a == id {
				fn := calleeFunc(info, p.Fun)
				return fn != nil && fn.Pkg() != nil && c.isOutput(fn.Pkg().Path())
			}
		}
	}
	return false
}
