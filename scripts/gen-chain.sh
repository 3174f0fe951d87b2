#!/usr/bin/env bash
# Regenerate pkg/chain's contract artefacts into DIR (default pkg/chain):
# DIR/build/<Contract>.{abi,bin} from scripts/solc.sh, then the Go bindings
# DIR/bind_<contract>.go from abigen at the go-ethereum version in go.mod
# (`go tool abigen`, declared by the tool directive in go.mod).
# Run by `go generate ./pkg/chain/`; scripts/check-generated.sh runs it into a
# temporary directory and compares.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
dir=${1:-$root/pkg/chain}
mkdir -p "$dir/build"
dir=$(cd "$dir" && pwd)

"$root/scripts/solc.sh" "$dir/build"
cd "$root"
for t in MFT Checkbook CheckbookFactory StakeRegistry Court Names; do
  lower=$(echo "$t" | tr '[:upper:]' '[:lower:]')
  go tool abigen --abi "$dir/build/$t.abi" --bin "$dir/build/$t.bin" \
    --pkg chain --type "$t" --out "$dir/bind_$lower.go"
  chmod 0644 "$dir/bind_$lower.go"
done
