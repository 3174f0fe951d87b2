#!/usr/bin/env bash
# The main job: a 5-node devnet on 127.0.0.1 where node1 sends node5 an
# encrypted message that node5 prints; then the devnet stops.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/bin:$PATH"
dir=$(mktemp -d /tmp/mf-demo.XXXXXX)
trap 'mf-route devnet down --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

say() { printf '\n== %s\n' "$*" >&2; }

say "starting 5 mf-route daemons in $dir"
mf-route devnet up --nodes 5 --dir "$dir"
mf-route devnet status --dir "$dir"

overlay5=$(mf-route --home "$dir/node5" id | awk '/^overlay/ {print $2}')
say "node1 sends node5 a sealed packet, addressed by node5's overlay address (looked up in the DHT)"
echo "hello node5, this is node1" | mf-route --home "$dir/node1" send --to "$overlay5" --topic demo

say "node5 prints what it received on topic 'demo':"
mf-route --home "$dir/node5" listen --topic demo --count 1

say "stopping the devnet"
