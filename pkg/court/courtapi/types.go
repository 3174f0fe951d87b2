package courtapi

import "path/filepath"

// Agreement is a staked service agreement.
type Agreement struct {
	ID       string `json:"id"`
	Service  string `json:"service"`
	Provider string `json:"provider"`
	Client   string `json:"client"`
	Amount   string `json:"amount"`
	Term     int64  `json:"term"`
	Status   string `json:"status"`
	CaseOpen bool   `json:"case_open"`
}

// StakeRequest stakes Amount (base units) for Service with Client until
// Term (unix seconds).
type StakeRequest struct {
	Service string `json:"service"`
	Client  string `json:"client"`
	Amount  string `json:"amount"`
	Term    int64  `json:"term"`
}

// IDRequest names an agreement or case.
type IDRequest struct {
	ID string `json:"id"`
}

// PromiseRequest: the provider promises to hold Data under Key for an
// agreement, and mf-court keeps Data to answer cases with.
//
// Or, for data a service holds itself (mf-store's chunks): no Data, but the
// Root and Chunks of the data's tree (pkg/proof). mf-court then keeps
// nothing; it asks the service that the agreement names for the chunks a
// case or a witness needs, on that service's own socket (the proof
// convention below), and signs only once that service proves a chunk of
// the promise.
//
// The proof convention, served by a service on $MF_HOME/SERVICE.sock:
//
//	GET /v0/proof?key=<64 hex: keccak256 of the promise's Key>&index=<i>,<j>,...
//	    → 200 with chunks i, j, ... of the promised data and their Merkle
//	      paths in pkg/proof's wire form; 404 when the service holds no
//	      such promise
//	GET /v0/release?key=<64 hex>
//	    → 200 with a ReleaseAnswer: the client released the promise (it
//	      said it has the data), and a case on it is dismissed with that;
//	      404 when it did not (only a service whose clients release, as
//	      mf-hold's do with their received-lists, serves it)
type PromiseRequest struct {
	Agreement string `json:"agreement"`
	Key       string `json:"key"`
	Data      []byte `json:"data,omitempty"`
	Root      string `json:"root,omitempty"`   // 64 hex digits, with Chunks: data the service holds
	Chunks    uint64 `json:"chunks,omitempty"` // chunks of 4 KiB under Root
}

// Claim is what a client opens a case with: the provider's signed promise
// that it holds, under Key, data whose Merkle root over Chunks chunks of
// 4 KiB is Root (pkg/proof).
type Claim struct {
	Agreement string `json:"agreement"`
	Key       string `json:"key"`    // 32 bytes hex
	Root      string `json:"root"`   // Merkle root of the data, 32 bytes hex
	Chunks    uint64 `json:"chunks"` // number of chunks
	Signature string `json:"signature"`
}

// CaseRequest opens a case on a claim: a promise case (the court
// challenges the provider) when Witnesses is 0, else a witness case whose
// panel of Witnesses (odd, at most 7) the court draws from its pool.
type CaseRequest struct {
	Claim     Claim `json:"claim"`
	Witnesses int   `json:"witnesses,omitempty"`
}

// WitnessRequest joins (true) or leaves (false) the court's witness pool.
type WitnessRequest struct {
	Join bool `json:"join"`
}

// WitnessInfo is this node's place in the court's witness pool.
type WitnessInfo struct {
	Address  string `json:"address"`
	InPool   bool   `json:"in_pool"`
	Balance  string `json:"balance"` // witness stake held, base units
	Stake    string `json:"stake"`   // what joining locks, base units
	Penalty  string `json:"penalty"` // what silence costs, base units
	Pending  uint64 `json:"pending"` // open cases this node is called in
	PoolSize int    `json:"pool_size"`
}

// CaseInfo is a case as the court records it.
type CaseInfo struct {
	ID        string `json:"id"`
	Agreement string `json:"agreement"`
	Kind      string `json:"kind"`
	Status    string `json:"status"`
	Plaintiff string `json:"plaintiff"`
	Provider  string `json:"provider"`
	Deadline  int64  `json:"deadline"`
	Root      string `json:"root"`
	Chunks    uint64 `json:"chunks"`
	// Witnesses are the panel drawn (witness cases, once drawn).
	Witnesses []string `json:"witnesses,omitempty"`
}

// Record is an address's trust record.
type Record struct {
	Address string `json:"address"`
	Against uint64 `json:"verdicts_against"`
	For     uint64 `json:"verdicts_for"`
}

// SocketPath is the API socket of home's mf-court.
func SocketPath(home string) string { return filepath.Join(home, SocketName) }

// Files of mf-court inside a home that its clients need.
const (
	SocketName = "court.sock"
	PIDName    = "court.pid"
)

// ChunksAnswer is a provider's answer to a witness: the chunks asked for,
// with their Merkle paths, in pkg/proof's wire form.
type ChunksAnswer struct {
	Proofs []byte `json:"proofs"`
}

// ReleaseAnswer is the client's release of a promise, as a service that
// deleted the data on its word keeps it: the client's signature over the
// Court's Release(Agreement, Root, Count), and the Merkle path (hex
// hashes, from the leaf up) showing the promise's key is leaf Index.
type ReleaseAnswer struct {
	Agreement string   `json:"agreement"`
	Root      string   `json:"root"`
	Count     uint64   `json:"count"`
	Index     uint64   `json:"index"`
	Path      []string `json:"path"`
	Signature string   `json:"signature"`
}
