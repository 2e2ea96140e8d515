package release

import (
	"archive/tar"
	"archive/zip"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/testkit"
)

// root is the repository root, seen from this package.
const root = "../.."

// The platforms the release builds, as goreleaser names them, and as the
// runner names them in RUNNER_OS / RUNNER_ARCH.
var (
	goosOf   = map[string]string{"Linux": "linux", "macOS": "darwin", "Windows": "windows"}
	goarchOf = map[string]string{"X64": "amd64", "ARM64": "arm64"}
)

// ---- .goreleaser.yaml ----

type goreleaser struct {
	raw           map[string]any
	archive       string            // archives[0].name_template
	format        string            // archives[0].formats[0]
	formatByOS    map[string]string // format_overrides
	checksums     string            // checksum.name_template
	image         string            // dockers_v2[0].images[0]
	tags          []string          // dockers_v2[0].tags
	goos, goarch  []string
	ldflags, envs []string
	flags         []string
	platforms     []string
}

func loadGoreleaser(t *testing.T) *goreleaser {
	t.Helper()
	src, err := os.ReadFile(filepath.Join(root, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	m, err := testkit.ReadYAML(src)
	if err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	g := &goreleaser{raw: m, formatByOS: map[string]string{}}
	build := first(t, m, "builds")
	g.goos, g.goarch = strs(build["goos"]), strs(build["goarch"])
	g.ldflags, g.envs, g.flags = strs(build["ldflags"]), strs(build["env"]), strs(build["flags"])
	arch := first(t, m, "archives")
	g.archive, _ = arch["name_template"].(string)
	if f := strs(arch["formats"]); len(f) == 1 {
		g.format = f[0]
	}
	for _, o := range list(arch["format_overrides"]) {
		om := o.(map[string]any)
		if f := strs(om["formats"]); len(f) == 1 {
			g.formatByOS[om["goos"].(string)] = f[0]
		}
	}
	if c, ok := m["checksum"].(map[string]any); ok {
		g.checksums, _ = c["name_template"].(string)
	}
	img := first(t, m, "dockers_v2")
	if imgs := strs(img["images"]); len(imgs) == 1 {
		g.image = imgs[0]
	}
	g.tags, g.platforms = strs(img["tags"]), strs(img["platforms"])
	return g
}

func first(t *testing.T, m map[string]any, key string) map[string]any {
	t.Helper()
	l := list(m[key])
	if len(l) != 1 {
		t.Fatalf(".goreleaser.yaml: want exactly one entry under %s, have %d", key, len(l))
	}
	return l[0].(map[string]any)
}

func list(v any) []any { l, _ := v.([]any); return l }

func strs(v any) []string {
	var out []string
	for _, x := range list(v) {
		if s, ok := x.(string); ok {
			out = append(out, s)
		}
	}
	return out
}

var tmplField = regexp.MustCompile(`\{\{-?\s*([^{}]*?)\s*-?\}\}`)

// render fills a goreleaser name template with fields (Version, Os, Arch,
// ProjectName); anything else in braces fails the test, so a template that
// gains logic is noticed here rather than guessed at.
func render(t *testing.T, tmpl string, fields map[string]string) string {
	t.Helper()
	return tmplField.ReplaceAllStringFunc(tmpl, func(m string) string {
		expr := tmplField.FindStringSubmatch(m)[1]
		v, ok := fields[strings.TrimPrefix(expr, ".")]
		if !strings.HasPrefix(expr, ".") || !ok {
			t.Fatalf("template %q: cannot render %s here (only %v)", tmpl, m, keys(fields))
		}
		return v
	})
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// archiveName is the release archive for one platform, extension included.
func (g *goreleaser) archiveName(t *testing.T, version, goos, goarch string) string {
	t.Helper()
	format := g.format
	if f, ok := g.formatByOS[goos]; ok {
		format = f
	}
	return render(t, g.archive, map[string]string{"Version": version, "Os": goos, "Arch": goarch, "ProjectName": "wxcloud-deploy"}) + "." + format
}

func (g *goreleaser) checksumsName(t *testing.T, version string) string {
	t.Helper()
	return render(t, g.checksums, map[string]string{"Version": version, "ProjectName": "wxcloud-deploy"})
}

// ---- a fake release and a fake GitHub ----

// release is every file that goreleaser would attach to version's release:
// an archive per platform whose "binary" is a shell script (so it runs here
// whatever the platform it pretends to be), and the checksums file.
type release struct {
	version string
	files   map[string][]byte
	sums    string // name of the checksums file
}

func newRelease(t *testing.T, g *goreleaser, version string) *release {
	t.Helper()
	r := &release{version: version, files: map[string][]byte{}, sums: g.checksumsName(t, version)}
	var lines []string
	for _, runnerOS := range []string{"Linux", "macOS", "Windows"} {
		for _, runnerArch := range []string{"X64", "ARM64"} {
			goos, goarch := goosOf[runnerOS], goarchOf[runnerArch]
			name := g.archiveName(t, version, goos, goarch)
			bin := "wxcloud-deploy"
			if goos == "windows" {
				bin += ".exe"
			}
			script := fmt.Sprintf("#!/bin/sh\necho \"wxcloud-deploy %s %s/%s\"\n", version, goos, goarch)
			entries := []entry{{"LICENSE", "Apache-2.0\n", 0o644}, {bin, script, 0o755}}
			var data []byte
			switch {
			case strings.HasSuffix(name, ".zip"):
				data = zipOf(t, entries)
			case strings.HasSuffix(name, ".tar.gz"):
				data = tarGzOf(t, entries)
			default:
				t.Fatalf("archive %q: neither .tar.gz nor .zip", name)
			}
			r.files[name] = data
			lines = append(lines, sha256Hex(data)+"  "+name)
		}
	}
	sort.Strings(lines)
	r.files[r.sums] = []byte(strings.Join(lines, "\n") + "\n")
	return r
}

type entry struct {
	name, body string
	mode       os.FileMode
}

func tarGzOf(t *testing.T, entries []entry) []byte {
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, e := range entries {
		if err := tw.WriteHeader(&tar.Header{Name: e.name, Mode: int64(e.mode), Size: int64(len(e.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zipOf(t *testing.T, entries []entry) []byte {
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, e := range entries {
		h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
		h.SetMode(e.mode)
		w, err := zw.CreateHeader(h)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// fakeGitHub serves release assets under /<owner>/<repo>/releases/download/
// (GITHUB_SERVER_URL) and the releases and tags lists under /repos/
// (GITHUB_API_URL), and counts what it was asked for.
type fakeGitHub struct {
	*httptest.Server
	repo string

	mu        sync.Mutex
	releases  map[string]*release // by tag, v1.2.3
	listed    []string            // tags the releases API lists, newest first
	tags      map[string]string   // tag name -> commit SHA, for the tags API
	apiStatus int                 // when not 0, the APIs answer with it
	downloads []string            // asset paths requested, 404s included
	apiAuth   []string            // Authorization headers sent to the APIs
	dlAuth    []string            // ... and with the downloads (must be empty)
}

const repo = "wxcloud-deploy/wxcloud-deploy"

func newFakeGitHub(t *testing.T, releases ...*release) *fakeGitHub {
	f := &fakeGitHub{repo: repo, releases: map[string]*release{}, tags: map[string]string{}}
	for _, r := range releases {
		f.releases["v"+r.version] = r
		f.listed = append(f.listed, "v"+r.version)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /"+repo+"/releases/download/{tag}/{name}", func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		f.downloads = append(f.downloads, r.URL.Path)
		if a := r.Header.Get("Authorization"); a != "" {
			f.dlAuth = append(f.dlAuth, a)
		}
		rel := f.releases[r.PathValue("tag")]
		f.mu.Unlock()
		if rel == nil || rel.files[r.PathValue("name")] == nil {
			http.NotFound(w, r)
			return
		}
		_, _ = w.Write(rel.files[r.PathValue("name")])
	})
	api := func(body func() string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			f.mu.Lock()
			f.apiAuth = append(f.apiAuth, r.Header.Get("Authorization"))
			status := f.apiStatus
			f.mu.Unlock()
			if status != 0 {
				http.Error(w, `{"message":"API rate limit exceeded"}`, status)
				return
			}
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(body()))
		}
	}
	// Shaped like GitHub's answers, with the nested objects that a careless
	// parser would trip over.
	mux.HandleFunc("GET /repos/"+repo+"/releases", api(func() string {
		f.mu.Lock()
		defer f.mu.Unlock()
		var items []string
		for i, tag := range f.listed {
			items = append(items, fmt.Sprintf(`{"id": %d, "tag_name": %q, "name": "Release %s", "draft": false,
  "prerelease": %t, "author": {"login": "bot", "name": "not_a_tag"}, "assets": [{"name": "wxcloud-deploy_x_checksums.txt"}]}`,
				i+1, tag, tag, strings.Contains(tag, "-")))
		}
		return "[\n" + strings.Join(items, ",\n") + "\n]"
	}))
	mux.HandleFunc("GET /repos/"+repo+"/tags", api(func() string {
		f.mu.Lock()
		defer f.mu.Unlock()
		var names []string
		for n := range f.tags {
			names = append(names, n)
		}
		sort.Strings(names)
		var items []string
		for _, n := range names {
			items = append(items, fmt.Sprintf(`{"name":%q,"zipball_url":"https://x/%s","commit":{"sha":%q,"url":"https://x"},"node_id":"x"}`,
				n, n, f.tags[n]))
		}
		return "[" + strings.Join(items, ",") + "]"
	}))
	f.Server = httptest.NewServer(mux)
	t.Cleanup(f.Close)
	return f
}

func (f *fakeGitHub) downloaded() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.downloads...)
}

// set changes what the server answers; the lock orders it before the
// handlers' reads (the requests come from another process, which the race
// detector cannot see through).
func (f *fakeGitHub) set(change func(*fakeGitHub)) {
	f.mu.Lock()
	defer f.mu.Unlock()
	change(f)
}

// auth returns the Authorization headers the APIs and the downloads got.
func (f *fakeGitHub) auth() (api, downloads []string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.apiAuth...), append([]string(nil), f.dlAuth...)
}

// ---- running install.sh ----

// installTools are what install.sh may use. Each test runs it with a PATH of
// only these (less any a test leaves out), so a new dependency shows up
// here, not on a runner that lacks it.
var installTools = []string{
	"bash", "curl", "wget", "tar", "gzip", "unzip", "awk", "grep", "sed", "tr", "cut",
	"mkdir", "mktemp", "rm", "mv", "chmod", "dirname", "uname", "sha256sum", "shasum", "go",
}

// required are the tools every test needs from the host, besides one of
// sha256sum (Linux, Git Bash) and shasum (macOS).
var required = []string{"bash", "curl", "tar", "gzip", "unzip", "awk", "grep", "sed", "tr", "cut",
	"mkdir", "mktemp", "rm", "mv", "chmod", "dirname"}

type harness struct {
	t      *testing.T
	script string // install.sh to run
	bin    string // the sandbox PATH
	cache  string // RUNNER_TOOL_CACHE
	temp   string // RUNNER_TEMP
	home   string
	env    []string
}

type result struct {
	code int
	out  string   // stdout and stderr
	path []string // lines appended to GITHUB_PATH
}

// newHarness prepares a runner-like environment: empty tool cache, temp and
// home folders, the sandbox PATH, and GITHUB_SERVER_URL / GITHUB_API_URL
// pointing at gh. omit leaves tools out of PATH.
func newHarness(t *testing.T, gh *fakeGitHub, omit ...string) *harness {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("install.sh is tested on Linux and macOS; Windows runs it in CI through the action")
	}
	for _, tool := range required {
		if _, err := exec.LookPath(tool); err != nil && !contains(omit, tool) {
			t.Skipf("%s is not installed", tool)
		}
	}
	_, errSum := exec.LookPath("sha256sum")
	_, errShasum := exec.LookPath("shasum")
	if errSum != nil && errShasum != nil {
		t.Skip("neither sha256sum nor shasum is installed")
	}
	dir := t.TempDir()
	h := &harness{t: t, script: filepath.Join(root, ".github", "install.sh"),
		bin: filepath.Join(dir, "bin"), cache: filepath.Join(dir, "toolcache"),
		temp: filepath.Join(dir, "temp"), home: filepath.Join(dir, "home")}
	for _, d := range []string{h.bin, h.cache, h.temp, h.home} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, tool := range installTools {
		if contains(omit, tool) {
			continue
		}
		if p, err := exec.LookPath(tool); err == nil {
			if err := os.Symlink(p, filepath.Join(h.bin, tool)); err != nil {
				t.Fatal(err)
			}
		}
	}
	h.env = []string{"PATH=" + h.bin, "HOME=" + h.home, "LC_ALL=C",
		"RUNNER_TOOL_CACHE=" + h.cache, "RUNNER_TEMP=" + h.temp,
		"WXCLOUD_ACTION_REPOSITORY=" + repo}
	if gh != nil {
		h.env = append(h.env, "GITHUB_SERVER_URL="+gh.URL, "GITHUB_API_URL="+gh.URL)
	}
	return h
}

// run runs install.sh once, as a step does: a fresh GITHUB_PATH file, the
// harness's environment plus env (later entries win).
func (h *harness) run(env ...string) result {
	h.t.Helper()
	gp, err := os.CreateTemp(h.temp, "add_path_")
	if err != nil {
		h.t.Fatal(err)
	}
	gp.Close()
	bash, err := exec.LookPath("bash")
	if err != nil {
		h.t.Fatal(err)
	}
	cmd := exec.Command(bash, h.script)
	cmd.Env = append(append(append([]string(nil), h.env...), "GITHUB_PATH="+gp.Name()), env...)
	out, err := cmd.CombinedOutput()
	res := result{out: string(out)}
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			h.t.Fatalf("running install.sh: %v", err)
		}
		res.code = ee.ExitCode()
	}
	added, err := os.ReadFile(gp.Name())
	if err != nil {
		h.t.Fatal(err)
	}
	for _, l := range strings.Split(string(added), "\n") {
		if l != "" {
			res.path = append(res.path, l)
		}
	}
	return res
}

// runBinary runs the wxcloud-deploy the install put on GITHUB_PATH.
func (h *harness) runBinary(res result, name string, args ...string) string {
	h.t.Helper()
	if len(res.path) != 1 {
		h.t.Fatalf("GITHUB_PATH got %q, want one folder", res.path)
	}
	cmd := exec.Command(filepath.Join(res.path[0], name), args...)
	cmd.Env = h.env
	out, err := cmd.CombinedOutput()
	if err != nil {
		h.t.Fatalf("running the installed %s: %v\n%s", name, err, out)
	}
	return strings.TrimSpace(string(out))
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cacheEntries lists what the tool cache holds under wxcloud-deploy.
func (h *harness) cacheEntries() []string {
	var out []string
	base := filepath.Join(h.cache, "wxcloud-deploy")
	_ = filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
		if err == nil && p != base {
			rel, _ := filepath.Rel(base, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}
