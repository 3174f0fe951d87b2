#!/bin/sh
# CPU each daemon of node1 uses while nothing happens, on a 3-node devnet
# with every service, 30 s after it started, over 60 s (docs/benchmarks.md,
# "Idle CPU"). Run from the repo root: scripts/idle-cpu.sh [SECONDS]
set -eu
secs=${1:-60}
make -s build
dir=$(mktemp -d)
trap 'bin/mf-route devnet down --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
bin/mf-route devnet up --nodes 3 --dir "$dir" >/dev/null 2>&1
sleep 30
# ticks PIDFILE: user+system CPU of the process, in clock ticks.
ticks() { awk '{print $14 + $15}' "/proc/$(cat "$1")/stat"; }
hz=$(getconf CLK_TCK)
files="$dir/node1/route.pid $dir/node1/swap.pid $dir/node1/court.pid $dir/node1/db.pid $dir/node1/store.pid $dir/node1/hold.pid $dir/node1/chat.pid $dir/chain/chain.pid"
before=""
for f in $files; do
	[ -s "$f" ] && before="$before $(ticks "$f")" || before="$before -"
done
sleep "$secs"
echo "idle CPU over $secs s, % of one core:"
set -- $before
for f in $files; do
	b=$1
	shift
	[ "$b" = - ] && continue
	name=$(basename "$f" .pid)
	awk -v a="$b" -v z="$(ticks "$f")" -v hz="$hz" -v s="$secs" -v n="$name" 'BEGIN { printf "  %-6s %5.2f %%\n", n, (z - a) * 100 / hz / s }'
done
