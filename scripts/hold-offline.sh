#!/usr/bin/env bash
# mf-hold's acceptance at full length (docs/hold.md): a 5-node devnet where
# node5 has three delegates (node1, node2, node3). node5 goes offline for
# OFFLINE seconds (default 600) while node4 sends it COUNT packets (default
# 1000), every tenth certified, spread over that time; node2's mf-hold is
# SIGKILLed halfway. node5 comes back, and the script checks that it
# received every packet exactly once and in order, that the certified ones
# end delivered, and that the live delegates' queues are empty.
#
#   make build && scripts/hold-offline.sh            # 10 minutes offline
#   OFFLINE=20 COUNT=50 scripts/hold-offline.sh      # a quick run
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/bin:$PATH"
OFFLINE=${OFFLINE:-600}
COUNT=${COUNT:-1000}
dir=$(mktemp -d /tmp/mf-hold.XXXXXX)
trap 'mf-route devnet down --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
say() { printf '== %s\n' "$*" >&2; }

mf-route devnet up --nodes 5 --dir "$dir" --hold-delegates 3 >&2
card=$(mf-route --home "$dir/node5" id --card)
peer=$(mf-route --home "$dir/node5" id --json | sed -n 's/.*"peer_id": "\([0-9A-Za-z]*\)".*/\1/p')
addr=$(mf-route --home "$dir/node5" id --json | sed -n 's/.*"address": "\(0x[0-9a-fA-F]*\)".*/\1/p')

say "node5 goes offline for ${OFFLINE}s; node4 sends it $COUNT packets meanwhile"
kill "$(cat "$dir/node5/hold.pid")" "$(cat "$dir/node5/route.pid")"
sleep 2
gap=$(awk -v o="$OFFLINE" -v c="$COUNT" 'BEGIN { printf "%.3f", (o - 10) / c }')
start=$(date +%s)
for i in $(seq -w 1 "$COUNT"); do
  certify=()
  if [ $((10#$i % 10)) -eq 0 ]; then certify=(--certify); fi
  echo "packet $i" | mf-route --home "$dir/node4" send --to "$card" --topic held "${certify[@]}" >/dev/null
  if [ "$i" -eq $((COUNT / 2)) ]; then
    say "SIGKILL node2's mf-hold"
    kill -9 "$(cat "$dir/node2/hold.pid")"
  fi
  sleep "$gap"
done
while [ $(($(date +%s) - start)) -lt "$OFFLINE" ]; do sleep 1; done

say "node5 comes back"
mf-route --home "$dir/node5" daemon >"$dir/node5/route.back.log" 2>&1 &
mf-hold --home "$dir/node5" daemon >"$dir/node5/hold.back.log" 2>&1 &
mf-route --home "$dir/node5" wait
mf-route --home "$dir/node5" listen --topic held --count "$COUNT" --timeout 300s >"$dir/got.txt"
seq -w 1 "$COUNT" | sed 's/^/packet /' >"$dir/want.txt"
cmp "$dir/want.txt" "$dir/got.txt"
say "all $COUNT packets, once each, in order"
if mf-route --home "$dir/node5" listen --topic held --count 1 --timeout 10s >/dev/null 2>&1; then
  echo "a packet came twice" >&2
  exit 1
fi
certified=$((COUNT / 10))
for _ in $(seq 1 120); do
  if [ "$(mf-route --home "$dir/node4" receipts --json | grep -c '"status": "delivered"')" -ge "$certified" ]; then break; fi
  sleep 1
done
[ "$(mf-route --home "$dir/node4" receipts --json | grep -c '"status": "delivered"')" -ge "$certified" ]
say "all $certified certified packets delivered"
for n in 1 3; do
  for _ in $(seq 1 120); do
    if mf-hold --home "$dir/node$n" held "$addr" --json | grep -q '^\[\]'; then break; fi
    sleep 1
  done
  mf-hold --home "$dir/node$n" held "$addr" --json | grep -q '^\[\]'
  mf-hold --home "$dir/node$n" account
  # node$n's mf-swap has booked the time held: node5 owes it, or paid it
  for _ in $(seq 1 120); do
    if mf-swap --home "$dir/node$n" balance "$peer" --json | grep -q '"balance": "[1-9]'; then break; fi
    sleep 1
  done
  mf-swap --home "$dir/node$n" balance "$peer"
  mf-swap --home "$dir/node$n" balance "$peer" --json | grep -q '"balance": "[1-9]'
done
say "the live delegates' queues are empty, and their mf-swap books the time held as owed by node5"
