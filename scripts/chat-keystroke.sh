#!/bin/bash
# Keystroke to screen and the window's idle CPU (docs/benchmarks.md,
# "mf-chat"): two mf-chat windows in tmux on a 3-node devnet; KEYSTROKES
# random words typed into alice's window are timed until each shows in
# bob's, then each window's clock ticks are counted over IDLE_SECONDS.
# Run from the repo root:
#   scripts/chat-keystroke.sh [KEYSTROKES] [IDLE_SECONDS]
set -eu
n=${1:-21}
idle=${2:-20}
command -v tmux >/dev/null || { echo "tmux is needed" >&2; exit 1; }
make -s build
bin=$PWD/bin
dir=$(mktemp -d)
sock=mfks$$
t() { tmux -L "$sock" "$@"; }
trap 't kill-server 2>/dev/null || true; "$bin/mf-route" devnet down --dir "$dir" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
"$bin/mf-route" devnet up --nodes 3 --no-swap --dir "$dir" >/dev/null 2>&1
a=$dir/node1 b=$dir/node2
"$bin/mf-chat" --home "$a" wait
"$bin/mf-chat" --home "$b" wait
"$bin/mf-chat" --home "$a" add bob "$("$bin/mf-route" --home "$b" id --card)" >/dev/null
"$bin/mf-chat" --home "$b" add alice "$("$bin/mf-route" --home "$a" id --card)" >/dev/null
"$bin/mf-chat" --home "$a" send bob hello >/dev/null
sleep 2
t new-session -d -s a -x 80 -y 24 "env TERM=xterm-256color MF_HOME=$a $bin/mf-chat; sleep 3600"
t new-session -d -s b -x 80 -y 24 "env TERM=xterm-256color MF_HOME=$b $bin/mf-chat; sleep 3600"
sleep 3
for _ in $(seq "$n"); do
  w=w$RANDOM$RANDOM
  t0=$(date +%s%N)
  t send-keys -t a -l "$w"
  t send-keys -t a Enter
  until t capture-pane -p -t b | grep -q "$w"; do
    if [ $(( $(date +%s%N) - t0 )) -gt 30000000000 ]; then echo "$w did not show in 30 s" >&2; exit 1; fi
  done
  echo $(( ($(date +%s%N) - t0) / 1000000 ))
  sleep 0.5
done | sort -n | awk '{ms[NR] = $1} END {printf "keystroke to screen: p50 %d ms, p90 %d ms, of %d\n", ms[int((NR + 1) / 2)], ms[int(NR * 0.9)], NR}'
windows=$(pgrep -xf "$bin/mf-chat")
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
declare -A t0
for p in $windows; do t0[$p]=$(ticks "$p"); done
sleep "$idle"
hz=$(getconf CLK_TCK)
for p in $windows; do
  d=$(( $(ticks "$p") - ${t0[$p]} ))
  awk -v d="$d" -v hz="$hz" -v s="$idle" -v p="$p" 'BEGIN { printf "window %s: %d ticks over %d s, %.2f %% of a core\n", p, d, s, d * 100 / hz / s }'
done
