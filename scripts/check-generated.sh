#!/usr/bin/env bash
# Check that pkg/chain's generated files (build/*.abi, build/*.bin and the
# abigen bindings bind_*.go) are what `go generate ./pkg/chain/` makes of the
# Solidity sources, by regenerating into a temporary directory and diffing.
#
# Needs node and the pinned solc (`npm ci` at the repository root). Without
# them it says so and exits 0, unless MF_REQUIRE_SOLC=1 (CI) makes that a
# failure. Exit status: 0 current (or skipped), 1 stale or failed.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if ! command -v node >/dev/null 2>&1 || [ ! -f node_modules/solc/soljson.js ]; then
  msg="check-generated: skipped: node or the pinned solc is missing (install Node 20+, then npm ci)"
  if [ "${MF_REQUIRE_SOLC:-}" = 1 ]; then
    echo "${msg/skipped: /error: }" >&2
    exit 1
  fi
  echo "$msg" >&2
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
scripts/gen-chain.sh "$tmp"

stale=0
for f in "$tmp"/build/* "$tmp"/bind_*.go; do
  rel=${f#"$tmp"/}
  if ! cmp -s "pkg/chain/$rel" "$f"; then
    echo "check-generated: pkg/chain/$rel is stale" >&2
    case $rel in
    *.bin) ;; # one long line of hex: a diff says nothing more
    *) diff -u "pkg/chain/$rel" "$f" | cut -c1-160 | head -n 40 >&2 || true ;;
    esac
    stale=1
  fi
done
# Files committed but no longer generated.
for f in pkg/chain/build/* pkg/chain/bind_*.go; do
  rel=${f#pkg/chain/}
  if [ ! -e "$tmp/$rel" ]; then
    echo "check-generated: $f is no longer generated" >&2
    stale=1
  fi
done
if [ "$stale" = 1 ]; then
  echo "check-generated: run go generate ./pkg/chain/ and commit the result" >&2
  exit 1
fi
echo "check-generated: pkg/chain generated files are current"
