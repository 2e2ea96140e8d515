package release

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The names the brief fixed for the release (CONTRACT-level: users' scripts
// download them, install.sh builds them).
const (
	wantArchive   = "wxcloud-deploy_{{ .Version }}_{{ .Os }}_{{ .Arch }}"
	wantChecksums = "wxcloud-deploy_{{ .Version }}_checksums.txt"
	versionVar    = "github.com/wxcloud-deploy/wxcloud-deploy/internal/cli.version"
)

// The image tags: vX.Y.Z always, vX and latest for a release that is not a
// pre-release. Each template is paired with what it renders to.
var imageTags = []struct{ template, pattern string }{
	{"{{ .Tag }}", `v\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?`},
	{"{{ if not .Prerelease }}v{{ .Major }}{{ end }}", `v\d+`},
	{"{{ if not .Prerelease }}latest{{ end }}", `latest`},
}

func read(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, filepath.FromSlash(name)))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func sameSet(a, b []string) bool {
	x, y := append([]string(nil), a...), append([]string(nil), b...)
	sort.Strings(x)
	sort.Strings(y)
	return strings.Join(x, "\x00") == strings.Join(y, "\x00")
}

func TestGoreleaserConfig(t *testing.T) {
	g := loadGoreleaser(t)
	if g.archive != wantArchive {
		t.Errorf("archives name_template is %q, want %q (install.sh and README.md download that name)", g.archive, wantArchive)
	}
	if g.format != "tar.gz" || g.formatByOS["windows"] != "zip" || len(g.formatByOS) != 1 {
		t.Errorf("archive formats: %q, overrides %v; want tar.gz, zip on windows (install.sh expects these)", g.format, g.formatByOS)
	}
	if g.checksums != wantChecksums {
		t.Errorf("checksum name_template is %q, want %q", g.checksums, wantChecksums)
	}
	if c, _ := g.raw["checksum"].(map[string]any); c["algorithm"] != "sha256" {
		t.Errorf("checksum algorithm is %v, want sha256 (install.sh verifies SHA-256)", c["algorithm"])
	}
	if !sameSet(g.goos, []string{"linux", "darwin", "windows"}) || !sameSet(g.goarch, []string{"amd64", "arm64"}) {
		t.Errorf("builds goos %v goarch %v, want linux/darwin/windows x amd64/arm64 (the runners install.sh serves)", g.goos, g.goarch)
	}
	if !contains(g.envs, "CGO_ENABLED=0") || !contains(g.flags, "-trimpath") {
		t.Errorf("builds env %v flags %v: want CGO_ENABLED=0 (static, runs on any libc and in distroless) and -trimpath", g.envs, g.flags)
	}
	if len(g.ldflags) != 1 || !strings.Contains(g.ldflags[0], "-s -w") || !strings.Contains(g.ldflags[0], "-X "+versionVar+"={{.Version}}") {
		t.Errorf("builds ldflags %q, want -s -w -X %s={{.Version}}", g.ldflags, versionVar)
	}
	if !sameSet(g.platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("dockers_v2 platforms %v, want linux/amd64 and linux/arm64", g.platforms)
	}
	var tmpls []string
	for _, it := range imageTags {
		tmpls = append(tmpls, it.template)
	}
	if !sameSet(g.tags, tmpls) {
		t.Errorf("dockers_v2 tags %q, want %q (vX.Y.Z, and vX and latest unless a pre-release)", g.tags, tmpls)
	}
	if img := imageName(t, g); img != "ghcr.io/wxcloud-deploy/wxcloud-deploy" {
		t.Errorf("dockers_v2 image renders to %q outside Actions, want ghcr.io/wxcloud-deploy/wxcloud-deploy", img)
	}
}

// imageName renders the image template as it would be outside Actions
// (GITHUB_REPOSITORY unset): the name README.md must use.
func imageName(t *testing.T, g *goreleaser) string {
	t.Helper()
	m := regexp.MustCompile(`^ghcr\.io/\{\{ tolower \(envOrDefault "GITHUB_REPOSITORY" "([^"]+)"\) \}\}$`).FindStringSubmatch(g.image)
	if m == nil {
		t.Fatalf("dockers_v2 image %q: want ghcr.io/{{ tolower (envOrDefault \"GITHUB_REPOSITORY\" \"owner/repo\") }}", g.image)
	}
	return "ghcr.io/" + strings.ToLower(m[1])
}

// TestVersionVariableExists: the -X in ldflags sets nothing, silently, if
// the variable moves or is renamed.
func TestVersionVariableExists(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(root, "internal", "cli", "*.go"))
	if err != nil {
		t.Fatal(err)
	}
	decl := regexp.MustCompile(`(?m)^var version\s*(=|string)`)
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if decl.Match(b) {
			return
		}
	}
	t.Errorf("no package-level `var version` in internal/cli: .goreleaser.yaml and install.sh set %s with -ldflags -X", versionVar)
}

func TestDockerfileCopiesTheReleaseBinary(t *testing.T) {
	df := read(t, "Dockerfile")
	for _, want := range []string{"ARG TARGETPLATFORM", "COPY $TARGETPLATFORM/wxcloud-deploy /wxcloud-deploy", `ENTRYPOINT ["/wxcloud-deploy"]`, "USER 65532:65532"} {
		if !strings.Contains(df, want) {
			t.Errorf("Dockerfile lacks %q: the image runs goreleaser's binary, as non-root", want)
		}
	}
	if regexp.MustCompile(`(?m)^\s*RUN\b|go build`).MatchString(stripComments(df)) {
		t.Error("Dockerfile compiles or runs something: the image only copies the binary goreleaser built")
	}
}

func stripComments(s string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if !strings.HasPrefix(strings.TrimSpace(l), "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// tagFilters reads on.push.tags of release.yml and turns GitHub's filter
// patterns into regular expressions.
func tagFilters(t *testing.T, wf string) []*regexp.Regexp {
	t.Helper()
	block := regexp.MustCompile(`(?m)^    tags:\n((?:\s+#.*\n)*(?:      - .*\n)+)`).FindStringSubmatch(wf)
	if block == nil {
		t.Fatal("release.yml: no on.push.tags list")
	}
	var out []*regexp.Regexp
	for _, l := range regexp.MustCompile(`(?m)^      - "?([^"\n]+)"?$`).FindAllStringSubmatch(block[1], -1) {
		// GitHub filter syntax: * is any run of characters but /, + repeats
		// the previous character or class, [..] is a class, the rest literal.
		var re strings.Builder
		for i := 0; i < len(l[1]); i++ {
			switch c := l[1][i]; c {
			case '*':
				re.WriteString(`[^/]*`)
			case '+':
				re.WriteByte('+')
			case '[':
				j := strings.IndexByte(l[1][i:], ']')
				re.WriteString(l[1][i : i+j+1])
				i += j
			default:
				re.WriteString(regexp.QuoteMeta(string(c)))
			}
		}
		out = append(out, regexp.MustCompile("^"+re.String()+"$"))
	}
	return out
}

func triggers(filters []*regexp.Regexp, tag string) bool {
	for _, f := range filters {
		if f.MatchString(tag) {
			return true
		}
	}
	return false
}

func TestReleaseWorkflow(t *testing.T) {
	g := loadGoreleaser(t)
	wf := read(t, ".github/workflows/release.yml")
	filters := tagFilters(t, wf)
	for tag, want := range map[string]bool{"v1.2.3": true, "v10.20.30": true, "v1.3.0-rc.1": true,
		"v1": false, "v12": false, "v1.2": false, "latest": false, "1.2.3": false} {
		if got := triggers(filters, tag); got != want {
			t.Errorf("pushing tag %s triggers a release: %v, want %v (the moving vX tag that release.yml pushes must not)", tag, got, want)
		}
	}
	for _, want := range []string{
		"uses: goreleaser/goreleaser-action@v6", "version: v2.15.1", "args: release --clean",
		"uses: actions/attest-build-provenance@", "id-token: write", "attestations: write",
		"packages: write", "contents: write",
		// vX moves only for a release that is not a pre-release.
		"if: ${{ !contains(github.ref_name, '-') }}", `"repos/$REPO/git/refs/tags/$major"`,
	} {
		if !strings.Contains(wf, want) {
			t.Errorf("release.yml lacks %q", want)
		}
	}
	// Every archive and the checksums file must be attested.
	block := regexp.MustCompile(`subject-path: \|\n((?:\s{12}\S.*\n)+)`).FindStringSubmatch(wf)
	if block == nil {
		t.Fatal("release.yml: no multi-line subject-path for attest-build-provenance")
	}
	var globs []string
	for _, l := range strings.Split(strings.TrimSpace(block[1]), "\n") {
		globs = append(globs, strings.TrimSpace(l))
	}
	names := []string{"dist/" + g.checksumsName(t, "1.2.3")}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		for _, goarch := range []string{"amd64", "arm64"} {
			names = append(names, "dist/"+g.archiveName(t, "1.2.3", goos, goarch))
		}
	}
	for _, n := range names {
		matched := false
		for _, gl := range globs {
			if ok, _ := path.Match(gl, n); ok {
				matched = true
			}
		}
		if !matched {
			t.Errorf("release.yml attests %q, which misses %s", globs, n)
		}
	}
}

// TestReadmeDownloads checks README.md's install instructions against what
// a release publishes: every asset name it mentions is one goreleaser
// produces, every download URL names the release tag of that asset's
// version, there is a download for each OS and the checksums file, every
// image reference is a tag the release pushes, and every `uses:` ref is a
// release tag (or a commit SHA). testdata/readme-install.md is text that
// passes (what README.md's install sections say).
func TestReadmeDownloads(t *testing.T) {
	for _, p := range readmeProblems(t, read(t, "README.md")) {
		t.Error("README.md: " + p)
	}
}

func TestReadmeChecks(t *testing.T) {
	sample, err := os.ReadFile(filepath.Join("testdata", "readme-install.md"))
	if err != nil {
		t.Fatal(err)
	}
	if p := readmeProblems(t, string(sample)); len(p) != 0 {
		t.Errorf("testdata/readme-install.md should pass:\n%s", strings.Join(p, "\n"))
	}
	good := string(sample)
	for _, tc := range []struct{ name, old, new, want string }{
		{"unversioned name", "wxcloud-deploy_${VERSION}_linux_amd64.tar.gz\"", "wxcloud-deploy_linux_amd64\"",
			`names "wxcloud-deploy_linux_amd64", which no release has`},
		{"tar.gz on windows", "_windows_amd64.zip", "_windows_amd64.tar.gz", `names "wxcloud-deploy_${Version}_windows_amd64.tar.gz"`},
		{"tag without v", "download/v${VERSION}/", "download/${VERSION}/", "so the tag must be v${VERSION}"},
		{"latest/download", "releases/download/v${VERSION}/wxcloud-deploy_${VERSION}_checksums.txt", "releases/latest/download/wxcloud-deploy_${VERSION}_checksums.txt",
			"releases/latest/download cannot find them"},
		{"another repository", "github.com/wxcloud-deploy/wxcloud-deploy/releases/download/v${VERSION}/wxcloud-deploy_${VERSION}_linux", "github.com/someone/fork/releases/download/v${VERSION}/wxcloud-deploy_${VERSION}_linux",
			"the releases are on wxcloud-deploy/wxcloud-deploy"},
		{"image tag not pushed", "wxcloud-deploy:v1 deploy", "wxcloud-deploy:1.2 deploy", `image tag "1.2"`},
		{"image of another name", "ghcr.io/wxcloud-deploy/wxcloud-deploy:v1 deploy", "ghcr.io/wxcloud/deploy:v1 deploy", "names image ghcr.io/wxcloud/deploy:v1"},
		{"branch ref", "wxcloud-deploy/wxcloud-deploy@v1\n", "wxcloud-deploy/wxcloud-deploy@main\n", "uses wxcloud-deploy/wxcloud-deploy@main"},
		{"no verification", "sha256sum", "cat", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(good, tc.old) {
				t.Fatalf("the sample has no %q to break", tc.old)
			}
			bad := strings.ReplaceAll(good, tc.old, tc.new)
			if tc.name == "no verification" {
				bad = regexp.MustCompile(`sha256sum|shasum -a 256|Get-FileHash`).ReplaceAllString(bad, "cat")
				tc.want = "without showing how to verify them"
			}
			p := readmeProblems(t, bad)
			if !strings.Contains(strings.Join(p, "\n"), tc.want) {
				t.Errorf("problems found:\n%s\nwant one saying %q", strings.Join(p, "\n"), tc.want)
			}
		})
	}
	// Each OS must have its download.
	for _, goos := range []string{"linux", "darwin", "windows"} {
		bad := regexp.MustCompile(`https://github\.com/\S+_`+goos+`_\w+\.(tar\.gz|zip)`).ReplaceAllString(good, "elsewhere")
		if p := strings.Join(readmeProblems(t, bad), "\n"); !strings.Contains(p, "for the "+goos+" asset") {
			t.Errorf("without a %s download the checks say:\n%s", goos, p)
		}
	}
}

// readmeProblems lists what in text disagrees with the release.
func readmeProblems(t *testing.T, text string) []string {
	t.Helper()
	var problems []string
	fail := func(format string, args ...any) { problems = append(problems, fmt.Sprintf(format, args...)) }
	g := loadGoreleaser(t)
	filters := tagFilters(t, read(t, ".github/workflows/release.yml"))
	const (
		vers  = `(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|<version>)`
		arch  = `(?:amd64|arm64|<arch>|\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)`
		vMark = "\x00V\x00"
		aMark = "\x00A\x00"
	)
	type shape struct {
		os string // "" for the checksums file
		re *regexp.Regexp
	}
	var shapes []shape
	add := func(goos, name string) {
		q := regexp.QuoteMeta(name)
		q = strings.ReplaceAll(q, vMark, vers)
		q = strings.ReplaceAll(q, aMark, arch)
		shapes = append(shapes, shape{goos, regexp.MustCompile("^" + q + "$")})
	}
	for _, goos := range []string{"linux", "darwin", "windows"} {
		add(goos, g.archiveName(t, vMark, goos, aMark))
	}
	// A mention of the pattern itself: wxcloud-deploy_<version>_<os>_<arch>.tar.gz or .zip.
	add("<os>", g.archiveName(t, vMark, "<os>", aMark))
	add("<os>", strings.TrimSuffix(g.archiveName(t, vMark, "<os>", aMark), ".tar.gz")+".zip")
	add("", g.checksumsName(t, vMark))
	classify := func(asset string) (goos, version string, ok bool) {
		for _, s := range shapes {
			if m := s.re.FindStringSubmatch(asset); m != nil {
				return s.os, m[1], true
			}
		}
		return "", "", false
	}
	// $Version, ${Version} and ${VERSION} are one variable in a shell or
	// PowerShell line.
	unbrace := strings.NewReplacer("{", "", "}", "")
	example := g.archiveName(t, "1.2.3", "linux", "amd64") + ", " + g.archiveName(t, "${VERSION}", "windows", "arm64") + ", " + g.checksumsName(t, "1.2.3")

	tokens := regexp.MustCompile(`wxcloud-deploy_[A-Za-z0-9._${}<>-]*[A-Za-z0-9}>]`).FindAllString(text, -1)
	for _, tok := range tokens {
		if _, _, ok := classify(tok); !ok {
			fail("names %q, which no release has: assets are named like %s", tok, example)
		}
	}

	urls := regexp.MustCompile(`https://github\.com/([^/\s]+/[^/\s]+)/releases/(latest/download|download/([^/\s]+))/(wxcloud-deploy_[A-Za-z0-9._${}<>-]*[A-Za-z0-9}>])`).FindAllStringSubmatch(text, -1)
	seen := map[string]bool{}
	for _, u := range urls {
		if u[1] != repo {
			fail("downloads from %s: the releases are on %s", u[0], repo)
			continue
		}
		if u[2] == "latest/download" {
			fail("downloads %s: asset names carry the version, so releases/latest/download cannot find them; use releases/download/v<version>/", u[0])
			continue
		}
		goos, version, ok := classify(u[4])
		if !ok {
			continue // reported above
		}
		if unbrace.Replace(u[3]) != unbrace.Replace("v"+version) {
			fail("downloads %s: the asset's version is %s, so the tag must be v%s", u[0], version, version)
			continue
		}
		if regexp.MustCompile(`^\d`).MatchString(version) && !triggers(filters, "v"+version) {
			fail("downloads from tag v%s, which release.yml never releases", version)
		}
		if goos == "" {
			seen["checksums"] = true
		} else {
			seen[goos] = true
		}
	}
	for _, want := range []string{"linux", "darwin", "windows", "checksums"} {
		if !seen[want] {
			fail("no download URL (https://github.com/%s/releases/download/v<version>/<asset>, in one piece) for the %s asset; assets are named like %s", repo, want, example)
		}
	}
	if !regexp.MustCompile(`sha256sum|shasum -a 256|Get-FileHash`).MatchString(text) {
		fail("downloads binaries without showing how to verify them (sha256sum, shasum -a 256 or Get-FileHash against the checksums file)")
	}

	image := imageName(t, g)
	refs := regexp.MustCompile(`ghcr\.io/[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]*[A-Za-z0-9_](?::[A-Za-z0-9_.${}<>-]*[A-Za-z0-9_}>])?`).FindAllString(text, -1)
	if len(refs) == 0 {
		fail("shows no image: add e.g. %s:v1", image)
	}
	for _, ref := range refs {
		name, tag, _ := strings.Cut(ref, ":")
		if name != image {
			fail("names image %s; the release pushes %s", ref, image)
			continue
		}
		if tag == "" {
			continue // the image's name, in prose
		}
		ok := false
		for _, it := range imageTags {
			if regexp.MustCompile("^" + it.pattern + "$").MatchString(tag) {
				ok = true
			}
		}
		if !ok {
			fail("uses image tag %q of %s: the release pushes vX.Y.Z, vX and latest only", tag, image)
		}
		if regexp.MustCompile(`^v\d+\.\d+\.\d+`).MatchString(tag) && !triggers(filters, tag) {
			fail("uses image tag %s, which release.yml never releases", tag)
		}
	}

	uses := regexp.MustCompile(`uses:\s*`+regexp.QuoteMeta(repo)+`@(\S+)`).FindAllStringSubmatch(text, -1)
	if len(uses) == 0 {
		fail("has no `uses: %s@v1`", repo)
	}
	for _, u := range uses {
		ref := u[1]
		switch {
		case regexp.MustCompile(`^v\d+$`).MatchString(ref): // the moving tag release.yml keeps
		case regexp.MustCompile(`^v\d+\.\d+\.\d+$`).MatchString(ref) && triggers(filters, ref):
		case regexp.MustCompile(`^[0-9a-f]{40}$`).MatchString(ref): // a release commit, resolved by install.sh
		default:
			fail("uses %s@%s: use a release tag (v1, v1.2.3) or a release's commit SHA; any other ref builds from source and needs Go", repo, ref)
		}
	}
	return problems
}
