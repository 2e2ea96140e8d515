// Package release holds no code, only the tests of how wxcloud-deploy is
// released and installed: .github/install.sh run by bash against a fake
// GitHub (releases, checksums, the releases and tags APIs) served by
// httptest, for every platform the release builds; and the names that
// .goreleaser.yaml, .github/workflows/release.yml, install.sh and README.md
// must agree on. The archive names come from .goreleaser.yaml itself, so a
// renamed template fails here before it breaks the action.
package release
