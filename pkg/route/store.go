package route

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"time"

	"github.com/libp2p/go-libp2p/core/peer"
	ma "github.com/multiformats/go-multiaddr"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/wire"
)

// Key layout of mf-route's Pebble database ($MF_HOME/data/route):
//
//	peer/<peer id>      a known peer: peerRecord
//	contact/<name>      a contact: the binary contact card
//	card/<overlay>      a card learned from the DHT, for later sends
const (
	peerPrefix    = "peer/"
	contactPrefix = "contact/"
	cardPrefix    = "card/"
)

const maxPeerAddrs = 32

// peerRecord is how a known peer is stored:
//
//	seen   8 bytes, unix seconds
//	n      1 byte, ≤ maxPeerAddrs
//	addrs  n × (varint length ≤ 255, binary multiaddr)
type peerRecord struct {
	Seen  time.Time
	Addrs []ma.Multiaddr
}

func (r *peerRecord) marshal() []byte {
	var w wire.Writer
	w.Uint64(uint64(max(0, r.Seen.Unix())))
	addrs := r.Addrs
	if len(addrs) > maxPeerAddrs {
		addrs = addrs[:maxPeerAddrs]
	}
	w.Byte(byte(len(addrs)))
	for _, a := range addrs {
		w.Bytes(a.Bytes())
	}
	return w.B
}

func unmarshalPeerRecord(b []byte) (*peerRecord, error) {
	r := wire.NewReader(b)
	seen := r.Uint64()
	if seen >= 1<<40 {
		return nil, fmt.Errorf("route: peer record seen time out of range")
	}
	rec := &peerRecord{Seen: time.Unix(int64(seen), 0)}
	n := int(r.Byte())
	if n > maxPeerAddrs {
		return nil, fmt.Errorf("route: peer record with %d addresses", n)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		ab := r.Bytes(255)
		if r.Err() != nil {
			break
		}
		a, err := ma.NewMultiaddrBytes(ab)
		if err != nil {
			return nil, fmt.Errorf("route: peer record address: %w", err)
		}
		rec.Addrs = append(rec.Addrs, a)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("route: peer record: %w", err)
	}
	return rec, nil
}

func (n *Node) savePeer(p peer.ID, addrs []ma.Multiaddr) {
	if p == n.host.ID() || len(addrs) == 0 {
		return
	}
	rec := peerRecord{Seen: time.Now(), Addrs: addrs}
	if err := n.db.Set([]byte(peerPrefix+string(p)), rec.marshal()); err != nil {
		n.log.Warn("saving peer", "peer", p, "err", err)
	}
}

// savePeers records every connected peer's known addresses.
func (n *Node) savePeers() {
	for _, p := range n.host.Network().Peers() {
		n.savePeer(p, n.host.Peerstore().Addrs(p))
	}
}

// peerExpiry is how long a peer not seen is kept.
const peerExpiry = 14 * 24 * time.Hour

// maxStoredPeers bounds how many stored peers a start dials.
const maxStoredPeers = 256

// loadPeers returns the peers stored by earlier runs, newest first and at
// most maxStoredPeers; damaged and long-unseen records are dropped.
func (n *Node) loadPeers() []peer.AddrInfo {
	type known struct {
		ai   peer.AddrInfo
		seen time.Time
	}
	var all []known
	var stale [][]byte
	_ = n.db.Scan([]byte(peerPrefix), func(k, v []byte) error {
		id, err := peer.IDFromBytes(k[len(peerPrefix):])
		if err != nil {
			n.log.Warn("skipping damaged peer key", "err", err)
			return nil
		}
		rec, err := unmarshalPeerRecord(v)
		if err != nil {
			n.log.Warn("skipping damaged peer record", "peer", id, "err", err)
			return nil
		}
		if time.Since(rec.Seen) > peerExpiry {
			stale = append(stale, append([]byte(nil), k...))
			return nil
		}
		all = append(all, known{peer.AddrInfo{ID: id, Addrs: rec.Addrs}, rec.Seen})
		return nil
	})
	for _, k := range stale {
		_ = n.db.Delete(k)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].seen.After(all[j].seen) })
	var out []peer.AddrInfo
	for i := 0; i < len(all) && i < maxStoredPeers; i++ {
		out = append(out, all[i].ai)
	}
	return out
}

// Contact is a named card.
type Contact struct {
	Name string
	Card *identity.Card
	// Luminosity is the contact's default luminosity, if set
	// (contactopt/<name>).
	Luminosity *int
}

const contactOptPrefix = "contactopt/"

type contactOptions struct {
	Luminosity *int `json:"luminosity,omitempty"`
}

func (n *Node) contactOptions(name string) contactOptions {
	var o contactOptions
	if b, err := n.db.Get([]byte(contactOptPrefix + name)); err == nil {
		_ = json.Unmarshal(b, &o)
	}
	return o
}

var contactName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// Errors of the contact book.
var (
	ErrContactName   = errors.New("route: contact names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	ErrContactExists = errors.New("route: a different contact already has this name")
	ErrNoContact     = errors.New("route: no such contact")
	// ErrContactTarget refuses a name that send and the other commands
	// would read as an overlay address or a card, never as the name.
	ErrContactTarget = errors.New("route: a contact name may not look like an overlay address (64 hex digits) or a card (" + identity.CardPrefix + "...)")
)

// AddContact stores card under name. Re-adding the same key under the same
// name refreshes the card; a different key under a taken name is refused.
func (n *Node) AddContact(name string, c *identity.Card, luminosity *int) error {
	if !contactName.MatchString(name) {
		return ErrContactName
	}
	if looksLikeOverlay(name) || identity.LooksLikeCard(name) {
		return ErrContactTarget
	}
	if old, err := n.Contact(name); err == nil && old.PeerID() != c.PeerID() {
		return fmt.Errorf("%w: %s", ErrContactExists, name)
	}
	b := n.db.NewBatch()
	b.Set([]byte(contactPrefix+name), c.Bytes())
	if luminosity != nil {
		ob, _ := json.Marshal(contactOptions{Luminosity: luminosity})
		b.Set([]byte(contactOptPrefix+name), ob)
	}
	defer n.contactsChanged()
	return b.Commit()
}

// RemoveContact deletes a contact.
func (n *Node) RemoveContact(name string) error {
	if _, err := n.Contact(name); err != nil {
		return err
	}
	b := n.db.NewBatch()
	b.Delete([]byte(contactPrefix + name))
	b.Delete([]byte(contactOptPrefix + name))
	defer n.contactsChanged()
	return b.Commit()
}

// Contact looks a contact up by name.
func (n *Node) Contact(name string) (*identity.Card, error) {
	if !contactName.MatchString(name) {
		return nil, fmt.Errorf("%w: %q", ErrNoContact, name)
	}
	b, err := n.db.Get([]byte(contactPrefix + name))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, fmt.Errorf("%w: %s", ErrNoContact, name)
	}
	if err != nil {
		return nil, err
	}
	c, err := identity.DecodeCard(b)
	if err != nil {
		return nil, fmt.Errorf("route: stored contact %s is damaged: %w", name, err)
	}
	return c, nil
}

// Contacts lists the contact book in name order; damaged entries are skipped.
func (n *Node) Contacts() ([]Contact, error) {
	var out []Contact
	err := n.db.Scan([]byte(contactPrefix), func(k, v []byte) error {
		c, err := identity.DecodeCard(v)
		if err != nil {
			n.log.Warn("skipping damaged contact", "name", string(k[len(contactPrefix):]), "err", err)
			return nil
		}
		name := string(k[len(contactPrefix):])
		out = append(out, Contact{Name: name, Card: c, Luminosity: n.contactOptions(name).Luminosity})
		return nil
	})
	return out, err
}

// isContact reports whether o is the overlay of a contact. It is asked per
// packet (inbox quotas), so the set is kept in memory and dropped whenever
// the contact book changes.
func (n *Node) isContact(o identity.Overlay) bool {
	n.contactMu.Lock()
	defer n.contactMu.Unlock()
	if n.contactSet == nil {
		cs, err := n.Contacts()
		if err != nil {
			return false
		}
		n.contactSet = make(map[identity.Overlay]bool, len(cs))
		for _, c := range cs {
			n.contactSet[c.Card.Overlay()] = true
		}
	}
	return n.contactSet[o]
}

// contactsChanged drops the cached set after the contact book changed. A
// reload in progress holds contactMu, so it cannot outlive this.
func (n *Node) contactsChanged() {
	n.contactMu.Lock()
	n.contactSet = nil
	n.contactMu.Unlock()
	n.changes.bump()
}

func (n *Node) cacheCard(c *identity.Card) {
	o := c.Overlay()
	if err := n.db.Set(append([]byte(cardPrefix), o[:]...), c.Bytes()); err != nil {
		n.log.Warn("caching card", "err", err)
	}
}

func (n *Node) cachedCard(o identity.Overlay) *identity.Card {
	b, err := n.db.Get(append([]byte(cardPrefix), o[:]...))
	if err != nil {
		return nil
	}
	c, err := identity.DecodeCard(b)
	if err != nil || c.Overlay() != o {
		return nil
	}
	return c
}
