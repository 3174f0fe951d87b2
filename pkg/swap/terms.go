package swap

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// The price of routing between two peers is agreed, not guessed.
//
// Each node used to price the traffic of a peer pair from its own view:
// what it carried by its own manifest tier for the peer's score, what the
// peer carried by the peer's manifest at the tier of its own score. The two
// views of a score differ (local experience, a chain read a moment apart),
// so the two ledgers stopped being mirror images and invoices never fully
// settled.
//
// Now each direction of a pair has one schedule of Terms, set by the side
// that carries the bytes and charges for them (the seller) and signed by
// both:
//
//   - At peering, when the seller's mf-swap first sees traffic from the
//     buyer, it picks its price from its manifest (the "route" entry's tier
//     for its view of the buyer's score, else swap.price_per_kib), signs
//     Terms{seq 1, mark 0, price} and hands them to the buyer's mf-swap
//     (POST /remote/v0/terms through the mf-route gateway). The buyer checks
//     the signature and countersigns. The seller's choice of tier is its
//     own; the buyer's say is to refuse the peer (swap.max_price).
//   - When the seller's price for the buyer changes (its manifest, or its
//     view of the buyer's score), it proposes Terms{seq n+1, mark M, price}
//     where M is how many bytes of the buyer's packets it has counted since
//     peering. Rule: terms n cover the buyer's bytes from mark n up to mark
//     n+1, counted from the first byte of the pairing, the same way on both
//     sides (mf-route counts every frame on both ends of the stream). A
//     buyer whose own count already ran past M (bytes in flight, or a meter
//     that looked later) reprices those bytes: the booked amount is
//     recomputed from the whole count at every look. A buyer refuses terms
//     that would reprice more than maxRepricedBytes it had already sent.
//
// The seller proposes at the look that first sees the new price, with the
// count before that look as the mark: the new price covers the bytes
// counted from that look on.
//
// Both sides then book cost(schedule, bytes) for each direction, each
// rounded once over the whole count (never per look), so two ledgers that
// counted the same bytes hold the same figure with opposite signs. They
// differ only by bytes one side counted and the other did not: frames lost
// with a broken stream, or refused by a node that cut the peer off.

// maxRepricedBytes bounds how far back a new price may reach into what
// the buyer already sent: about what two meters a second apart see
// differently at a busy link.
const maxRepricedBytes = 16 << 20

// maxTerms bounds a schedule; older terms are folded into its base.
const maxTerms = 64

// schedule is one direction's terms, oldest first. Base is the cost (in
// base units × 1/1024) of the bytes below Terms[0].Mark, folded from terms
// that no longer need keeping.
type schedule struct {
	Base  string  `json:"base,omitempty"`
	Terms []Terms `json:"terms"`
}

func (s *Service) signTerms(t *Terms) (string, error) {
	d, err := t.Digest()
	if err != nil {
		return "", err
	}
	sig, err := crypto.Sign(d, s.key)
	if err != nil {
		return "", err
	}
	return hex.EncodeToString(sig), nil
}

// ParseTerms decodes terms from the wire and checks their form (not yet
// their signatures).
func ParseTerms(b []byte) (*Terms, error) {
	var t Terms
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("swap: terms: %v", err)
	}
	if _, err := t.Digest(); err != nil {
		return nil, err
	}
	return &t, nil
}

// cost is what the bytes [0, count) cost under sc, in base units, rounded
// down once.
func (sc *schedule) cost(count uint64) *big.Int {
	total, _ := new(big.Int).SetString(sc.Base, 10)
	if total == nil {
		total = new(big.Int)
	}
	for i, t := range sc.Terms {
		if count <= t.Mark {
			break
		}
		end := count
		if i+1 < len(sc.Terms) && sc.Terms[i+1].Mark < end {
			end = sc.Terms[i+1].Mark
		}
		p, err := t.PriceAmount()
		if err != nil {
			continue
		}
		total.Add(total, new(big.Int).Mul(p, new(big.Int).SetUint64(end-t.Mark)))
	}
	return total.Quo(total, big.NewInt(1024))
}

// add appends t and folds the oldest terms into the base past maxTerms.
// Both sides fold the same terms the same way, so cost stays the same on
// both (for counts past the folded marks, which both have reached).
func (sc *schedule) add(t Terms) {
	sc.Terms = append(sc.Terms, t)
	for len(sc.Terms) > maxTerms {
		old := sc.Terms[0]
		base, _ := new(big.Int).SetString(sc.Base, 10)
		if base == nil {
			base = new(big.Int)
		}
		if p, err := old.PriceAmount(); err == nil {
			base.Add(base, new(big.Int).Mul(p, new(big.Int).SetUint64(sc.Terms[1].Mark-old.Mark)))
		}
		sc.Base = base.String()
		sc.Terms = sc.Terms[1:]
	}
}

func (sc *schedule) last() *Terms {
	if len(sc.Terms) == 0 {
		return nil
	}
	return &sc.Terms[len(sc.Terms)-1]
}

// Store keys of the agreements and the cumulative counts.
func sellKey(peer string) []byte    { return []byte("terms/sell/" + peer) }
func buyKey(peer string) []byte     { return []byte("terms/buy/" + peer) }
func trafficKey(peer string) []byte { return []byte("traffic/" + peer) }

// traffic is what mf-swap has counted with a peer since peering (over
// every run of mf-route) and what of it is booked in the balance.
type traffic struct {
	In     uint64 `json:"in"`  // bytes the peer handed this node
	Out    uint64 `json:"out"` // bytes this node handed the peer
	Booked string `json:"booked"`
}

func getJSON(db *kv.DB, key []byte, v any) error {
	b, err := db.Get(key)
	if errors.Is(err, kv.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("swap: damaged record at %s: %v", key, err)
	}
	return nil
}

// trafficAmount is what the counted traffic with peer comes to under the
// agreed terms: positive, the peer owes this node.
func (s *Service) trafficAmount(peer string, tr traffic) (*big.Int, error) {
	var sell, buy schedule
	if err := getJSON(s.db, sellKey(peer), &sell); err != nil {
		return nil, err
	}
	if err := getJSON(s.db, buyKey(peer), &buy); err != nil {
		return nil, err
	}
	return new(big.Int).Sub(sell.cost(tr.In), buy.cost(tr.Out)), nil
}

// propose keeps this node's price for peer agreed: it proposes new terms
// when there are none or the price changed, from mark countedIn (the
// buyer's bytes it counted so far).
func (s *Service) propose(ctx context.Context, peer, peerAddr string, countedIn uint64) error {
	if !common.IsHexAddress(peerAddr) {
		return nil // an address comes with mf-route's usage; until then, wait
	}
	s.termsMu.Lock()
	defer s.termsMu.Unlock()
	var sc schedule
	if err := getJSON(s.db, sellKey(peer), &sc); err != nil {
		return err
	}
	price := s.ownPrice(ctx, peer)
	last := sc.last()
	if last != nil && last.Price == price.String() {
		return nil
	}
	t := Terms{Seller: s.self.Hex(), Buyer: common.HexToAddress(peerAddr).Hex(), Seq: 1, Price: price.String()}
	if last != nil {
		t.Seq, t.Mark = last.Seq+1, max(countedIn, last.Mark)
	}
	sig, err := s.signTerms(&t)
	if err != nil {
		return err
	}
	t.SellerSig = sig
	sc.add(t)
	if err := s.db.Set(sellKey(peer), mustJSON(sc)); err != nil {
		return err
	}
	s.log.Info("routing price proposed", "peer", peer, "seq", t.Seq, "mark", t.Mark, "price", amount.Format(price))
	return nil
}

// handOver hands this node's newest terms for peer to the peer until it
// has countersigned them.
func (s *Service) handOver(ctx context.Context, peer string) error {
	s.termsMu.Lock()
	var sc schedule
	err := getJSON(s.db, sellKey(peer), &sc)
	s.termsMu.Unlock()
	last := sc.last()
	if err != nil || last == nil || last.BuyerSig != "" {
		return err
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var ack Terms
	if err := s.route.CallService(cctx, peer, "swap", http.MethodPost, "/v0/terms", last, &ack); err != nil {
		return fmt.Errorf("swap: handing terms to %s: %w", peer, err)
	}
	if err := last.SignedBy(ack.BuyerSig, last.Buyer); err != nil {
		return fmt.Errorf("swap: %s's countersignature: %w", peer, err)
	}
	s.termsMu.Lock()
	defer s.termsMu.Unlock()
	var now schedule
	if err := getJSON(s.db, sellKey(peer), &now); err != nil {
		return err
	}
	// Terms proposed meanwhile stay as they are; only these get the
	// countersignature.
	for i := range now.Terms {
		if now.Terms[i].Seq == last.Seq && now.Terms[i].SellerSig == last.SellerSig {
			now.Terms[i].BuyerSig = ack.BuyerSig
		}
	}
	return s.db.Set(sellKey(peer), mustJSON(now))
}

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// remoteTerms is the buyer's side: a peer proposes what it charges this
// node; this node checks and countersigns, and books by them from now on.
func (s *Service) remoteTerms(w http.ResponseWriter, r *http.Request) (any, error) {
	caller := r.Header.Get(routeapi.HeaderPeerID)
	addr := r.Header.Get(routeapi.HeaderPeerAddress)
	if caller == "" || !common.IsHexAddress(addr) {
		return nil, localapi.Errorf(http.StatusForbidden, "forbidden", "terms come through mf-route only")
	}
	t := new(Terms)
	if err := localapi.DecodeBody(w, r, t, localapi.MaxBody); err != nil {
		return nil, err
	}
	if _, err := t.Digest(); err != nil {
		return nil, localapi.BadRequest("%v", err)
	}
	if common.HexToAddress(t.Seller) != common.HexToAddress(addr) || common.HexToAddress(t.Buyer) != s.self {
		return nil, localapi.BadRequest("terms between %s and %s, not between the caller %s and this node", t.Seller, t.Buyer, addr)
	}
	if err := t.SignedBy(t.SellerSig, t.Seller); err != nil {
		return nil, localapi.BadRequest("%v", err)
	}
	t.BuyerSig = ""
	s.termsMu.Lock()
	defer s.termsMu.Unlock()
	var sc schedule
	if err := getJSON(s.db, buyKey(caller), &sc); err != nil {
		return nil, err
	}
	last := sc.last()
	switch {
	case last != nil && t.Seq == last.Seq:
		if last.Mark != t.Mark || last.Price != t.Price {
			return nil, localapi.Errorf(http.StatusConflict, "terms_conflict", "terms %d were agreed at another price or mark", t.Seq)
		}
		return last, nil // a resend: the answer was lost
	case last == nil && (t.Seq != 1 || t.Mark != 0):
		return nil, localapi.Errorf(http.StatusConflict, "terms_order", "the first terms of a pair are seq 1 from mark 0, not seq %d from %d", t.Seq, t.Mark)
	case last != nil && (t.Seq != last.Seq+1 || t.Mark < last.Mark):
		return nil, localapi.Errorf(http.StatusConflict, "terms_order", "terms %d from mark %d do not follow terms %d from mark %d", t.Seq, t.Mark, last.Seq, last.Mark)
	}
	var tr traffic
	if err := getJSON(s.db, trafficKey(caller), &tr); err != nil {
		return nil, err
	}
	if t.Seq > 1 && t.Mark+maxRepricedBytes < tr.Out {
		return nil, localapi.Errorf(http.StatusConflict, "terms_retroactive", "terms from mark %d would reprice %d bytes already sent", t.Mark, tr.Out-t.Mark)
	}
	sig, err := s.signTerms(t)
	if err != nil {
		return nil, err
	}
	t.BuyerSig = sig
	sc.add(*t)
	if err := s.db.Set(buyKey(caller), mustJSON(sc)); err != nil {
		return nil, err
	}
	s.log.Info("routing price agreed", "peer", caller, "seq", t.Seq, "mark", t.Mark, "price", t.Price)
	// A new price is vetted again (--max-price) at once, not when the
	// last verdict on the peer runs out.
	s.revet(caller)
	return t, nil
}

func (s *Service) apiTerms(w http.ResponseWriter, r *http.Request) (any, error) {
	p := r.PathValue("peer")
	if _, err := peer.Decode(p); err != nil {
		return nil, localapi.BadRequest("terms are kept by peer ID, not %q", p)
	}
	var sell, buy schedule
	if err := getJSON(s.db, sellKey(p), &sell); err != nil {
		return nil, err
	}
	if err := getJSON(s.db, buyKey(p), &buy); err != nil {
		return nil, err
	}
	a := Agreement{Peer: p, Sell: sell.Terms, Buy: buy.Terms}
	if a.Sell == nil {
		a.Sell = []Terms{}
	}
	if a.Buy == nil {
		a.Buy = []Terms{}
	}
	return a, nil
}
