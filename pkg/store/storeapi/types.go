package storeapi

import (
	"path/filepath"
	"time"
)

// Files of mf-store inside a home that its clients need.
const (
	SocketName = "store.sock"
	PIDName    = "store.pid"
)

// SocketPath is the API socket of home's mf-store.
func SocketPath(home string) string { return filepath.Join(home, SocketName) }

// Service is mf-store's name in manifests, agreements and the gateway.
const Service = "store"

// DefaultCopies is how many storers keep each chunk: any two of them may
// be lost (docs/store.md).
const DefaultCopies = 3

// PutResult is what a put stored.
type PutResult struct {
	Ref    string `json:"ref"`
	Size   uint64 `json:"size"`
	Chunks int    `json:"chunks"` // chunks of the tree: data, nodes and root
	Copies int    `json:"copies"`
	// Sent counts the chunk copies that moved, Present those a storer
	// already held (a put run again moves only what is missing);
	// BytesSent the bytes that moved.
	Sent      int      `json:"copies_sent"`
	Present   int      `json:"copies_present"`
	BytesSent int64    `json:"bytes_sent"`
	Storers   []string `json:"storers"`
	// Short counts the chunks that got fewer copies than asked (too few
	// storers took them); Warnings say why, one line per storer.
	Short    int      `json:"copies_short"`
	Warnings []string `json:"warnings,omitempty"`
	// Claims are the storers' signed promises (empty when no storer
	// could swear: no mf-court, or no funds).
	Claims []Claim `json:"claims,omitempty"`
	// SwearErrors says why storers did not swear.
	SwearErrors []string `json:"swear_errors,omitempty"`
}

// StatInfo describes a file.
type StatInfo struct {
	Ref        string `json:"ref"` // without the key
	Size       uint64 `json:"size"`
	Encrypted  bool   `json:"encrypted"`
	DataChunks uint64 `json:"data_chunks"`
	Chunks     uint64 `json:"chunks"`
	Depth      int    `json:"depth"`
	Local      uint64 `json:"local_chunks"` // held by this node
	Name       string `json:"name,omitempty"`
	Pinned     bool   `json:"pinned"`
	// Claims are the storers' promises this node keeps for the file.
	Claims []Claim `json:"claims"`
}

// FileInfo is a file this node put or pinned.
type FileInfo struct {
	Ref     string    `json:"ref"`
	Name    string    `json:"name,omitempty"`
	Size    uint64    `json:"size"`
	Pinned  bool      `json:"pinned"`
	Created time.Time `json:"created"`
}

// RefRequest names a file.
type RefRequest struct {
	Ref string `json:"ref"`
}

// AuditRequest audits a file's storers; Court takes the ones that fail to
// court (a promise case on their claim).
type AuditRequest struct {
	Ref   string `json:"ref"`
	Court bool   `json:"court,omitempty"`
	// Storer, an Ethereum address, audits that storer only.
	Storer string `json:"storer,omitempty"`
	// Always takes the storers audited to court whether they passed or
	// not, for the court to confirm it on chain.
	Always bool `json:"always,omitempty"`
}

// AuditResult is the verdict of an off-chain audit.
type AuditResult struct {
	Ref     string        `json:"ref"`
	Storers []StorerAudit `json:"storers"`
	Failed  int           `json:"failed"`
}

// StorerAudit is one storer's answer to the challenge.
type StorerAudit struct {
	Peer      string   `json:"peer"`
	Address   string   `json:"address"`
	Agreement string   `json:"agreement"`
	Indices   []uint64 `json:"indices"`
	Passed    bool     `json:"passed"`
	Error     string   `json:"error,omitempty"`
	Case      string   `json:"case,omitempty"` // the court case opened, with --court
}

// Account is what this node earned serving chunks and spent fetching them.
type Account struct {
	Earned        string        `json:"earned"` // base units
	Spent         string        `json:"spent"`
	ChunksServed  uint64        `json:"chunks_served"`
	ChunksFetched uint64        `json:"chunks_fetched"`
	Peers         []PeerAccount `json:"peers"`
}

// PeerAccount is the account with one peer.
type PeerAccount struct {
	Peer    string `json:"peer"`
	Earned  string `json:"earned"`
	Spent   string `json:"spent"`
	Served  uint64 `json:"chunks_served"`
	Fetched uint64 `json:"chunks_fetched"`
}

// Status is the daemon's state.
type Status struct {
	PeerID   string `json:"peer_id"`
	Overlay  string `json:"overlay"`
	Chunks   uint64 `json:"chunks"`
	Bytes    uint64 `json:"bytes"`
	Capacity uint64 `json:"capacity"` // 0: no limit but the disk's
	Price    string `json:"price"`    // per chunk served, base units
	Storers  int    `json:"storers"`  // storers this node found last
}

// HaveRequest asks a storer which chunks it holds.
type HaveRequest struct {
	Addrs []string `json:"addrs"`
}

// HaveAnswer says, per address asked, whether the chunk is here.
type HaveAnswer struct {
	Have []bool `json:"have"`
}

// MaxHave bounds a HaveRequest.
const MaxHave = 4096

// SwearRequest asks a storer to stake for the chunks of file Root it holds
// for the caller, Addrs in the file's order, and to promise them.
type SwearRequest struct {
	Root  string   `json:"root"`
	Addrs []string `json:"addrs"`
}

// Claim is a storer's signed promise over the chunks it holds of a file
// (the fields of courtapi.Claim, with who signed it).
type Claim struct {
	Peer      string `json:"peer"`
	Address   string `json:"address"`
	Agreement string `json:"agreement"`
	Key       string `json:"key"`
	Root      string `json:"root"`
	Chunks    uint64 `json:"chunks"`
	Signature string `json:"signature"`
	File      string `json:"file"` // the file's root address
}

// CheckResult is what a check of this node's chunks found.
type CheckResult struct {
	Checked  int      `json:"checked"`
	Damaged  int      `json:"damaged"`
	Repaired int      `json:"repaired"`
	Lost     []string `json:"lost,omitempty"` // damaged, and no other storer had them
}

// SyncResult is what a sync of this node's neighbourhood did.
type SyncResult struct {
	Storers int      `json:"storers"` // storers the network lists now
	Checked int      `json:"checked"` // chunks kept here
	Pushed  int      `json:"pushed"`  // copies sent to storers now among the nearest
	Errors  []string `json:"errors,omitempty"`
}
