package chain

// The contracts in contracts/ are compiled with the solc pinned in the
// repository's package-lock.json (npm ci first) into build/, and bound with
// abigen into bind_*.go. scripts/check-generated.sh checks the committed
// files are current.
//go:generate ../../scripts/gen-chain.sh .
