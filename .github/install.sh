#!/usr/bin/env bash
# install.sh puts the wxcloud-deploy binary on PATH: the first step of the
# composite action (action.yml), and usable on its own in other CI systems.
# Runs on Linux, macOS (bash 3.2 and BSD tools) and Windows (Git Bash).
#
# What it installs depends on the ref the action was used at (WXCLOUD_VERSION,
# which action.yml sets to github.action_ref):
#
#   v1.2.3, 1.2.3, v1.2.3-rc.1  that release.
#   v1, v1.2, latest            a moving tag: the newest release vX.Y.Z (no
#                               pre-release) whose version starts with 1. (or
#                               1.2.), read from the GitHub releases API
#                               ($WXCLOUD_RELEASES_API, default
#                               $GITHUB_API_URL/repos/<repo>/releases?per_page=100,
#                               newest 100 releases), with GITHUB_TOKEN when set
#                               (the unauthenticated limit is 60 calls an hour
#                               per IP, shared by every job on a hosted runner's
#                               address). release.yml moves vX only after vX.Y.Z
#                               is published, so the newest vX.Y.Z is what vX
#                               points to, or one release ahead for the minute
#                               in between. When the API cannot be read, the
#                               binary is built from source as below, with a
#                               warning.
#   a commit SHA (40 hex)       the release vX.Y.Z whose tag points at that
#                               commit (pinning by SHA is common practice), read
#                               from the tags API ($WXCLOUD_TAGS_API, default
#                               $GITHUB_API_URL/repos/<repo>/tags?per_page=100);
#                               a commit without a release tag is built from
#                               source as below.
#   anything else               "" (uses: ./), a branch: built from the
#                               action's own source (the directory above this
#                               script) with go build, which needs Go on PATH.
#
# A release is downloaded from $WXCLOUD_RELEASES_URL (default
# $GITHUB_SERVER_URL/<repo>/releases/download/v<version>): the archive
# wxcloud-deploy_<version>_<os>_<arch>.tar.gz (.zip on Windows) and
# wxcloud-deploy_<version>_checksums.txt, the names .goreleaser.yaml gives
# them. The archive's SHA-256 must match its line in the checksums file, or
# nothing is installed (fail closed: a missing line, a mismatch or a missing
# sha256sum/shasum is an error). It is unpacked into the runner's tool cache,
# $RUNNER_TOOL_CACHE/wxcloud-deploy/<version>/<arch>/, and marked complete
# with <arch>.complete beside it (the layout @actions/tool-cache uses), so a
# later job on the same runner downloads nothing. The folder is appended to
# $GITHUB_PATH (or printed when that is unset).
#
# The repository is the action's own: on a runner, GITHUB_ACTION_PATH ends in
# _actions/<owner>/<repo>/<ref>, which names the code that actually runs; it
# wins over github.action_repository/action_ref because those name the outer
# action when this one is nested in another composite action
# (actions/runner#2473). Elsewhere WXCLOUD_ACTION_REPOSITORY or
# GITHUB_ACTION_REPOSITORY.
#
# Environment: WXCLOUD_VERSION, WXCLOUD_ACTION_REPOSITORY, WXCLOUD_RELEASES_URL,
# WXCLOUD_RELEASES_API, WXCLOUD_TAGS_API, GITHUB_TOKEN (sent to the releases API only, never
# printed, never on a command line), RUNNER_OS/RUNNER_ARCH (else uname),
# RUNNER_TOOL_CACHE (else ~/.cache), RUNNER_TEMP, GITHUB_PATH.
set -euo pipefail

readonly module=github.com/wxcloud-deploy/wxcloud-deploy

note() { printf 'wxcloud-deploy: %s\n' "$*"; }
# In Actions a problem is an annotation (its text escaped as workflow
# commands require: a URL's % or curl's newline must not end it early).
annotate() {
	local level=$1 msg=$2
	msg=${msg//'%'/%25}
	msg=${msg//$'\r'/%0D}
	msg=${msg//$'\n'/%0A}
	printf '::%s title=wxcloud-deploy install::%s\n' "$level" "$msg"
}
warn() {
	if [ "${GITHUB_ACTIONS:-}" = true ]; then annotate warning "$*"; else printf 'wxcloud-deploy install: warning: %s\n' "$*" >&2; fi
}
die() {
	if [ "${GITHUB_ACTIONS:-}" = true ]; then annotate error "$*"; else printf 'wxcloud-deploy install: %s\n' "$*" >&2; fi
	exit 1
}
have() { command -v "$1" >/dev/null 2>&1; }

# Git Bash hands Windows paths (D:\a\_temp) to the script and Go wants them
# back; inside the script every path is a POSIX one.
to_posix() { if have cygpath; then cygpath -u "$1"; else printf '%s' "$1"; fi; }
to_native() { if have cygpath; then cygpath -w "$1"; else printf '%s' "$1"; fi; }

work=""
cleanup() { if [ -n "$work" ]; then rm -rf "$work"; fi; }
trap cleanup EXIT

tmp_root() {
	if [ -n "${RUNNER_TEMP:-}" ]; then to_posix "$RUNNER_TEMP"; else printf '%s' "${TMPDIR:-/tmp}"; fi
}

platform() {
	case "${RUNNER_OS:-}" in
	Linux) os=linux ;;
	macOS) os=darwin ;;
	Windows) os=windows ;;
	"")
		case "$(uname -s)" in
		Linux) os=linux ;;
		Darwin) os=darwin ;;
		MINGW* | MSYS* | CYGWIN*) os=windows ;;
		*) die "unsupported operating system $(uname -s): releases exist for Linux, macOS and Windows" ;;
		esac
		;;
	*) die "unsupported RUNNER_OS \"$RUNNER_OS\": releases exist for Linux, macOS and Windows" ;;
	esac
	case "${RUNNER_ARCH:-}" in
	X64) arch=amd64 ;;
	ARM64) arch=arm64 ;;
	"")
		case "$(uname -m)" in
		x86_64 | amd64) arch=amd64 ;;
		aarch64 | arm64) arch=arm64 ;;
		*) die "unsupported CPU $(uname -m): releases exist for amd64 and arm64" ;;
		esac
		;;
	*) die "unsupported RUNNER_ARCH \"$RUNNER_ARCH\": releases exist for X64 and ARM64" ;;
	esac
	bin=wxcloud-deploy
	if [ "$os" = windows ]; then bin=wxcloud-deploy.exe; fi
}

# fetch URL FILE [auth]: the token, when asked for, goes to curl on stdin so
# it never appears in a process list or a log.
fetch() {
	local url=$1 out=$2 auth=${3:-}
	if have curl; then
		local cfg="" token
		if [ -n "$auth" ] && [ -n "${GITHUB_TOKEN:-}" ]; then
			# curl's config syntax: backslash and double quote are escaped.
			token=${GITHUB_TOKEN//\\/\\\\}
			token=${token//\"/\\\"}
			cfg="header = \"Authorization: Bearer ${token}\""
		fi
		printf '%s\n' "$cfg" | curl --config - --fail --silent --show-error --location \
			--retry 3 --retry-delay 1 --connect-timeout 15 --max-time 300 \
			--output "$out" "$url"
	elif have wget; then
		# wget takes headers on its command line only: no token here.
		wget --quiet --tries=3 --timeout=60 --output-document="$out" "$url"
	else
		die "neither curl nor wget is installed: install one, or put wxcloud-deploy on PATH yourself"
	fi
}

sha256_of() {
	if have sha256sum; then
		sha256sum "$1" | cut -d' ' -f1
	elif have shasum; then
		shasum -a 256 "$1" | cut -d' ' -f1
	else
		die "neither sha256sum nor shasum is installed, so the download cannot be verified: install coreutils or perl's shasum"
	fi
}

# newer A B: is version A (X.Y.Z) greater than B?
newer() {
	local a=$1 b=$2 a1 a2 a3 b1 b2 b3
	IFS=. read -r a1 a2 a3 <<<"$a"
	IFS=. read -r b1 b2 b3 <<<"$b"
	if [ "$a1" -ne "$b1" ]; then [ "$a1" -gt "$b1" ]; return; fi
	if [ "$a2" -ne "$b2" ]; then [ "$a2" -gt "$b2" ]; return; fi
	[ "$a3" -gt "$b3" ]
}

# resolve PREFIX: sets version to the newest release X.Y.Z starting with
# PREFIX ("1.", "1.2." or "" for latest); returns 1 with a reason in
# resolve_error when it cannot.
resolve() {
	local prefix=$1 api json tag v best=""
	if [ -n "${WXCLOUD_RELEASES_API:-}" ]; then
		api=$WXCLOUD_RELEASES_API
	elif [ -n "$repo" ]; then
		api="${GITHUB_API_URL:-https://api.github.com}/repos/$repo/releases?per_page=100"
	else
		resolve_error="the action's repository is unknown (set WXCLOUD_ACTION_REPOSITORY or WXCLOUD_RELEASES_API)"
		return 1
	fi
	json="$work/releases.json"
	if ! fetch "$api" "$json" auth 2>"$work/fetch.err"; then
		resolve_error="reading $api failed: $(tr '\n' ' ' <"$work/fetch.err")"
		return 1
	fi
	# Only "tag_name" is read: a pre-release is a tag with a suffix
	# (v1.3.0-rc.1) and is skipped by the pattern; drafts are visible only to
	# tokens that may push to the action's repository.
	while IFS= read -r tag; do
		[[ $tag =~ ^v([0-9]+\.[0-9]+\.[0-9]+)$ ]] || continue
		v=${BASH_REMATCH[1]}
		case "$v" in "$prefix"*) ;; *) continue ;; esac
		if [ -z "$best" ] || newer "$v" "$best"; then best=$v; fi
	done < <(grep -o '"tag_name"[[:space:]]*:[[:space:]]*"[^"]*"' "$json" | sed 's/.*"\([^"]*\)"$/\1/')
	if [ -z "$best" ]; then
		resolve_error="$api lists no release${prefix:+ v${prefix}x}"
		return 1
	fi
	version=$best
}

# release_of_commit SHA: sets version to the release X.Y.Z whose tag points
# at SHA; returns 1 (resolve_error empty) when no release tag does, or with a
# reason in resolve_error when the tags cannot be read.
release_of_commit() {
	local sha=$1 api json line name="" best=""
	if [ -n "${WXCLOUD_TAGS_API:-}" ]; then
		api=$WXCLOUD_TAGS_API
	elif [ -n "$repo" ]; then
		api="${GITHUB_API_URL:-https://api.github.com}/repos/$repo/tags?per_page=100"
	else
		resolve_error="the action's repository is unknown (set WXCLOUD_ACTION_REPOSITORY or WXCLOUD_TAGS_API)"
		return 1
	fi
	json="$work/tags.json"
	if ! fetch "$api" "$json" auth 2>"$work/fetch.err"; then
		resolve_error="reading $api failed: $(tr '\n' ' ' <"$work/fetch.err")"
		return 1
	fi
	# Each tag object lists "name" before its commit's "sha"; a moving tag
	# (v1) on the same commit is skipped by the pattern.
	while IFS= read -r line; do
		case "$line" in
		'"name"'*) name=$(printf '%s' "$line" | sed 's/.*"\([^"]*\)"$/\1/') ;;
		'"sha"'*)
			if [ "$(printf '%s' "$line" | sed 's/.*"\([^"]*\)"$/\1/')" = "$sha" ] &&
				[[ $name =~ ^v([0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?)$ ]]; then
				best=${BASH_REMATCH[1]}
				break
			fi
			;;
		esac
	done < <(grep -oE '"(name|sha)"[[:space:]]*:[[:space:]]*"[^"]*"' "$json")
	if [ -z "$best" ]; then
		return 1
	fi
	version=$best
}

build_from_source() {
	local why=$1 src out ldflags
	src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	if ! have go; then
		die "$why, so the action builds wxcloud-deploy from its source, and that needs Go: add actions/setup-go before this step, or use a release (uses: wxcloud-deploy/wxcloud-deploy@v1)"
	fi
	[ -f "$src/go.mod" ] || die "$why, but $src has no go.mod to build from"
	note "$why: building from the action's source with go build ($(go env GOVERSION))"
	out=$(mktemp -d "$(tmp_root)/wxcloud-deploy-source.XXXXXX")
	# The ref names what was built; without one, go build stamps the module
	# version from .git when the checkout has it (uses: ./).
	ldflags="-s -w"
	if [ -n "$ref" ]; then
		ldflags="$ldflags -X $module/internal/cli.version=${ref//[^A-Za-z0-9._+-]/_}"
	fi
	(cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$(to_native "$out/$bin")" .) ||
		die "go build in $src failed (see above)"
	add_path "$out"
}

add_path() {
	if [ -n "${GITHUB_PATH:-}" ]; then
		to_native "$1" >>"$GITHUB_PATH"
		printf '\n' >>"$GITHUB_PATH"
	else
		note "add $(to_native "$1") to PATH"
	fi
}

install_release() {
	local cache dir marker archive sums base expected actual n
	if [ -n "${RUNNER_TOOL_CACHE:-}" ]; then
		cache=$(to_posix "$RUNNER_TOOL_CACHE")
	else
		cache="${XDG_CACHE_HOME:-$HOME/.cache}"
	fi
	dir="$cache/wxcloud-deploy/$version/$arch"
	marker="$dir.complete"
	if [ -f "$marker" ] && [ -f "$dir/$bin" ]; then
		note "$version ($os/$arch) from the tool cache"
		add_path "$dir"
		return
	fi

	archive="wxcloud-deploy_${version}_${os}_${arch}.tar.gz"
	if [ "$os" = windows ]; then archive="wxcloud-deploy_${version}_${os}_${arch}.zip"; fi
	sums="wxcloud-deploy_${version}_checksums.txt"
	if [ -n "${WXCLOUD_RELEASES_URL:-}" ]; then
		base=${WXCLOUD_RELEASES_URL%/}
	elif [ -n "$repo" ]; then
		base="${GITHUB_SERVER_URL:-https://github.com}/$repo/releases/download/v$version"
	else
		die "cannot tell which repository to download release $version from: set WXCLOUD_ACTION_REPOSITORY (owner/repo) or WXCLOUD_RELEASES_URL"
	fi

	fetch "$base/$sums" "$work/$sums" || die "downloading $base/$sums failed: is v$version a published release?"
	fetch "$base/$archive" "$work/$archive" || die "downloading $base/$archive failed: is v$version released for $os/$arch?"

	# goreleaser writes "<sha256>  <name>"; "*<name>" is sha256sum's binary mode.
	expected=$(awk -v f="$archive" '$2 == f || $2 == "*" f { print tolower($1) }' "$work/$sums")
	n=$(printf '%s' "$expected" | grep -c . || true)
	if [ "$n" -eq 0 ]; then
		die "$sums has no line for $archive: refusing to install an unverified download"
	fi
	if [ "$n" -ne 1 ] || ! [[ $expected =~ ^[0-9a-f]{64}$ ]]; then
		die "$sums has no single well-formed SHA-256 for $archive: refusing to install it"
	fi
	actual=$(sha256_of "$work/$archive")
	if [ "$actual" != "$expected" ]; then
		die "checksum mismatch for $archive: SHA-256 $actual, $sums says $expected; nothing was installed (a corrupted or tampered download: retry, and report it if it persists)"
	fi

	mkdir "$work/x"
	case "$archive" in
	*.zip)
		if have unzip; then
			unzip -q -o "$work/$archive" -d "$work/x"
		elif have powershell; then
			# The $env: references are PowerShell's, read from this command's environment.
			# shellcheck disable=SC2016
			WX_ZIP=$(to_native "$work/$archive") WX_DEST=$(to_native "$work/x") powershell -NoProfile -NonInteractive -Command \
				'Expand-Archive -LiteralPath $env:WX_ZIP -DestinationPath $env:WX_DEST -Force'
		else
			die "cannot unpack $archive: neither unzip nor powershell is installed"
		fi
		;;
	*) tar -xzf "$work/$archive" -C "$work/x" ;;
	esac
	[ -f "$work/x/$bin" ] || die "$archive has no $bin at its root: the release is broken, report it"
	chmod +x "$work/x/$bin"

	# The marker is written last: a job killed halfway leaves no marker, and
	# the next one installs again over the partial folder.
	mkdir -p "$(dirname "$dir")"
	rm -rf "$dir" "$marker"
	mv "$work/x" "$dir"
	: >"$marker"
	note "$version ($os/$arch) installed, SHA-256 verified"
	add_path "$dir"
}

main() {
	platform
	work=$(mktemp -d "$(tmp_root)/wxcloud-deploy-install.XXXXXX")

	ref=${WXCLOUD_VERSION:-}
	repo=${WXCLOUD_ACTION_REPOSITORY:-${GITHUB_ACTION_REPOSITORY:-}}
	local action_path=${GITHUB_ACTION_PATH:-}
	action_path=${action_path//\\//}
	if [[ $action_path =~ /_actions/([^/]+)/([^/]+)/([^/]+)/?$ ]]; then
		repo="${BASH_REMATCH[1]}/${BASH_REMATCH[2]}"
		ref=${BASH_REMATCH[3]}
	fi

	resolve_error=""
	if [[ $ref =~ ^v?([0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?)$ ]]; then
		version=${BASH_REMATCH[1]}
	elif [[ $ref =~ ^v([0-9]+)(\.([0-9]+))?$ ]] || [ "$ref" = latest ]; then
		local prefix=""
		if [ "$ref" != latest ]; then prefix="${ref#v}."; fi
		if ! resolve "$prefix"; then
			if have go; then
				warn "cannot resolve $ref to a release: $resolve_error; building from source instead"
				build_from_source "$ref could not be resolved to a release"
				return
			fi
			die "cannot resolve $ref to a release: $resolve_error (pin a version such as @v1.2.3, or install Go to build from source)"
		fi
		note "$ref is release v$version"
	elif [[ $ref =~ ^[0-9a-f]{40}$ ]]; then
		if ! release_of_commit "$ref"; then
			if [ -n "$resolve_error" ]; then
				warn "cannot tell whether commit $ref is a release: $resolve_error"
			fi
			build_from_source "commit $ref has no release tag"
			return
		fi
		note "commit $ref is release v$version"
	elif [ -z "$ref" ]; then
		build_from_source "no release ref (uses: ./ or a local path)"
		return
	else
		build_from_source "ref \"$ref\" is not a release tag"
		return
	fi
	install_release
}

main "$@"
