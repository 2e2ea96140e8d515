#!/usr/bin/env bash
# bench/startup.sh: how long the action takes to start, from its first step
# (.github/install.sh) to the binary printing its first line, with the
# release served on loopback. The docker action it replaces pulled golang and
# distroless and compiled the module on every job: 90 s and more.
#
#   bench/startup.sh                    # build the binary, pack it like goreleaser, 10 runs each
#   RUNS=30 bench/startup.sh
#   DIST=dist bench/startup.sh          # the archives of `goreleaser release --snapshot --clean`
#
# Each run plays the two steps of the composite action as the runner does:
# install.sh in one bash (tool cache and GITHUB_PATH as on a runner), then a
# new bash that puts the GITHUB_PATH folder on PATH and runs
# `wxcloud-deploy version`. "cold" starts from an empty tool cache (a
# GitHub-hosted runner: download, verify, unpack); "cached" runs again on the
# same cache (a self-hosted runner, or a second use in the job). The runner's
# own per-step overhead and the network to github.com are not in these
# numbers. Targets: cold <= 2 s, cached <= 0.3 s (medians).
#
# Needs bash 5 (EPOCHREALTIME), go (unless DIST is set), python3 (the HTTP
# server), curl or wget, tar, sha256sum or shasum.
set -euo pipefail

RUNS=${RUNS:-10}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
server_pid=""
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; fi
	rm -rf "$work"
}
trap cleanup EXIT

need() { command -v "$1" >/dev/null || { echo "startup.sh: $1 is required" >&2; exit 2; }; }
need python3
[ -n "${EPOCHREALTIME:-}" ] || { echo "startup.sh: bash 5 is required (EPOCHREALTIME)" >&2; exit 2; }

case "$(uname -m)" in x86_64 | amd64) arch=amd64 ;; aarch64 | arm64) arch=arm64 ;; *) echo "startup.sh: unsupported CPU" >&2; exit 2 ;; esac
case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) echo "startup.sh: run it on Linux or macOS" >&2; exit 2 ;; esac
sha256() { if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }

release=$work/release
mkdir -p "$release"
if [ -n "${DIST:-}" ]; then
	sums=$(cd "$DIST" && ls -- *_checksums.txt)
	version=${sums#wxcloud-deploy_}
	version=${version%_checksums.txt}
	cp "$DIST/$sums" "$DIST/wxcloud-deploy_${version}_${os}_${arch}.tar.gz" "$release/"
else
	need go
	version=0.0.0-bench
	echo "building wxcloud-deploy $version for $os/$arch ..." >&2
	mkdir -p "$work/pkg"
	(cd "$repo" && CGO_ENABLED=0 go build -trimpath \
		-ldflags "-s -w -X github.com/wxcloud-deploy/wxcloud-deploy/internal/cli.version=$version" \
		-o "$work/pkg/wxcloud-deploy" .)
	cp "$repo/LICENSE" "$repo/README.md" "$work/pkg/"
	# The names and layout goreleaser gives them (.goreleaser.yaml).
	tar -czf "$release/wxcloud-deploy_${version}_${os}_${arch}.tar.gz" -C "$work/pkg" LICENSE README.md wxcloud-deploy
	(cd "$release" && sha256 -- *.tar.gz >"wxcloud-deploy_${version}_checksums.txt")
fi
size=$(wc -c <"$release/wxcloud-deploy_${version}_${os}_${arch}.tar.gz" | tr -d ' ')

# A loopback HTTP server on a free port.
python3 -m http.server 0 --bind 127.0.0.1 --directory "$release" >"$work/http.log" 2>&1 &
server_pid=$!
port=""
for _ in $(seq 1 50); do
	port=$(sed -n 's/.*port \([0-9][0-9]*\).*/\1/p' "$work/http.log" | head -n 1)
	[ -n "$port" ] && break
	sleep 0.1
done
[ -n "$port" ] || { echo "startup.sh: the HTTP server did not start" >&2; cat "$work/http.log" >&2; exit 1; }

# one_run CACHE: both steps once, with CACHE as the runner's tool cache;
# prints the seconds from the install step's start to the binary's first line.
one_run() {
	local cache=$1 gp t0 t1 first
	gp=$(mktemp "$work/add_path.XXXXXX")
	t0=$EPOCHREALTIME
	env RUNNER_TOOL_CACHE="$cache" RUNNER_TEMP="$work" GITHUB_PATH="$gp" \
		WXCLOUD_VERSION="v$version" WXCLOUD_RELEASES_URL="http://127.0.0.1:$port" \
		bash "$repo/.github/install.sh" >"$work/install.log" 2>&1 ||
		{ cat "$work/install.log" >&2; exit 1; }
	# shellcheck disable=SC2016 # expanded by the second step's own bash
	first=$(env GITHUB_PATH_FILE="$gp" bash -c 'PATH="$(head -n 1 "$GITHUB_PATH_FILE"):$PATH"; wxcloud-deploy version' | head -n 1)
	t1=$EPOCHREALTIME
	case "$first" in "wxcloud-deploy $version"*) ;; *) echo "startup.sh: the binary printed \"$first\"" >&2; exit 1 ;; esac
	python3 -c "print(f'{$t1 - $t0:.3f}')"
}

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else printf "%.3f\n", (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
maxof() { sort -n | tail -n 1; }

: >"$work/cold"
: >"$work/cached"
for i in $(seq 1 "$RUNS"); do
	cache="$work/toolcache.$i"
	one_run "$cache" >>"$work/cold"
	one_run "$cache" >>"$work/cached"
done

cold=$(median <"$work/cold")
cached=$(median <"$work/cached")
printf '\nwxcloud-deploy %s, %s/%s, archive %s bytes, %s runs, served on 127.0.0.1:%s\n' "$version" "$os" "$arch" "$size" "$RUNS" "$port"
printf '%-28s %10s %10s %10s\n' "" median max target
printf '%-28s %9ss %9ss %10s\n' "cold (download, verify)" "$cold" "$(maxof <"$work/cold")" "<= 2 s"
printf '%-28s %9ss %9ss %10s\n' "cached (tool cache)" "$cached" "$(maxof <"$work/cached")" "<= 0.3 s"
ok=0
if awk -v c="$cold" 'BEGIN { exit !(c <= 2.0) }'; then echo "cold target met"; else echo "cold target MISSED"; ok=1; fi
if awk -v c="$cached" 'BEGIN { exit !(c <= 0.3) }'; then echo "cached target met"; else echo "cached target MISSED"; ok=1; fi
exit "$ok"
