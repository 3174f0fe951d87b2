package holdapi

import (
	"math/big"
	"path/filepath"
	"time"
)

// Files of mf-hold inside a home that its clients need.
const (
	SocketName = "hold.sock"
	PIDName    = "hold.pid"
)

// SocketPath is the API socket of home's mf-hold.
func SocketPath(home string) string { return filepath.Join(home, SocketName) }

// Service is mf-hold's name in manifests, agreements and the gateway.
const Service = "hold"

// The packet holders table: an mf-db network table (it belongs to no one,
// and its id is the hash of its definition) in which each row is keyed by a
// node's Ethereum address in lower-case hex and may be written only by
// that address (the rule "self"); anyone may read it. Its value is a
// HoldersRow. Every node works out the same id from the same definition,
// so a sender needs nothing but the id to look a recipient's delegates up.
const (
	HoldersTableName       = "mf-hold-holders"
	HoldersTableRedundancy = 3
	// HoldersTableID is the table's id: keccak256 of its definition, as
	// mf-db computes it (pkg/hold's test checks that it still is).
	HoldersTableID = "42d3c2d737a3d916cb39977579c12a49b8f27ff035514e384b072c3d4c66b389"
)

// HoldersRow is a node's row of the holders table: its delegates.
type HoldersRow struct {
	Delegates []RowDelegate `json:"delegates"`
	// Updated is when the node wrote the row (unix seconds).
	Updated int64 `json:"updated"`
}

// RowDelegate is one delegate as the holders table names it.
type RowDelegate struct {
	PeerID  string `json:"peer_id"`
	Address string `json:"address"`
	// Price is the agreed price per KiB·hour, in base units.
	Price string `json:"price"`
}

// MaxDelegates bounds a node's delegates: each is one more copy of every
// packet sent to it.
const MaxDelegates = 8

// Limits of what a delegate takes.
const (
	// MaxPacket bounds one held packet: mf-route's largest data packet
	// (a 64 KiB payload, its sealed envelope and its clear header).
	MaxPacket = 68 << 10
	// MaxFetch bounds the packets one fetch answers with.
	MaxFetch = 1000
	// MaxReceived bounds the ids one received-list names.
	MaxReceived = 4096
)

// Offer is a node that sells packet holding, as discovery found it.
type Offer struct {
	PeerID  string `json:"peer_id"`
	Overlay string `json:"overlay"`
	Address string `json:"address"`
	// Price is what it charges this node per KiB·hour, in base units.
	Price string `json:"price"`
	// MFT is Price in MFT.
	MFT   string  `json:"mft"`
	Score float64 `json:"score"`
}

// DelegatesRequest asks peers (peer IDs) to hold packets for this node.
type DelegatesRequest struct {
	Peers []string `json:"peers"`
}

// Delegate is one of this node's delegates and the agreement with it.
type Delegate struct {
	PeerID  string `json:"peer_id"`
	Address string `json:"address"`
	Price   string `json:"price"`
	// Agreement is the id of the delegate's stake in mf-court for this
	// node ("" when it holds without a stake).
	Agreement string `json:"agreement,omitempty"`
	Stake     string `json:"stake,omitempty"`
	// ChainID and Court are the chain and court the delegate's claims
	// are signed for, and so the client's releases.
	ChainID string    `json:"chain_id,omitempty"`
	Court   string    `json:"court,omitempty"`
	Added   time.Time `json:"added"`
}

// AgreeRequest is a client's request to a delegate.
type AgreeRequest struct {
	// MaxPrice refuses a delegate asking more per KiB·hour (base units;
	// empty: any).
	MaxPrice string `json:"max_price,omitempty"`
}

// Agreement is a delegate's answer: it now holds packets for the caller.
type Agreement struct {
	PeerID    string `json:"peer_id"`
	Address   string `json:"address"`
	Client    string `json:"client"`
	Price     string `json:"price"`
	Agreement string `json:"agreement,omitempty"`
	Stake     string `json:"stake,omitempty"`
	// ChainID and Court: where the delegate's stake and claims are, and
	// what the client's releases are signed for.
	ChainID string `json:"chain_id,omitempty"`
	Court   string `json:"court,omitempty"`
	// QuotaBytes and QuotaPackets bound what it holds for the client;
	// SenderBytes and SenderPackets what one sender may make it hold.
	QuotaBytes    int64 `json:"quota_bytes"`
	QuotaPackets  int   `json:"quota_packets"`
	SenderBytes   int64 `json:"sender_bytes"`
	SenderPackets int   `json:"sender_packets"`
}

// PublishResult is the row this node wrote to the holders table.
type PublishResult struct {
	Table string     `json:"table"`
	Key   string     `json:"key"`
	Row   HoldersRow `json:"row"`
}

// ClientInfo is what a delegate holds for one client.
type ClientInfo struct {
	Address   string    `json:"address"`
	PeerID    string    `json:"peer_id"`
	Agreement string    `json:"agreement,omitempty"`
	Packets   int       `json:"packets"`
	Bytes     int64     `json:"bytes"`
	Since     time.Time `json:"since"`
}

// HeldInfo is one held packet.
type HeldInfo struct {
	ID     string    `json:"id"`
	Sender string    `json:"sender"`
	Size   int       `json:"size"`
	Taken  time.Time `json:"taken"`
}

// ReceivedResult is a delegate's answer to a received-list: what it
// deleted and what it charged for the time it held them.
type ReceivedResult struct {
	Deleted []Deleted `json:"deleted"`
	// Charge is the sum of the deleted packets' charges, in base units.
	Charge string `json:"charge"`
}

// Deleted is one packet a received-list deleted: its size and the time
// it was taken are what its charge is worked out from (Charge), so that
// the client books the same figure.
type Deleted struct {
	ID      string `json:"id"`
	Size    int    `json:"size"`
	TakenMs int64  `json:"taken_ms"`
	Charge  string `json:"charge"`
}

// Status is the daemon's state.
type Status struct {
	PeerID    string `json:"peer_id"`
	Address   string `json:"address"`
	Price     string `json:"price"`
	Clients   int    `json:"clients"`
	Held      int    `json:"held"`
	HeldBytes int64  `json:"held_bytes"`
	Delegates int    `json:"delegates"`
}

// Account is what this node earned holding packets.
type Account struct {
	Earned string        `json:"earned"`
	MFT    string        `json:"mft"`
	Peers  []PeerAccount `json:"peers"`
}

// PeerAccount is what one client paid for.
type PeerAccount struct {
	Peer    string `json:"peer"`
	Earned  string `json:"earned"`
	Packets uint64 `json:"packets"`
}

// Charge is what holding size bytes for held costs at price per
// KiB·hour: the size in KiB rounded up, times the time in milliseconds,
// rounded up to a base unit. Delegate and client work it out from the same
// numbers, so that their ledgers agree.
func Charge(price *big.Int, size int, held time.Duration) *big.Int {
	if held < 0 {
		held = 0
	}
	kib := int64(size+1023) / 1024
	v := new(big.Int).Mul(price, big.NewInt(kib))
	v.Mul(v, big.NewInt(held.Milliseconds()))
	hour := big.NewInt(int64(time.Hour / time.Millisecond))
	v.Add(v, new(big.Int).Sub(hour, big.NewInt(1)))
	return v.Div(v, hour)
}

// ClaimInfo is a delegate's court promise for a packet, kept on this node:
// by the sender, from the delegate's receipt, or by the client, given it.
type ClaimInfo struct {
	ID         string `json:"id"`
	Client     string `json:"client"`
	ClientPeer string `json:"client_peer,omitempty"`
	Delegate   string `json:"delegate"`
	// Size and TakenMs are from the delegate's receipt.
	Size    uint32 `json:"size"`
	TakenMs uint64 `json:"taken_ms"`
	Claim   *Claim `json:"claim"`
}

// KeepRequest hands this node's mf-hold the receipts its delegates gave
// for a packet this node sent (mf-route does, after each send).
type KeepRequest struct {
	// ClientPeer is the recipient's peer ID: the claims are passed on to
	// its mf-hold, the only party the court hears.
	ClientPeer string     `json:"client_peer,omitempty"`
	Receipts   []*Receipt `json:"receipts"`
}

// ForwardRequest passes claims a sender keeps on to the client they are
// for (POST /remote/v0/claims), at most MaxForward at once.
type ForwardRequest struct {
	Claims []ClaimInfo `json:"claims"`
}

// MaxForward bounds the claims one POST /remote/v0/claims passes on.
const MaxForward = 256

// CaseRequest takes Delegate to court on its claim for packet ID (64
// hex digits), kept here, or on Claim when given.
type CaseRequest struct {
	ID       string `json:"id,omitempty"`
	Delegate string `json:"delegate,omitempty"`
	Claim    *Claim `json:"claim,omitempty"`
}

// CaseResult is the case opened (mf-court case show ID follows it).
type CaseResult struct {
	Case  string `json:"case"`
	Claim *Claim `json:"claim"`
}
