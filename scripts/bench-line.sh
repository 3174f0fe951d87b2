#!/bin/sh
# Every figure of mf-route's load targets in one run (docs/benchmarks.md,
# "Every target in one run"): a 5-node line (node1 to node5, 4 hops, mf-route
# only), 4 KiB payloads unless said. Run from the repo root:
#   scripts/bench-line.sh [IDLE_SECONDS]
# It prints a Markdown table, and the machine's load average before and
# after, since the cores are shared.
set -eu
idle=${1:-60}
make -s build
bin=$PWD/bin/mf-route
dir=$(mktemp -d)
trap '"$bin" devnet down --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
load0=$(cut -d' ' -f1-3 /proc/loadavg)
"$bin" devnet up --nodes 5 --topology line --no-swap --no-chat --dir "$dir" >/dev/null 2>&1

# rss NODE: resident set of NODE's mf-route, in MB.
rss() { awk '/^VmRSS/ {printf "%.1f", $2/1024}' "/proc/$(cat "$dir/$1/route.pid")/status"; }
# ticks NODE: user+system CPU of NODE's mf-route, in clock ticks.
ticks() { awk '{print $14 + $15}' "/proc/$(cat "$dir/$1/route.pid")/stat"; }
# allticks: the five daemons' ticks added up.
allticks() { t=0; for i in 1 2 3 4 5; do t=$((t + $(ticks node$i))); done; echo $t; }
hz=$(getconf CLK_TCK)

# Idle: a relay (node3) 30 s after the start, over IDLE seconds.
sleep 30
rss_idle=$(rss node3)
t0=$(ticks node3)
sleep "$idle"
cpu_idle=$(awk -v a="$t0" -v z="$(ticks node3)" -v hz="$hz" -v s="$idle" 'BEGIN { printf "%.2f", (z - a) * 100 / hz / s }')

card=$("$bin" --home "$dir/node5" id --card)
"$bin" --home "$dir/node5" contacts add bench1 "$("$bin" --home "$dir/node1" id --card)" >/dev/null 2>&1
bench() { "$bin" --home "$dir/node1" bench --to "$card" --json "$@"; }
# field JSON NAME: a number from bench's JSON.
field() { printf '%s' "$1" | tr -d ' \n' | sed -n "s/.*\"$2\":\([0-9.e+-]*\).*/\1/p"; }
f1() { printf '%.1f' "$1"; }
f0() { printf '%.0f' "$1"; }

light=$(bench --count 300 --rate 100)
c0=$(allticks)
full=$(bench --count 10000)
cpu_full=$(awk -v a="$c0" -v z="$(allticks)" -v hz="$hz" 'BEGIN { printf "%.1f", (z - a) / hz }')
stream=$(bench --count 10000 --stream)
big=$(bench --count 1000 --size 65536 --stream)
sess=$(bench --count 10000 --stream --session)
rss_after=$(rss node3)
load1=$(cut -d' ' -f1-3 /proc/loadavg)

lost=$(( $(field "$light" lost) + $(field "$full" lost) + $(field "$stream" lost) + $(field "$big" lost) + $(field "$sess" lost) ))
mib=$(awk -v p="$(field "$big" packets_per_second)" 'BEGIN { printf "%.1f", p * 65536 / 1048576 }')
cat <<EOF
| target | measured | goal |
|---|---|---|
| throughput, 10,000 packets, one call each | $(f0 "$(field "$full" packets_per_second)") packets/s | ≥ 4,000 |
| throughput, 10,000 packets, --stream | $(f0 "$(field "$stream" packets_per_second)") packets/s | ≥ 4,000 |
| p50 / p99 at full load, one call each | $(f1 "$(field "$full" p50_ms)") / $(f1 "$(field "$full" p99_ms)") ms | p99 ≤ 30 ms |
| p50 / p99 at full load, --stream | $(f1 "$(field "$stream" p50_ms)") / $(f1 "$(field "$stream" p99_ms)") ms | p99 ≤ 30 ms |
| p50 / p99 at 100 packets/s | $(field "$light" p50_ms) / $(field "$light" p99_ms) ms | ≤ 1.1 / ≤ 5 ms |
| 64 KiB, 1,000 packets, --stream | $mib MiB/s | ≥ 50 MiB/s |
| session, 10,000 packets, --stream | $(f0 "$(field "$sess" packets_per_second)") packets/s (p99 $(f1 "$(field "$sess" p99_ms)") ms) | ≥ 8,000 |
| RSS of a relay (node3), idle / after the runs | $rss_idle / $rss_after MB | ≤ 40 / ≤ 60 MB |
| CPU of an idle relay (node3), over $idle s | $cpu_idle % of a core | ≤ 0.3 % |
| CPU seconds of the 5 daemons for the 10,000 calls | $cpu_full s | |
| lost, all runs | $lost | 0 |

load average before: $load0; after: $load1 (2 cores)
EOF
