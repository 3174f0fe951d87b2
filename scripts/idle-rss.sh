#!/bin/sh
# Binary sizes, and each daemon's idle RSS on a 3-node devnet 5 s after it
# started (docs/benchmarks.md, "What each binary costs"). Run from the repo
# root: scripts/idle-rss.sh
set -eu
make -s build
echo "binary sizes (bytes):"
for b in bin/mf-*; do printf '  %-10s %s\n' "${b#bin/}" "$(stat -c %s "$b")"; done

dir=$(mktemp -d)
trap 'bin/mf-route devnet down --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
bin/mf-route devnet up --nodes 3 --dir "$dir" >/dev/null 2>&1 &
up=$!

# rss PIDFILE: wait for the daemon, then for it to be 5 s old, and print
# its resident set in MB.
rss() {
	while [ ! -s "$1" ]; do sleep 0.1; done
	pid=$(cat "$1")
	while [ "$(ps -o etimes= -p "$pid" | tr -d ' ')" -lt 5 ]; do sleep 0.2; done
	awk '/^VmRSS/ {printf "%.1f MB", $2/1024}' "/proc/$pid/status"
}
echo "idle RSS, 5 s after start:"
for i in 1 2 3; do
	for d in route swap court; do
		printf '  node%s %-6s %s\n' "$i" "$d" "$(rss "$dir/node$i/$d.pid")"
	done
done
printf '  chain        %s\n' "$(rss "$dir/chain/chain.pid")"
wait "$up"
