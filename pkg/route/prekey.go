package route

import (
	"context"
	"encoding/binary"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/seal"
)

// Forward secrecy (whitepaper, "Encryption": "Forward secrecy is ensured by
// additional ephemeral symmetric keys"). Session and group keys are agreed
// with X25519 keys that are deleted after use, never with the static key
// the keystore derives; so a keystore and a recording together do not open
// old packets. A party that may be offline is reached through its signed
// prekey (identity.Prekey): a medium-term key, published in the DHT under
// /mfpk/<overlay> and carried in session offers and group acknowledgements,
// made anew every PrekeyRotation and sealed to for PrekeyLifetime, whose
// private half is deleted KeyGrace after that.
//
// How long keys live:
//
//	prekey          made every PrekeyRotation (24 h), sealed to for
//	                PrekeyLifetime (48 h), private half deleted KeyGrace later
//	session epoch   a fresh agreement (both sides ephemeral) every
//	                SessionRekeyAfter (24 h) or SessionRekeyPackets packets
//	group epoch     the owner makes a new key every GroupRekeyAfter (24 h)
//	                and on every membership change
//	old epoch key   kept KeyGrace (10 min) after the next epoch takes over,
//	                for packets sealed before the change and still in
//	                flight; a packet older than maxAge is refused anyway
//
// Deleted keys are purged from disk (kv.DB.Purge): the record is rewritten
// or deleted, then the database is flushed and compacted, so neither a
// table nor a write-ahead log keeps the old bytes.
const (
	PrekeyRotation      = 24 * time.Hour
	PrekeyLifetime      = 48 * time.Hour
	SessionRekeyAfter   = 24 * time.Hour
	SessionRekeyPackets = 10000
	GroupRekeyAfter     = 24 * time.Hour
	KeyGrace            = 10 * time.Minute
)

// Key layout:
//
//	prekey/<created, 8 bytes>   this node's prekey: private (32) ‖ signed prekey
//	peerprekey/<overlay>        a peer's newest signed prekey
const (
	prekeyPrefix     = "prekey/"
	peerPrekeyPrefix = "peerprekey/"
	prekeyNamespace  = "mfpk"
)

func prekeyKey(o identity.Overlay) string { return "/" + prekeyNamespace + "/" + o.String() }

type ownPrekey struct {
	priv   seal.PrivateKey
	signed *identity.Prekey
	dbKey  []byte
}

type prekeys struct {
	n     *Node
	mu    sync.Mutex
	own   []ownPrekey // oldest first
	peers map[identity.Overlay]*identity.Prekey
}

func newPrekeys(n *Node) *prekeys {
	pk := &prekeys{n: n, peers: map[identity.Overlay]*identity.Prekey{}}
	_ = n.db.Scan([]byte(prekeyPrefix), func(k, v []byte) error {
		if len(v) != seal.KeySize+identity.PrekeySize {
			n.log.Warn("skipping damaged prekey record")
			return nil
		}
		p, err := identity.DecodePrekey(v[seal.KeySize:])
		if err != nil {
			n.log.Warn("skipping damaged prekey record", "err", err)
			return nil
		}
		pk.own = append(pk.own, ownPrekey{priv: seal.PrivateKey(v[:seal.KeySize]), signed: p, dbKey: append([]byte(nil), k...)})
		return nil
	})
	return pk
}

// maintain makes a new prekey when the newest is PrekeyRotation old, and
// deletes the private halves past their expiry and grace. It reports
// whether it deleted any, so that the caller purges the disk.
func (pk *prekeys) maintain(now time.Time) (deleted bool, err error) {
	pk.mu.Lock()
	defer pk.mu.Unlock()
	keep := pk.own[:0]
	for _, o := range pk.own {
		if now.After(o.signed.Expires.Add(KeyGrace)) {
			if err := pk.n.db.Delete(o.dbKey); err != nil {
				return deleted, err
			}
			deleted = true
			continue
		}
		keep = append(keep, o)
	}
	pk.own = keep
	if len(pk.own) > 0 && now.Sub(pk.own[len(pk.own)-1].signed.Created) < PrekeyRotation {
		return deleted, nil
	}
	priv, err := seal.NewPrivateKey()
	if err != nil {
		return deleted, err
	}
	created := now.Truncate(time.Second)
	signed, err := pk.n.id.SignPrekey(priv.Public(), created, created.Add(PrekeyLifetime))
	if err != nil {
		return deleted, err
	}
	k := make([]byte, 0, len(prekeyPrefix)+8)
	k = binary.BigEndian.AppendUint64(append(k, prekeyPrefix...), uint64(created.UnixNano()))
	if err := pk.n.db.Set(k, append(priv[:], signed.Bytes()...)); err != nil {
		return deleted, err
	}
	pk.own = append(pk.own, ownPrekey{priv: priv, signed: signed, dbKey: k})
	return deleted, nil
}

// current is the prekey others should seal to now (nil before the first
// maintain).
func (pk *prekeys) current() *identity.Prekey {
	pk.mu.Lock()
	defer pk.mu.Unlock()
	if len(pk.own) == 0 {
		return nil
	}
	return pk.own[len(pk.own)-1].signed
}

// opener opens what was sealed to one of this node's prekeys, or is nil
// when that prekey is unknown or already deleted.
func (pk *prekeys) opener(pub seal.PublicKey) *seal.Opener {
	pk.mu.Lock()
	defer pk.mu.Unlock()
	for _, o := range pk.own {
		if o.signed.Key == pub {
			return seal.NewOpener(o.priv)
		}
	}
	return nil
}

// learn keeps a peer's signed prekey if it is newer than the one known.
func (pk *prekeys) learn(p *identity.Prekey) {
	if p == nil || !p.Valid(nowFunc()) {
		return
	}
	o := p.Owner.Overlay()
	pk.mu.Lock()
	old := pk.peers[o]
	if old != nil && !p.Created.After(old.Created) {
		pk.mu.Unlock()
		return
	}
	pk.peers[o] = p
	pk.mu.Unlock()
	if err := pk.n.db.Set(append([]byte(peerPrekeyPrefix), o[:]...), p.Bytes()); err != nil {
		pk.n.log.Warn("storing a peer's prekey", "err", err)
	}
}

// of is a valid prekey of the peer to seal to: the newest one learnt, else
// the DHT's. Nil means none could be had; callers then fall back to the
// peer's static key and rekey as soon as they can.
func (pk *prekeys) of(ctx context.Context, peer identity.Public) *identity.Prekey {
	o := peer.Overlay()
	now := nowFunc()
	pk.mu.Lock()
	p := pk.peers[o]
	pk.mu.Unlock()
	if p == nil {
		if b, err := pk.n.db.Get(append([]byte(peerPrekeyPrefix), o[:]...)); err == nil {
			p, _ = identity.DecodePrekey(b)
		}
	}
	// A prekey close to its expiry is refreshed: a packet sealed to it must
	// arrive while its owner still keeps the private half.
	if p != nil && p.Valid(now.Add(time.Hour)) && p.Owner.Overlay() == o {
		return p
	}
	if pk.n.kad != nil {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if b, err := pk.n.kad.GetValue(cctx, prekeyKey(o)); err == nil {
			if q, err := identity.DecodePrekey(b); err == nil && q.Owner.Overlay() == o && q.Valid(now) {
				pk.learn(q)
				return q
			}
		}
	}
	if p != nil && p.Valid(now) && p.Owner.Overlay() == o {
		return p
	}
	return nil
}

// prekeyValidator accepts in the DHT only a valid prekey signed by the node
// whose overlay the record key names.
type prekeyValidator struct{}

func (prekeyValidator) Validate(key string, value []byte) error {
	hexOverlay, ok := strings.CutPrefix(key, "/"+prekeyNamespace+"/")
	if !ok {
		return errors.New("route: not a prekey record key")
	}
	o, err := identity.ParseOverlay(hexOverlay)
	if err != nil {
		return err
	}
	p, err := identity.DecodePrekey(value)
	if err != nil {
		return err
	}
	if p.Owner.Overlay() != o {
		return errors.New("route: prekey does not belong to the overlay address it is stored under")
	}
	if !p.Valid(time.Now()) {
		return errors.New("route: prekey expired or from the future")
	}
	return nil
}

// Select prefers the newest valid prekey.
func (prekeyValidator) Select(_ string, values [][]byte) (int, error) {
	best := -1
	var bestT time.Time
	for i, v := range values {
		p, err := identity.DecodePrekey(v)
		if err != nil {
			continue
		}
		if best < 0 || p.Created.After(bestT) {
			best, bestT = i, p.Created
		}
	}
	if best < 0 {
		return 0, errors.New("route: no valid prekey")
	}
	return best, nil
}

// publishPrekey puts the current prekey in the DHT.
func (n *Node) publishPrekey(ctx context.Context) error {
	p := n.prekeys.current()
	if p == nil {
		return errors.New("no prekey yet")
	}
	pctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	return n.kad.PutValue(pctx, prekeyKey(n.self), p.Bytes())
}
