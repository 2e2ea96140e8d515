package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestInstallEveryPlatform installs the release on each platform goreleaser
// builds, driven through RUNNER_OS / RUNNER_ARCH as on a runner, then runs
// install.sh again as a second job on the same runner would: the tool cache
// must answer without a single download.
func TestInstallEveryPlatform(t *testing.T) {
	t.Parallel()
	g := loadGoreleaser(t)
	rel := newRelease(t, g, "1.2.3")
	for _, runnerOS := range []string{"Linux", "macOS", "Windows"} {
		for _, runnerArch := range []string{"X64", "ARM64"} {
			t.Run(runnerOS+"/"+runnerArch, func(t *testing.T) {
				t.Parallel()
				gh := newFakeGitHub(t, rel)
				h := newHarness(t, gh)
				goos, goarch := goosOf[runnerOS], goarchOf[runnerArch]
				bin := "wxcloud-deploy"
				if goos == "windows" {
					bin += ".exe"
				}
				env := []string{"RUNNER_OS=" + runnerOS, "RUNNER_ARCH=" + runnerArch, "WXCLOUD_VERSION=v1.2.3", "GITHUB_ACTIONS=true"}

				cold := h.run(env...)
				if cold.code != 0 {
					t.Fatalf("first install: exit %d\n%s", cold.code, cold.out)
				}
				want := []string{
					"/" + repo + "/releases/download/v1.2.3/" + g.checksumsName(t, "1.2.3"),
					"/" + repo + "/releases/download/v1.2.3/" + g.archiveName(t, "1.2.3", goos, goarch),
				}
				if got := gh.downloaded(); strings.Join(got, " ") != strings.Join(want, " ") {
					t.Errorf("first install downloaded %q, want %q", got, want)
				}
				dir := filepath.Join(h.cache, "wxcloud-deploy", "1.2.3", goarch)
				if len(cold.path) != 1 || cold.path[0] != dir {
					t.Errorf("GITHUB_PATH got %q, want %q", cold.path, dir)
				}
				if _, err := os.Stat(dir + ".complete"); err != nil {
					t.Errorf("no completion marker: %v", err)
				}
				if got, want := h.runBinary(cold, bin, "version"), "wxcloud-deploy 1.2.3 "+goos+"/"+goarch; got != want {
					t.Errorf("the installed binary printed %q, want %q", got, want)
				}
				if !strings.Contains(cold.out, "1.2.3 ("+goos+"/"+goarch+") installed, SHA-256 verified") {
					t.Errorf("first install said:\n%s", cold.out)
				}

				warm := h.run(env...)
				if warm.code != 0 {
					t.Fatalf("second install: exit %d\n%s", warm.code, warm.out)
				}
				if n := len(gh.downloaded()) - len(want); n != 0 {
					t.Errorf("second install downloaded %d files, want 0 (tool cache)", n)
				}
				if len(warm.path) != 1 || warm.path[0] != dir {
					t.Errorf("second install: GITHUB_PATH got %q, want %q", warm.path, dir)
				}
				if !strings.Contains(warm.out, "from the tool cache") {
					t.Errorf("second install said:\n%s", warm.out)
				}
			})
		}
	}
}

// TestInstallRefusesUnverifiedDownloads: whatever is wrong with the
// checksums, the install fails, says why, and leaves nothing behind: no
// folder in the tool cache, nothing on PATH.
func TestInstallRefusesUnverifiedDownloads(t *testing.T) {
	t.Parallel()
	g := loadGoreleaser(t)
	name := g.archiveName(t, "1.2.3", "linux", "amd64")
	for _, tc := range []struct {
		name   string
		change func(r *release)
		omit   []string
		want   string
	}{
		{"checksum mismatch", func(r *release) {
			r.files[r.sums] = []byte(strings.Replace(string(r.files[r.sums]), sha256Hex(r.files[name]), sha256Hex([]byte("something else")), 1))
		}, nil, "checksum mismatch for " + name},
		{"tampered archive", func(r *release) {
			r.files[name] = append(append([]byte(nil), r.files[name]...), 0)
		}, nil, "checksum mismatch for " + name},
		{"no line for the archive", func(r *release) {
			var keep []string
			for _, l := range strings.Split(string(r.files[r.sums]), "\n") {
				if !strings.HasSuffix(l, name) {
					keep = append(keep, l)
				}
			}
			r.files[r.sums] = []byte(strings.Join(keep, "\n"))
		}, nil, g.checksumsName(t, "1.2.3") + " has no line for " + name},
		{"two lines for the archive", func(r *release) {
			r.files[r.sums] = append(r.files[r.sums], []byte(sha256Hex(nil)+"  "+name+"\n")...)
		}, nil, "no single well-formed SHA-256 for " + name},
		{"a line that is not a SHA-256", func(r *release) {
			r.files[r.sums] = []byte("abc  " + name + "\n")
		}, nil, "no single well-formed SHA-256"},
		{"empty checksums file", func(r *release) { r.files[r.sums] = []byte{} }, nil, "has no line for " + name},
		{"no checksums file", func(r *release) { delete(r.files, r.sums) }, nil, "is v1.2.3 a published release?"},
		{"no archive for the platform", func(r *release) { delete(r.files, name) }, nil, "is v1.2.3 released for linux/amd64?"},
		{"no tool to verify with", func(*release) {}, []string{"sha256sum", "shasum"}, "neither sha256sum nor shasum is installed"},
		{"no tool to download with", func(*release) {}, []string{"curl", "wget"}, "neither curl nor wget is installed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rel := newRelease(t, g, "1.2.3")
			tc.change(rel)
			gh := newFakeGitHub(t, rel)
			h := newHarness(t, gh, tc.omit...)
			res := h.run("RUNNER_OS=Linux", "RUNNER_ARCH=X64", "WXCLOUD_VERSION=v1.2.3")
			if res.code == 0 {
				t.Fatalf("install succeeded, want a refusal:\n%s", res.out)
			}
			if !strings.Contains(res.out, tc.want) {
				t.Errorf("install said:\n%s\nwant it to say %q", res.out, tc.want)
			}
			if len(res.path) != 0 {
				t.Errorf("GITHUB_PATH got %q, want nothing", res.path)
			}
			if e := h.cacheEntries(); len(e) != 0 {
				t.Errorf("the tool cache holds %q, want nothing", e)
			}
			if left, _ := os.ReadDir(h.temp); len(left) != 1 { // the GITHUB_PATH file
				t.Errorf("RUNNER_TEMP holds %d entries after a refusal, want the download folder removed", len(left))
			}
		})
	}
}

// TestInstallToolVariants: macOS has shasum and no sha256sum; minimal
// images have wget and no curl.
func TestInstallToolVariants(t *testing.T) {
	t.Parallel()
	g := loadGoreleaser(t)
	rel := newRelease(t, g, "1.2.3")
	for _, tc := range []struct {
		name, needs string
		omit        []string
	}{
		{"shasum only", "shasum", []string{"sha256sum"}},
		{"wget only", "wget", []string{"curl"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := exec.LookPath(tc.needs); err != nil {
				t.Skipf("%s is not installed", tc.needs)
			}
			gh := newFakeGitHub(t, rel)
			h := newHarness(t, gh, tc.omit...)
			res := h.run("RUNNER_OS=macOS", "RUNNER_ARCH=ARM64", "WXCLOUD_VERSION=1.2.3")
			if res.code != 0 {
				t.Fatalf("exit %d\n%s", res.code, res.out)
			}
			if got := h.runBinary(res, "wxcloud-deploy", "version"); got != "wxcloud-deploy 1.2.3 darwin/arm64" {
				t.Errorf("installed binary printed %q", got)
			}
		})
	}
}

// TestInstallRedoesAnIncompleteCache: a job killed while unpacking leaves a
// folder without its marker; the next job installs again over it.
func TestInstallRedoesAnIncompleteCache(t *testing.T) {
	t.Parallel()
	g := loadGoreleaser(t)
	gh := newFakeGitHub(t, newRelease(t, g, "1.2.3"))
	h := newHarness(t, gh)
	dir := filepath.Join(h.cache, "wxcloud-deploy", "1.2.3", "amd64")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "wxcloud-deploy"), []byte("#!/bin/sh\necho half\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	res := h.run("RUNNER_OS=Linux", "RUNNER_ARCH=X64", "WXCLOUD_VERSION=v1.2.3")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.out)
	}
	if n := len(gh.downloaded()); n != 2 {
		t.Errorf("downloaded %d files, want 2", n)
	}
	if got := h.runBinary(res, "wxcloud-deploy"); got != "wxcloud-deploy 1.2.3 linux/amd64" {
		t.Errorf("installed binary printed %q, want the release's", got)
	}
}

// TestInstallFromReleasesURL: WXCLOUD_RELEASES_URL replaces the download
// folder (a mirror, a proxy, this package's tests, bench/startup.sh).
func TestInstallFromReleasesURL(t *testing.T) {
	t.Parallel()
	g := loadGoreleaser(t)
	gh := newFakeGitHub(t, newRelease(t, g, "2.0.0"))
	h := newHarness(t, nil) // no GITHUB_SERVER_URL: the default would be github.com
	res := h.run("RUNNER_OS=Linux", "RUNNER_ARCH=ARM64", "WXCLOUD_VERSION=v2.0.0",
		"WXCLOUD_RELEASES_URL="+gh.URL+"/"+repo+"/releases/download/v2.0.0/")
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.out)
	}
	if got := h.runBinary(res, "wxcloud-deploy"); got != "wxcloud-deploy 2.0.0 linux/arm64" {
		t.Errorf("installed binary printed %q", got)
	}
}

func TestInstallRejectsUnknownPlatforms(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil)
	for _, tc := range []struct{ env, want string }{
		{"RUNNER_ARCH=X86", `unsupported RUNNER_ARCH "X86"`},
		{"RUNNER_ARCH=ARM", `unsupported RUNNER_ARCH "ARM"`},
		{"RUNNER_OS=FreeBSD", `unsupported RUNNER_OS "FreeBSD"`},
	} {
		res := h.run("RUNNER_OS=Linux", "RUNNER_ARCH=X64", tc.env, "WXCLOUD_VERSION=v1.2.3")
		if res.code == 0 || !strings.Contains(res.out, tc.want) {
			t.Errorf("%s: exit %d, said:\n%s\nwant %q", tc.env, res.code, res.out, tc.want)
		}
	}
}

// TestMovingTags: v1, v1.9 and latest resolve through the releases API to
// the newest matching vX.Y.Z, never a pre-release; the token goes to the API
// only and never into the log.
func TestMovingTags(t *testing.T) {
	t.Parallel()
	g := loadGoreleaser(t)
	var rels []*release
	for _, v := range []string{"2.0.0", "1.10.0", "1.9.9", "1.2.3"} {
		rels = append(rels, newRelease(t, g, v))
	}
	const token = "ghs_s3cr3tT0ken"
	for _, tc := range []struct{ ref, want string }{
		{"v1", "1.10.0"},
		{"v1.9", "1.9.9"},
		{"v2", "2.0.0"},
		{"latest", "2.0.0"},
	} {
		t.Run(tc.ref, func(t *testing.T) {
			t.Parallel()
			gh := newFakeGitHub(t, rels...)
			// Newest first, as GitHub lists them, with a pre-release on top
			// and a release of another major in between.
			gh.set(func(f *fakeGitHub) {
				f.listed = []string{"v2.1.0-rc.1", "v1.11.0-rc.1", "v2.0.0", "v1.9.9", "v1.10.0", "v0.9.0", "v1.2.3", "v1"}
			})
			h := newHarness(t, gh)
			res := h.run("RUNNER_OS=Linux", "RUNNER_ARCH=X64", "WXCLOUD_VERSION="+tc.ref, "GITHUB_TOKEN="+token, "GITHUB_ACTIONS=true")
			if res.code != 0 {
				t.Fatalf("exit %d\n%s", res.code, res.out)
			}
			if !strings.Contains(res.out, tc.ref+" is release v"+tc.want) {
				t.Errorf("install said:\n%s\nwant %s resolved to v%s", res.out, tc.ref, tc.want)
			}
			if got := h.runBinary(res, "wxcloud-deploy"); got != "wxcloud-deploy "+tc.want+" linux/amd64" {
				t.Errorf("installed binary printed %q", got)
			}
			if strings.Contains(res.out, token) {
				t.Errorf("the token appears in the output:\n%s", res.out)
			}
			apiAuth, dlAuth := gh.auth()
			if len(apiAuth) != 1 || apiAuth[0] != "Bearer "+token {
				t.Errorf("the releases API got Authorization %q, want the token once", apiAuth)
			}
			if len(dlAuth) != 0 {
				t.Errorf("downloads carried Authorization %q: the token is for the API only", dlAuth)
			}
		})
	}
}

func TestMovingTagWithoutReleaseOrGo(t *testing.T) {
	t.Parallel()
	g := loadGoreleaser(t)
	for _, tc := range []struct {
		name, ref string
		status    int
		want      string
	}{
		{"no v3 release", "v3", 0, "lists no release v3.x"},
		{"API refuses", "v1", 403, "cannot resolve v1 to a release: reading " /* URL, curl's reason */},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gh := newFakeGitHub(t, newRelease(t, g, "1.2.3"))
			gh.set(func(f *fakeGitHub) { f.apiStatus = tc.status })
			h := newHarness(t, gh, "go")
			res := h.run("RUNNER_OS=Linux", "RUNNER_ARCH=X64", "WXCLOUD_VERSION="+tc.ref, "GITHUB_TOKEN=ghs_x")
			if res.code == 0 || !strings.Contains(res.out, tc.want) || !strings.Contains(res.out, "or install Go to build from source") {
				t.Errorf("exit %d, said:\n%s\nwant a failure saying %q and how to fix it", res.code, res.out, tc.want)
			}
			if strings.Contains(res.out, "ghs_x") {
				t.Errorf("the token appears in the output:\n%s", res.out)
			}
		})
	}
}

// TestPinnedBySHA: a ref that is a release tag's commit installs that
// release, as fast as the tag would.
func TestPinnedBySHA(t *testing.T) {
	t.Parallel()
	g := loadGoreleaser(t)
	const sha = "0123456789abcdef0123456789abcdef01234567"
	gh := newFakeGitHub(t, newRelease(t, g, "1.2.3"))
	gh.set(func(f *fakeGitHub) {
		f.tags = map[string]string{"v1": sha, "v1.2.3": sha, "v1.2.2": strings.Repeat("f", 40)}
	})
	h := newHarness(t, gh)
	res := h.run("RUNNER_OS=Linux", "RUNNER_ARCH=X64", "WXCLOUD_VERSION="+sha)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.out)
	}
	if !strings.Contains(res.out, "commit "+sha+" is release v1.2.3") {
		t.Errorf("install said:\n%s", res.out)
	}
	if got := h.runBinary(res, "wxcloud-deploy"); got != "wxcloud-deploy 1.2.3 linux/amd64" {
		t.Errorf("installed binary printed %q", got)
	}
}

// TestNestedActionPath: inside another composite action github.action_ref
// names the outer action (actions/runner#2473); the runner's checkout path
// _actions/<owner>/<repo>/<ref> names this one, and wins.
func TestNestedActionPath(t *testing.T) {
	t.Parallel()
	g := loadGoreleaser(t)
	gh := newFakeGitHub(t, newRelease(t, g, "1.2.3"))
	h := newHarness(t, gh)
	res := h.run("RUNNER_OS=Linux", "RUNNER_ARCH=X64",
		"WXCLOUD_VERSION=v7.7.7", "WXCLOUD_ACTION_REPOSITORY=someone/outer-action",
		`GITHUB_ACTION_PATH=D:\a\_actions\`+strings.ReplaceAll(repo, "/", `\`)+`\v1.2.3`)
	if res.code != 0 {
		t.Fatalf("exit %d\n%s", res.code, res.out)
	}
	if got := h.runBinary(res, "wxcloud-deploy"); got != "wxcloud-deploy 1.2.3 linux/amd64" {
		t.Errorf("installed binary printed %q", got)
	}
}

// ---- building from source ----

// fakeAction lays out an action checkout with this install.sh and a tiny
// module that has the real module path and cli.version variable, so the
// source build is tested without compiling the whole (changing) project.
func fakeAction(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	script, err := os.ReadFile(filepath.Join(root, ".github", "install.sh"))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		".github/install.sh": string(script),
		"go.mod":             "module github.com/wxcloud-deploy/wxcloud-deploy\n\ngo 1.22\n",
		"main.go": `package main

import (
	"fmt"

	"github.com/wxcloud-deploy/wxcloud-deploy/internal/cli"
)

func main() { fmt.Println("wxcloud-deploy", cli.Version()) }
`,
		"internal/cli/cli.go": `package cli

var version = ""

func Version() string {
	if version == "" {
		return "dev"
	}
	return version
}
`,
	}
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// goEnv hands the host's Go caches to the sandbox, so a build takes a
// second and needs no network.
func goEnv(t *testing.T) []string {
	t.Helper()
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("go is not installed")
	}
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH").Output()
	if err != nil {
		t.Fatal(err)
	}
	v := strings.Split(strings.TrimSpace(string(out)), "\n")
	return []string{"GOCACHE=" + v[0], "GOMODCACHE=" + v[1], "GOPATH=" + v[2], "GOTOOLCHAIN=local", "GOPROXY=off", "GOFLAGS="}
}

// TestSourceBuild: uses: ./, a branch, a commit without a release tag, and a
// moving tag the API cannot resolve all build the action's own source.
func TestSourceBuild(t *testing.T) {
	t.Parallel()
	goenv := goEnv(t)
	g := loadGoreleaser(t)
	sha := strings.Repeat("ab", 20)
	for _, tc := range []struct {
		name, ref, said, version string
		apiStatus                int
	}{
		{"uses: ./", "", "no release ref (uses: ./ or a local path): building from the action's source with go build (go", "dev", 0},
		{"branch", "main", `ref "main" is not a release tag: building from the action's source with go build`, "main", 0},
		{"branch with a slash", "feature/x", `ref "feature/x" is not a release tag`, "feature_x", 0},
		{"commit without a release", sha, "commit " + sha + " has no release tag: building", sha, 0},
		{"unresolvable moving tag", "v1", "cannot resolve v1 to a release", "v1", 500},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			gh := newFakeGitHub(t, newRelease(t, g, "1.2.3"))
			gh.set(func(f *fakeGitHub) { f.apiStatus = tc.apiStatus })
			h := newHarness(t, gh)
			h.script = filepath.Join(fakeAction(t), ".github", "install.sh")
			res := h.run(append(goenv, "RUNNER_OS=Linux", "RUNNER_ARCH=X64", "WXCLOUD_VERSION="+tc.ref)...)
			if res.code != 0 {
				t.Fatalf("exit %d\n%s", res.code, res.out)
			}
			if !strings.Contains(res.out, tc.said) {
				t.Errorf("install said:\n%s\nwant %q", res.out, tc.said)
			}
			if got := h.runBinary(res, "wxcloud-deploy"); got != "wxcloud-deploy "+tc.version {
				t.Errorf("the built binary printed %q, want version %q", got, tc.version)
			}
			if d := gh.downloaded(); len(d) != 0 {
				t.Errorf("a source build downloaded %q", d)
			}
			if e := h.cacheEntries(); len(e) != 0 {
				t.Errorf("a source build wrote %q into the tool cache", e)
			}
		})
	}
}

func TestSourceBuildNeedsGo(t *testing.T) {
	t.Parallel()
	h := newHarness(t, nil, "go")
	h.script = filepath.Join(fakeAction(t), ".github", "install.sh")
	res := h.run("RUNNER_OS=Linux", "RUNNER_ARCH=X64", "WXCLOUD_VERSION=main", "GITHUB_ACTIONS=true")
	want := regexp.MustCompile(`ref "main" is not a release tag, so the action builds wxcloud-deploy from its source, and that needs Go: add actions/setup-go before this step`)
	if res.code == 0 || !want.MatchString(res.out) {
		t.Errorf("exit %d, said:\n%s\nwant a failure matching %s", res.code, res.out, want)
	}
	if !strings.Contains(res.out, "::error title=wxcloud-deploy install::") {
		t.Errorf("no error annotation in Actions:\n%s", res.out)
	}
}
