package route

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/seal"
	"github.com/mainframe/mf/pkg/wire"
)

// Multicast (whitepaper, "Encryption"): a group has one symmetric key,
// handed to each member sealed to that member's own key (a first-contact
// packet on the control topic mf/group). A group packet is encrypted once
// and lists every member as a destination; a relay passes one copy on per
// next hop and splits the destination list only where the members' paths
// part. Adding or removing a member makes a new key (a new epoch) that only
// the members at that moment receive, so a removed member cannot read what
// is sent after.

// GroupTopic is the control topic group keys travel on.
const GroupTopic = "mf/group"

const groupPrefix = "group/" // group/<topic>: group record

// Errors of groups.
var (
	ErrNoGroup         = errors.New("route: no such group")
	ErrGroupName       = errors.New("route: group names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	ErrGroupExists     = errors.New("route: a group with this name exists")
	ErrGroupEmpty      = errors.New("route: a group needs at least one member besides this node")
	ErrDuplicateMember = errors.New("route: member listed twice")
	ErrNotOwner        = errors.New("route: only the node that created a group changes its members")
)

var groupName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

// GroupMember is a member as stored and shown.
type GroupMember struct {
	Name    string           `json:"name,omitempty"`
	Overlay identity.Overlay `json:"overlay"`
	Card    string           `json:"card,omitempty"` // kept by the owner, to hand out keys
}

type group struct {
	Name       string           `json:"name"`
	Topic      string           `json:"topic"`
	Key        string           `json:"key"`
	Epoch      uint64           `json:"epoch"`
	Owner      identity.Overlay `json:"owner"`
	Members    []GroupMember    `json:"members"`
	Luminosity int              `json:"luminosity"`
	Created    time.Time        `json:"created"`
	Old        []string         `json:"old_topics,omitempty"`

	key seal.SymKey
}

// GroupInfo is a group as the API shows it.
type GroupInfo struct {
	Name    string           `json:"name"`
	Topic   string           `json:"topic"`
	Epoch   uint64           `json:"epoch"`
	Owner   identity.Overlay `json:"owner"`
	Mine    bool             `json:"mine"`
	Members []GroupMember    `json:"members"`
}

type groups struct {
	n      *Node
	mu     sync.Mutex
	byName map[string]*group
	byID   map[[4]byte][]*group
}

func newGroups(n *Node) *groups {
	g := &groups{n: n, byName: map[string]*group{}, byID: map[[4]byte][]*group{}}
	_ = n.db.Scan([]byte(groupPrefix), func(_, v []byte) error {
		var x group
		if json.Unmarshal(v, &x) != nil || x.load() != nil {
			n.log.Warn("skipping damaged group record")
			return nil
		}
		g.index(&x)
		return nil
	})
	return g
}

func (x *group) load() error {
	b, err := hex.DecodeString(x.Key)
	if err != nil || len(b) != 32 {
		return errors.New("bad group key")
	}
	x.key = seal.SymKey(b)
	return nil
}

func (g *groups) index(x *group) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if old := g.byName[x.Name]; old != nil {
		id := TopicID(old.Topic)
		list := g.byID[id]
		for i, o := range list {
			if o == old {
				g.byID[id] = append(list[:i:i], list[i+1:]...)
				break
			}
		}
	}
	g.byName[x.Name] = x
	id := TopicID(x.Topic)
	g.byID[id] = append(g.byID[id], x)
}

func (g *groups) save(x *group) error {
	b, _ := json.Marshal(x)
	batch := g.n.db.NewBatch()
	for _, t := range x.Old {
		batch.Delete([]byte(groupPrefix + t))
	}
	batch.Set([]byte(groupPrefix+x.Topic), b)
	if err := batch.Commit(); err != nil {
		return err
	}
	g.index(x)
	return g.n.subs.watch(x.Topic)
}

func (g *groups) get(name string) (*group, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	x := g.byName[name]
	if x == nil {
		return nil, fmt.Errorf("%w: %s", ErrNoGroup, name)
	}
	return x, nil
}

func (g *groups) list() []GroupInfo {
	g.mu.Lock()
	defer g.mu.Unlock()
	out := []GroupInfo{}
	for _, x := range g.byName {
		out = append(out, GroupInfo{Name: x.Name, Topic: x.Topic, Epoch: x.Epoch, Owner: x.Owner, Mine: x.Owner == g.n.self, Members: x.Members})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// groupInvite is the payload of a packet on GroupTopic:
//
//	version     1 byte (1)
//	name        varint length ≤ 64
//	topic       varint length ≤ MaxTopic
//	key         32 bytes
//	epoch       8 bytes
//	luminosity  2 bytes
//	n           1 byte, 1..MaxDests
//	members     n × 32-byte overlay
type groupInvite struct {
	Name       string
	Topic      string
	Key        seal.SymKey
	Epoch      uint64
	Luminosity uint16
	Members    []identity.Overlay
}

func (v *groupInvite) marshal() []byte {
	var w wire.Writer
	w.Byte(1)
	w.Bytes([]byte(v.Name))
	w.Bytes([]byte(v.Topic))
	w.Fixed(v.Key[:])
	w.Uint64(v.Epoch)
	w.Uint16(v.Luminosity)
	w.Byte(byte(len(v.Members)))
	for _, m := range v.Members {
		w.Fixed(m[:])
	}
	return w.B
}

func decodeGroupInvite(b []byte) (*groupInvite, error) {
	r := wire.NewReader(b)
	if v := r.Byte(); r.Err() == nil && v != 1 {
		return nil, fmt.Errorf("route: group invite version %d", v)
	}
	v := &groupInvite{Name: string(r.Bytes(64)), Topic: string(r.Bytes(MaxTopic))}
	copy(v.Key[:], r.Fixed(32))
	v.Epoch = r.Uint64()
	v.Luminosity = r.Uint16()
	n := int(r.Byte())
	if r.Err() == nil && (n < 1 || n > MaxDests) {
		return nil, fmt.Errorf("route: group invite with %d members", n)
	}
	for i := 0; i < n && r.Err() == nil; i++ {
		var o identity.Overlay
		copy(o[:], r.Fixed(32)) // Fixed returns nil past the end
		v.Members = append(v.Members, o)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("route: group invite: %w", err)
	}
	if !groupName.MatchString(v.Name) || v.Topic == "" || v.Luminosity > 256 {
		return nil, errors.New("route: group invite out of range")
	}
	return v, nil
}

// create makes a group of contacts and hands them its key.
func (g *groups) create(name string, members []Contact, luminosity int) (*group, error) {
	if !groupName.MatchString(name) {
		return nil, ErrGroupName
	}
	if _, err := g.get(name); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrGroupExists, name)
	}
	x := &group{Name: name, Owner: g.n.self, Luminosity: luminosity, Created: time.Now()}
	if err := g.setMembers(x, members); err != nil {
		return nil, err
	}
	return x, g.rekey(x)
}

func (g *groups) setMembers(x *group, members []Contact) error {
	seen := map[identity.Overlay]bool{g.n.self: true}
	var ms []GroupMember
	for _, c := range members {
		o := c.Card.Overlay()
		if seen[o] {
			if o == g.n.self {
				continue
			}
			return fmt.Errorf("%w: %s", ErrDuplicateMember, c.Name)
		}
		seen[o] = true
		ms = append(ms, GroupMember{Name: c.Name, Overlay: o, Card: c.Card.String()})
	}
	if len(ms) == 0 {
		return ErrGroupEmpty
	}
	if len(ms) > MaxDests {
		return fmt.Errorf("route: a group has at most %d members", MaxDests)
	}
	x.Members = ms
	return nil
}

// rekey starts a new epoch: a fresh topic and key, handed to the current
// members one by one.
func (g *groups) rekey(x *group) error {
	var rnd [12]byte
	if _, err := rand.Read(rnd[:]); err != nil {
		return err
	}
	key, err := seal.NewSymKey()
	if err != nil {
		return err
	}
	if x.Topic != "" {
		x.Old = append(x.Old, x.Topic)
	}
	x.Topic = "g/" + hex.EncodeToString(rnd[:])
	x.Key = hex.EncodeToString(key[:])
	x.key = key
	x.Epoch++
	inv := groupInvite{Name: x.Name, Topic: x.Topic, Key: key, Epoch: x.Epoch, Luminosity: uint16(x.Luminosity)}
	inv.Members = append(inv.Members, g.n.self)
	for _, m := range x.Members {
		inv.Members = append(inv.Members, m.Overlay)
	}
	if len(inv.Members) > MaxDests {
		inv.Members = inv.Members[:MaxDests]
	}
	payload := inv.marshal()
	for _, m := range x.Members {
		c, err := identity.ParseCard(m.Card)
		if err != nil {
			return err
		}
		if _, err := g.n.Send(g.n.ctx, c, SendOptions{Topic: GroupTopic, Payload: payload, Luminosity: 256}); err != nil {
			return fmt.Errorf("route: handing the group key to %s: %w", m.Name, err)
		}
	}
	return g.save(x)
}

// accept stores a group key from its owner. A newer epoch replaces an older
// one of the same owner and name.
func (g *groups) accept(env *Envelope) {
	v, err := decodeGroupInvite(env.Payload)
	if err != nil {
		g.n.log.Debug("dropping group invite", "err", err)
		return
	}
	owner := env.Sender.Overlay()
	// Only contacts may hand this node a group key, and only on a group
	// topic (see sessions.accept).
	if !g.n.isContact(owner) || !strings.HasPrefix(v.Topic, "g/") {
		g.n.stats.Refused.Add(1)
		return
	}
	name := v.Name
	if old, err := g.get(name); err == nil {
		if old.Owner != owner {
			name = v.Name + "@" + owner.String()[:8] // another owner's group of the same name
			if o2, err := g.get(name); err == nil && o2.Epoch >= v.Epoch {
				return
			}
		} else if old.Epoch >= v.Epoch {
			return
		}
	}
	x := &group{Name: name, Topic: v.Topic, Key: hex.EncodeToString(v.Key[:]), Epoch: v.Epoch, Owner: owner, Luminosity: int(v.Luminosity), Created: time.Now(), key: v.Key}
	for _, m := range v.Members {
		x.Members = append(x.Members, GroupMember{Overlay: m})
	}
	if old, err := g.get(name); err == nil {
		x.Old = append(old.Old, old.Topic)
	}
	if err := g.save(x); err != nil {
		g.n.log.Warn("storing group", "err", err)
	}
}

// change adds or removes members of a group this node owns, and rekeys.
func (g *groups) change(name string, add []Contact, remove []string) (*group, error) {
	x, err := g.get(name)
	if err != nil {
		return nil, err
	}
	if x.Owner != g.n.self {
		return nil, ErrNotOwner
	}
	var members []Contact
	for _, m := range x.Members {
		drop := false
		for _, r := range remove {
			if r == m.Name || r == m.Overlay.String() {
				drop = true
			}
		}
		if drop {
			continue
		}
		c, err := identity.ParseCard(m.Card)
		if err != nil {
			return nil, err
		}
		members = append(members, Contact{Name: m.Name, Card: c})
	}
	if len(members)+len(remove) != len(x.Members) {
		return nil, fmt.Errorf("route: %v: not all of them are members of %s", remove, name)
	}
	members = append(members, add...)
	y := *x
	if err := g.setMembers(&y, members); err != nil {
		return nil, err
	}
	return &y, g.rekey(&y)
}

// groupEnvelope is the plaintext of a KindGroup packet:
//
//	flags    1 byte
//	sig      65 bytes: the sender's signature (signHash, with a zero key)
//	sent     8 bytes, big-endian: Unix milliseconds
//	topic    varint length ≤ MaxTopic, then the name
//	payload  the rest
func (g *groups) seal(x *group, ttl byte, flags byte, payload []byte) (*Packet, error) {
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("route: payload of %d bytes is over the %d-byte limit", len(payload), MaxPayload)
	}
	p := &Packet{Kind: KindGroup, TTL: ttl, Topic: TopicID(x.Topic)}
	bits := uint16(x.Luminosity)
	for _, m := range x.Members {
		if m.Overlay == g.n.self {
			continue
		}
		p.Dests = append(p.Dests, Dest{Bits: bits, Prefix: AddressPrefix(m.Overlay, bits)})
	}
	if len(p.Dests) == 0 {
		return nil, ErrGroupEmpty
	}
	if _, err := rand.Read(p.Eph[:]); err != nil {
		return nil, err
	}
	hdr := p.header()
	var zero seal.PublicKey
	sent := sentStamp(nowFunc())
	sig, err := crypto.Sign(signHash(hdr, &p.Eph, flags, &zero, sent, x.Topic, payload), g.n.id.Key)
	if err != nil {
		return nil, err
	}
	var w wire.Writer
	w.Byte(flags)
	w.Fixed(sig)
	w.Uint64(sent)
	w.Bytes([]byte(x.Topic))
	w.Fixed(payload)
	p.Body, err = seal.SealSym(nil, &x.key, p.Eph[:seal.NonceSize], w.B, hdr)
	return p, err
}

// openPacket tries the groups whose topic has the packet's tag, and checks
// that the sender is a member.
func (g *groups) openPacket(p *Packet) (*Envelope, error) {
	g.mu.Lock()
	cands := g.byID[p.Topic]
	g.mu.Unlock()
	hdr := p.header()
	for _, x := range cands {
		pt, err := seal.OpenSym(nil, &x.key, p.Eph[:seal.NonceSize], p.Body, hdr)
		if err != nil {
			continue
		}
		r := wire.NewReader(pt)
		e := &Envelope{Flags: r.Byte()}
		sig := r.Fixed(65)
		sent := r.Uint64()
		e.Sent = sentTime(sent)
		e.Topic = string(r.Bytes(MaxTopic))
		e.Payload = r.Rest()
		if r.Err() != nil || e.Topic != x.Topic {
			return nil, fmt.Errorf("%w: group envelope", ErrEnvelope)
		}
		var zero seal.PublicKey
		key, err := crypto.SigToPub(signHash(hdr, &p.Eph, e.Flags, &zero, sent, e.Topic, e.Payload), sig)
		if err != nil {
			return nil, fmt.Errorf("%w: bad sender signature", ErrEnvelope)
		}
		e.Sender = identity.Public{Key: key}
		from := e.Sender.Overlay()
		member := from == x.Owner
		for _, m := range x.Members {
			member = member || m.Overlay == from
		}
		if !member {
			return nil, fmt.Errorf("%w: group packet from a non-member", ErrEnvelope)
		}
		// Listeners know the group by name, not by this epoch's topic.
		e.Topic = GroupListenTopic(x.Name)
		return e, nil
	}
	return nil, seal.ErrOpen
}

// GroupListenTopic is the topic a group's packets are delivered on locally,
// whatever the epoch: listen --group NAME listens on it.
func GroupListenTopic(name string) string { return "group/" + name }
