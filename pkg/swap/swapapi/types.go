package swapapi

import (
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"path/filepath"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/mainframe/mf/pkg/amount"
)

// Status is /v0/status.
type Status struct {
	Address   string `json:"address"`
	Checkbook string `json:"checkbook"`
	ChainID   string `json:"chain_id"`
	Balance   string `json:"checkbook_balance"`
	// Liquid is the part of the checkbook's balance outside hard
	// deposits: what withdrawals can take and what no creditor is
	// guaranteed.
	Liquid string `json:"liquid_balance"`
	Wallet string `json:"wallet_balance"`
}

// PeerBalance is one peer's balance: positive, the peer owes this node.
type PeerBalance struct {
	Peer    string `json:"peer"`
	Balance string `json:"balance"`
	MFT     string `json:"balance_mft"`
	Refused bool   `json:"refused,omitempty"`
	// Uncashed is the value of the peer's cheques not yet presented on
	// chain; Safe the part of it the hard deposit of the peer's checkbook
	// guarantees this node; AtRisk the balance (when the peer owes) plus
	// Uncashed less Safe, which the disconnect threshold applies to. All in
	// base units; absent when the chain could not be read.
	Uncashed string `json:"uncashed,omitempty"`
	Safe     string `json:"safe,omitempty"`
	AtRisk   string `json:"at_risk,omitempty"`
}

// ChequeInfo is a stored cheque.
type ChequeInfo struct {
	Peer        string `json:"peer"`
	Direction   string `json:"direction"` // received or issued
	Checkbook   string `json:"checkbook"`
	Beneficiary string `json:"beneficiary"`
	Cumulative  string `json:"cumulative"`
	Cashed      string `json:"cashed,omitempty"`
}

// CashRequest names a peer.
type CashRequest struct {
	Peer string `json:"peer"`
}

// AmountRequest carries an amount in base units.
type AmountRequest struct {
	Amount string `json:"amount"`
	// Replace (withdraw only) announces a new amount over a pending
	// announcement, which restarts the notice period.
	Replace bool `json:"replace,omitempty"`
}

// WithdrawResult tells what withdraw did.
type WithdrawResult struct {
	Announced string `json:"announced,omitempty"`
	NotBefore int64  `json:"not_before,omitempty"`
	Withdrawn string `json:"withdrawn,omitempty"`
}

// Score is a credit score (0 worst, 1 best; 0.5 for an unknown address).
type Score struct {
	Address   string  `json:"address"`
	Score     float64 `json:"score"`
	Checkbook string  `json:"checkbook,omitempty"`
	// Checkbooks is how many checkbooks the history below sums over.
	Checkbooks  int    `json:"checkbooks,omitempty"`
	PaidOut     string `json:"paid_out"`
	Bounced     string `json:"bounced"`
	BounceCount uint64 `json:"bounce_count"`
	// BouncedHere: a cheque of this address bounced when this node cashed it.
	BouncedHere bool `json:"bounced_here,omitempty"`
	// Court verdicts against and for the address (mf-court).
	VerdictsAgainst uint64 `json:"verdicts_against,omitempty"`
	VerdictsFor     uint64 `json:"verdicts_for,omitempty"`
	// Payees is how many distinct beneficiaries with a history of their
	// own the address paid, and Weighted what of its payments counts
	// (MFT, after weighing and capping; see docs/score.md).
	Payees   int    `json:"payees,omitempty"`
	Weighted string `json:"weighted_paid_mft,omitempty"`
	// Plaintiffs is how many distinct clients with a history of their own
	// lost a case against the address.
	Plaintiffs int `json:"plaintiffs,omitempty"`
}

// ManifestEntry is one service's price list: Price per unit for peers with
// a score of at least MinScore; Tiers give other prices for other scores.
type ManifestEntry struct {
	Service  string  `json:"service"`
	Price    string  `json:"price"`
	MinScore float64 `json:"min_score"`
	Tiers    []Tier  `json:"tiers,omitempty"`
}

// Manifest is what a node serves and at what price.
type Manifest struct {
	Address  string          `json:"address"`
	Services []ManifestEntry `json:"services"`
}

// PriceFor is what the manifest charges a peer of the given score for a
// service: the price of the best tier the score reaches (the base price
// when no tier applies), or nil when the service is not offered or the
// score is below its minimum.
func (m *Manifest) PriceFor(service string, score float64) *big.Int {
	for _, e := range m.Services {
		if e.Service != service || score < e.MinScore {
			continue
		}
		price, best := e.Price, e.MinScore
		for _, t := range e.Tiers {
			if score >= t.MinScore && t.MinScore >= best {
				price, best = t.Price, t.MinScore
			}
		}
		v, ok := new(big.Int).SetString(price, 10)
		if !ok {
			return nil
		}
		return v
	}
	return nil
}

// SocketPath is the API socket of home's mf-swap.
func SocketPath(home string) string { return filepath.Join(home, SocketName) }

// Offer is a provider of a service found in the network, checked against
// its manifest.
type Offer struct {
	PeerID  string `json:"peer_id"`
	Overlay string `json:"overlay"`
	Address string `json:"address"`
	// Entry is the provider's manifest entry for the service.
	Entry ManifestEntry `json:"entry"`
	// Price is what it charges this node, by this node's score; empty
	// when it does not serve this node's score.
	Price string `json:"price"`
	// Score is the provider's credit score, as this node reads it.
	Score float64 `json:"score"`
}

// Agreement is one peer's pair of schedules, as GET /v0/terms/{peer} shows
// them.
type Agreement struct {
	Peer string  `json:"peer"`
	Sell []Terms `json:"sell"` // what this node charges the peer
	Buy  []Terms `json:"buy"`  // what the peer charges this node
}

// Tier is a price for peers scoring at least MinScore.
type Tier struct {
	MinScore float64 `json:"min_score"`
	Price    string  `json:"price"`
}

// Terms are the agreed price of one direction of a peer pair.
type Terms struct {
	Seller string `json:"seller"` // the address that carries the bytes and charges
	Buyer  string `json:"buyer"`  // the address that hands them over and pays
	Seq    uint64 `json:"seq"`
	// Mark is the buyer's byte count from which Price applies.
	Mark  uint64 `json:"mark"`
	Price string `json:"price"` // base units per KiB
	// SellerSig and BuyerSig are secp256k1 signatures (hex) over digest.
	SellerSig string `json:"seller_sig"`
	BuyerSig  string `json:"buyer_sig,omitempty"`
}

// PriceAmount is the agreed price in base units, checked.
func (t *Terms) PriceAmount() (*big.Int, error) {
	v, ok := new(big.Int).SetString(t.Price, 10)
	if !ok || v.Sign() < 0 || v.Cmp(amount.Max) > 0 {
		return nil, fmt.Errorf("swap: terms price %q is not a whole number of base units below 2^256", t.Price)
	}
	return v, nil
}

// Digest is what both sides sign.
func (t *Terms) Digest() ([]byte, error) {
	if !common.IsHexAddress(t.Seller) || !common.IsHexAddress(t.Buyer) {
		return nil, errors.New("swap: terms need seller and buyer addresses")
	}
	p, err := t.PriceAmount()
	if err != nil {
		return nil, err
	}
	var n [16]byte
	binary.BigEndian.PutUint64(n[:8], t.Seq)
	binary.BigEndian.PutUint64(n[8:], t.Mark)
	seller, buyer := common.HexToAddress(t.Seller), common.HexToAddress(t.Buyer)
	return crypto.Keccak256([]byte("mf/swap/terms/v1"), seller[:], buyer[:], n[:], common.LeftPadBytes(p.Bytes(), 32)), nil
}

// SignedBy reports whether sig (hex) is a signature of t by addr.
func (t *Terms) SignedBy(sig string, addr string) error {
	d, err := t.Digest()
	if err != nil {
		return err
	}
	b, err := hex.DecodeString(sig)
	if err != nil || len(b) != 65 {
		return errors.New("swap: terms signature is not 65 bytes of hex")
	}
	pub, err := crypto.SigToPub(d, b)
	if err != nil {
		return errors.New("swap: terms signature does not verify")
	}
	if crypto.PubkeyToAddress(*pub) != common.HexToAddress(addr) {
		return fmt.Errorf("swap: terms signed by %s, not %s", crypto.PubkeyToAddress(*pub), addr)
	}
	return nil
}

// Files of mf-swap inside a home that its clients need.
const (
	SocketName = "swap.sock"
	PIDName    = "swap.pid"
)

// UsageRequest books units served to (positive) or by (negative) a peer.
type UsageRequest struct {
	Peer   string `json:"peer"`
	Amount string `json:"amount"` // base units, may be negative
}
