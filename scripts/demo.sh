#!/usr/bin/env bash
# The main job: a 5-node devnet on 127.0.0.1, with the embedded chain and
# every service daemon per node. node1 sends node5 an encrypted message that
# node5 prints; node1 sends enough traffic that node5 invoices it, node1 pays
# with a cheque and node5 cashes it on chain; node1 stores a file that node5
# fetches from the storers; node1 chats with node5; node5 goes offline, node4
# sends it a message that node5's mf-hold delegates keep, and node5 gets it
# when it is back; then the devnet stops.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PWD/bin:$PATH"
dir=$(mktemp -d /tmp/mf-demo.XXXXXX)
trap 'mf-route devnet down --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

say() { printf '\n== %s\n' "$*" >&2; }

say "starting 5 mf-route daemons in $dir"
mf-route devnet up --nodes 5 --dir "$dir" --hold-delegates 3
mf-route devnet status --dir "$dir"

overlay5=$(mf-route --home "$dir/node5" id | awk '/^overlay/ {print $2}')
say "node1 sends node5 a sealed packet, addressed by node5's overlay address (looked up in the DHT)"
echo "hello node5, this is node1" | mf-route --home "$dir/node1" send --to "$overlay5" --topic demo

say "node5 prints what it received on topic 'demo':"
mf-route --home "$dir/node5" listen --topic demo --count 1

say "node1 sends node5 1.2 MB more; node5 invoices node1 for it, node1 pays with a cheque, node5 cashes it on chain"
mf-route --home "$dir/node1" bench --to "$overlay5" --count 300 --size 4096 | sed -n '1p;3,4p'
for i in $(seq 1 60); do
  if mf-swap --home "$dir/node5" cheques --json | grep -q '"cashed": "[1-9]'; then break; fi
  sleep 0.5
done
say "node5's cheques (received from node1, and cashed on chain):"
mf-swap --home "$dir/node5" cheques
say "node1's cheques (issued to node5) and its checkbook:"
mf-swap --home "$dir/node1" cheques
mf-swap --home "$dir/node1" status | grep balance
say "balances as both sides see them (positive: the peer owes this node):"
mf-swap --home "$dir/node1" balance
mf-swap --home "$dir/node5" balance

say "node1 stores a 3 MiB file (encrypted, three copies of each chunk on the storers nearest it); node5 fetches it"
head -c 3145728 /dev/urandom > "$dir/file.bin"
ref=$(mf-store --home "$dir/node1" put "$dir/file.bin" --wait-sworn)
echo "reference: ${ref:0:32}…"
mf-store --home "$dir/node5" get "$ref" -o "$dir/copy.bin"
cmp "$dir/file.bin" "$dir/copy.bin" && echo "node5's copy is byte-identical"

say "node1 and node5 exchange cards, and chat over an mf-route session"
mf-route --home "$dir/node1" contacts add node5 "$(mf-route --home "$dir/node5" id --card)" >/dev/null 2>&1
mf-route --home "$dir/node5" contacts add node1 "$(mf-route --home "$dir/node1" id --card)" >/dev/null 2>&1
mf-chat --home "$dir/node1" send node5 "lunch at noon?" --wait delivered
for i in $(seq 1 60); do
  if mf-chat --home "$dir/node5" read node1 | grep -q lunch; then break; fi
  sleep 0.5
done
mf-chat --home "$dir/node5" read node1

say "node5 goes offline; node4 sends it a message, which node5's delegates (node1, node2, node3) hold"
card5=$(mf-route --home "$dir/node5" id --card)
kill "$(cat "$dir/node5/hold.pid")" "$(cat "$dir/node5/route.pid")"
sleep 2
echo "sent while you were away" | mf-route --home "$dir/node4" send --to "$card5" --topic away
for i in $(seq 1 60); do
  if mf-hold --home "$dir/node1" held "$(mf-route --home "$dir/node5" id | awk '/^address/ {print $2}')" --json | grep -q '"id"'; then break; fi
  sleep 0.5
done
mf-hold --home "$dir/node1" clients
say "node5 comes back, fetches what its delegates held, and prints it:"
env -u MF_LISTEN -u MF_BOOTSTRAP mf-route --home "$dir/node5" daemon 2>>"$dir/node5/route.log" &
mf-hold --home "$dir/node5" daemon 2>>"$dir/node5/hold.log" &
mf-route --home "$dir/node5" wait
mf-route --home "$dir/node5" listen --topic away --count 1 --timeout 60s

say "stopping the devnet"
