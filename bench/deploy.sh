#!/usr/bin/env bash
# bench/deploy.sh: whole deploys of the real binary against the emulator with
# latency on every call (bench/emuserve), measured by bench/deploybench. Each
# deploy is its own process: its wall time is start to exit, its peak RSS the
# kernel's (ru_maxrss); the emulator counts the calls. See bench/README.md for
# each target and how its "ideal" is derived.
#
#   bench/deploy.sh                # latency, memory and scale
#   bench/deploy.sh latency        # issues 4/11: 20 functions x 3 envs, 100 ms a call, both providers
#   bench/deploy.sh scale          # issue 15: 1 function x 2,000 envs, 50 ms a call, wechat; and --shard 1/4
#   bench/deploy.sh memory         # issue 12: 50 functions x 5 envs, 4 MiB of random data each, both providers
#
# Environment: RUNS (runs per case: latency 5, memory 3, scale 3), PROVIDER
# (wechat, tencentcloud or both), MAX_RPS (the max-rps of the deploys: latency
# and memory 1000, scale the product's default), BLOB_MIB (memory, default
# 4), ENVS (scale, default 2000), VERBOSE=1 (each deploy's phase lines),
# KEEP=1 (keep the functions and the deploy logs). Exits 1 when a target is
# missed.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin=$(mktemp -d)
trap 'rm -rf "$bin"' EXIT

echo "building wxcloud-deploy, emuserve and deploybench ..." >&2
(cd "$repo" && go build -o "$bin/wxcloud-deploy" . &&
	go build -o "$bin/emuserve" ./bench/emuserve &&
	go build -o "$bin/deploybench" ./bench/deploybench)

scenarios=("$@")
if [ ${#scenarios[@]} -eq 0 ]; then scenarios=(latency memory scale); fi

echo "machine: $(nproc) cores; load average $(cut -d' ' -f1-3 /proc/loadavg)"
# The numbers belong to the tree that was built: say which.
if tree=$(git -C "$repo" rev-parse --short HEAD 2>/dev/null); then
	dirty=$(git -C "$repo" status --porcelain -- . ':!bench' | awk '{print $2}' | paste -sd' ' -)
	echo "built from $tree${dirty:+ plus uncommitted changes in: $dirty}"
fi
status=0
for s in "${scenarios[@]}"; do
	args=(-bin "$bin/wxcloud-deploy" -emuserve "$bin/emuserve" -scenario "$s")
	case "$s" in
	latency) args+=(-runs "${RUNS:-5}") ;;
	memory) args+=(-runs "${RUNS:-3}" -blob-mib "${BLOB_MIB:-4}") ;;
	scale) args+=(-runs "${RUNS:-3}" -envs "${ENVS:-2000}") ;;
	*) echo "deploy.sh: unknown benchmark $s (latency, scale or memory)" >&2; exit 2 ;;
	esac
	if [ "$s" != scale ]; then args+=(-provider "${PROVIDER:-both}"); fi
	if [ -n "${MAX_RPS:-}" ]; then args+=(-max-rps "$MAX_RPS"); fi
	if [ -n "${VERBOSE:-}" ]; then args+=(-v); fi
	if [ -n "${KEEP:-}" ]; then args+=(-keep); fi
	echo
	"$bin/deploybench" "${args[@]}" || status=1
done
exit $status
