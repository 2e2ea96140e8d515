#!/usr/bin/env bash
# bench/pack.sh: time our packer against Info-ZIP and Go's archive/zip on a
# real npm dependency tree (GitHub issue 3, "Must show").
#
#   bench/pack.sh            # 15 timed runs per tool
#   RUNS=30 bench/pack.sh
#   TREE=/path/to/dir bench/pack.sh   # reuse a tree instead of npm install
#
# Needs go, npm (unless TREE is set), zip, unzip, /usr/bin/time; uses hyperfine
# when installed (apt-get install -y hyperfine), else runs the tools in turn
# RUNS times and takes each one's median. Every tool is pinned to two cores
# (taskset -c 0,1, GOMAXPROCS=2): the size of a GitHub-hosted runner.
set -euo pipefail

RUNS=${RUNS:-15}
repo=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

need() { command -v "$1" >/dev/null || { echo "pack.sh: $1 is required" >&2; exit 2; }; }
need go; need zip; need unzip
[ -x /usr/bin/time ] || { echo "pack.sh: /usr/bin/time is required (apt-get install time)" >&2; exit 2; }

if [ -n "${TREE:-}" ]; then
	tree=$(cd "$TREE" && pwd)
else
	need npm
	tree=$work/tree
	mkdir -p "$tree"
	echo "npm install lodash dayjs axios moment rxjs into $tree ..." >&2
	(cd "$tree" && npm init -y >/dev/null && npm install --no-audit --no-fund --silent lodash dayjs axios moment rxjs >&2)
fi

echo "building the bench programs ..." >&2
(cd "$repo" && go build -o "$work/packbench" ./bench/packbench && go build -o "$work/stdzip" ./bench/stdzip)

pin=()
if command -v taskset >/dev/null; then pin=(taskset -c "0,1"); fi
export GOMAXPROCS=2

# name|command (run by a shell in $tree); each writes $work/<name>.zip. Both Go
# programs pack everything, node_modules re-included past the default exclude
# (files: "**" and "node_modules/**"), with no entry-file check.
tools=(
	"wxcloud-deploy pack|${pin[*]} $work/packbench -root . -entry - -out $work/ours.zip"
	"zip -r -X -q|rm -f $work/infozip.zip && ${pin[*]} zip -r -X -q $work/infozip.zip ."
	"Go archive/zip|${pin[*]} $work/stdzip . $work/std.zip"
	"zip -r -X -q -D (no dir entries)|rm -f $work/infozipD.zip && ${pin[*]} zip -r -X -q -D $work/infozipD.zip ."
)
outs=(ours infozip std infozipD)

cd "$tree"
# The packer reads files: a cold page cache would time the disk, not the tools.
for t in "${tools[@]}"; do bash -c "${t#*|}" >/dev/null; done

declare -A median
if command -v hyperfine >/dev/null; then
	args=()
	for t in "${tools[@]}"; do args+=(-n "${t%%|*}" "${t#*|}"); done
	hyperfine --style basic -w 2 -r "$RUNS" --export-csv "$work/h.csv" "${args[@]}" >&2
	# CSV columns: command,mean,stddev,median,user,system,min,max (seconds)
	while IFS=, read -r name _ _ med _; do
		[ "$name" = command ] && continue
		median[$name]=$(awk -v s="$med" 'BEGIN { printf "%.0f", s * 1000 }')
	done <"$work/h.csv"
	timer="hyperfine, $RUNS runs + 2 warm-up"
else
	# Round robin, so load from elsewhere on the machine hits every tool alike.
	declare -A samples
	for ((r = 0; r < RUNS; r++)); do
		for t in "${tools[@]}"; do
			s=$(date +%s%N)
			bash -c "${t#*|}" >/dev/null
			e=$(date +%s%N)
			samples[${t%%|*}]+="$(((e - s) / 1000000)) "
		done
	done
	for t in "${tools[@]}"; do
		n=${t%%|*}
		median[$n]=$(tr ' ' '\n' <<<"${samples[$n]}" | sed '/^$/d' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
	done
	timer="median of $RUNS round-robin runs"
fi

# Peak RSS: median of three runs under /usr/bin/time.
declare -A rss
for t in "${tools[@]}"; do
	n=${t%%|*}
	vals=()
	for _ in 1 2 3; do
		/usr/bin/time -f '%M' -o "$work/rss" bash -c "${t#*|}" >/dev/null
		vals+=("$(tail -1 "$work/rss")")
	done
	rss[$n]=$(printf '%s\n' "${vals[@]}" | sort -n | sed -n 2p)
done

for o in "${outs[@]}"; do
	unzip -tq "$work/$o.zip" >/dev/null || { echo "pack.sh: $o.zip does not test clean" >&2; exit 1; }
done

size() { stat -c %s "$1"; }
base=$(size "$work/infozip.zip")
basetime=${median["zip -r -X -q"]}
nfiles=$(unzip -Z1 "$work/ours.zip" | wc -l)
raw=$(unzip -l "$work/ours.zip" | tail -1 | awk '{ print $1 }')

echo
echo "Input: npm tree (lodash dayjs axios moment rxjs), $nfiles files, $raw bytes; $(nproc) CPUs, pinned to 2 (taskset -c 0,1, GOMAXPROCS=2); $timer; load average $(cut -d' ' -f1-3 /proc/loadavg)."
echo
echo "| tool | median time | vs zip -r | zip size | size vs zip -r | peak RSS |"
echo "|---|---:|---:|---:|---:|---:|"
i=0
for t in "${tools[@]}"; do
	n=${t%%|*}
	o=${outs[$i]}
	i=$((i + 1))
	s=$(size "$work/$o.zip")
	awk -v n="$n" -v ms="${median[$n]}" -v bt="$basetime" -v s="$s" -v b="$base" -v kb="${rss[$n]}" 'BEGIN {
		printf "| %s | %d ms | %.1fx faster | %d | %+.1f%% | %.1f MiB |\n", n, ms, bt / ms, s, (s - b) * 100 / b, kb / 1024
	}'
done
ours=$(size "$work/ours.zip")
awk -v s="$ours" -v kb="${rss["wxcloud-deploy pack"]}" -v b="$base" -v ms="${median["wxcloud-deploy pack"]}" -v bt="$basetime" 'BEGIN {
	budget = 1.5 * s / 1048576 + 32
	printf "\nTargets: >= 3x faster than zip -r: %.1fx %s; size <= +5%%: %+.1f%% %s; peak RSS <= 1.5x zip + 32 MiB (%.1f MiB): %.1f MiB %s\n",
		bt / ms, (bt / ms >= 3 ? "ok" : "MISSED"), (s - b) * 100 / b, ((s - b) * 100 / b <= 5 ? "ok" : "MISSED"),
		budget, kb / 1024, (kb / 1024 < budget ? "ok" : "MISSED")
}'
