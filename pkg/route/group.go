package route

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
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
// handed to each member in a first-contact packet on the control topic
// mf/group, and inside it sealed once more to the member's signed prekey
// with an ephemeral key of the owner (see prekey.go), so that the key
// cannot be recovered from the member's keystore once the prekey is gone. A group packet is encrypted once
// and lists every member as a destination; a relay passes one copy on per
// next hop and splits the destination list only where the members' paths
// part. Adding or removing a member makes a new key (a new epoch) that only
// the members at that moment receive, so a removed member cannot read what
// is sent after. The owner also makes a new epoch every GroupRekeyAfter,
// for forward secrecy; every node keeps a replaced epoch's key KeyGrace for
// packets still in flight, then deletes it, except after a removal, when
// the replaced key goes at once.
//
// A member that takes a key confirms it to the owner on mf/group/ack, so
// the owner knows who holds the current key (GroupMember.HasKey), sees who
// missed a rekey (a node that was down) and can hand the key again
// (resend). An acknowledgement rather than a delivery receipt, because a
// member may receive a key and still refuse it (from a stranger). The new
// epoch is stored before any key leaves, so a removal takes effect even
// when some members cannot be reached.

// GroupTopic is the control topic group keys travel on, and GroupAckTopic
// the one members confirm them on.
const (
	GroupTopic    = "mf/group"
	GroupAckTopic = "mf/group/ack"
)

const groupPrefix = "group/" // group/<topic>: group record

// Errors of groups.
var (
	ErrNoGroup         = errors.New("route: no such group")
	ErrGroupName       = errors.New("route: group names are 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit")
	ErrGroupExists     = errors.New("route: a group with this name exists")
	ErrGroupEmpty      = errors.New("route: a group needs at least one member besides this node")
	ErrDuplicateMember = errors.New("route: member listed twice")
	ErrNotOwner        = errors.New("route: only the node that created a group changes its members")
	ErrNotMember       = errors.New("route: not a member of the group")
	ErrGroupTooBig     = fmt.Errorf("route: a group has at most %d members", MaxDests)
)

var groupName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$`)

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
	// Since is when this node took the current epoch's key.
	Since time.Time `json:"since,omitzero"`
	// OldKeys are replaced epochs' keys, kept until Until.
	OldKeys []oldGroupKey `json:"old_keys,omitempty"`

	key  seal.SymKey
	keys []groupKey // the current key first, then OldKeys
}

type oldGroupKey struct {
	Topic string    `json:"topic"`
	Key   string    `json:"key"` // hex
	Until time.Time `json:"until"`
}

// groupKey is a key a group's packets may be sealed with, and the epoch
// topic they carry with it.
type groupKey struct {
	topic string
	key   seal.SymKey
	until time.Time // zero: the current epoch
}

type groups struct {
	n      *Node
	mu     sync.Mutex
	byName map[string]*group
	byID   map[[4]byte][]*group // by the tag of every epoch topic it holds a key of

	// writeMu orders the read-modify-save changes of a group (rekeys,
	// acknowledgements marking members) so that none is lost.
	writeMu sync.Mutex
	// handed is when the owner last handed each group's key again.
	handed map[string]time.Time
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
	x.keys = []groupKey{{topic: x.Topic, key: x.key}}
	for _, o := range x.OldKeys {
		b, err := hex.DecodeString(o.Key)
		if err != nil || len(b) != 32 {
			return errors.New("bad group key")
		}
		x.keys = append(x.keys, groupKey{topic: o.Topic, key: seal.SymKey(b), until: o.Until})
	}
	return nil
}

// retireKey moves x's current key to OldKeys, to be deleted KeyGrace from
// now, and drops old keys already past their grace. Without grace, every
// earlier key goes at once.
func (x *group) retireKey(now time.Time, grace bool) {
	x.OldKeys = slices.DeleteFunc(slices.Clone(x.OldKeys), func(o oldGroupKey) bool { return !grace || now.After(o.Until) })
	if x.Topic != "" && grace {
		x.OldKeys = append(x.OldKeys, oldGroupKey{Topic: x.Topic, Key: x.Key, Until: now.Add(KeyGrace)})
	}
}

func (g *groups) index(x *group) {
	if x.keys == nil {
		_ = x.load()
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	if old := g.byName[x.Name]; old != nil {
		for _, k := range old.keys {
			id := TopicID(k.topic)
			g.byID[id] = slices.DeleteFunc(slices.Clone(g.byID[id]), func(o *group) bool { return o == old })
			if len(g.byID[id]) == 0 {
				delete(g.byID, id)
			}
		}
	}
	g.byName[x.Name] = x
	for _, k := range x.keys {
		id := TopicID(k.topic)
		if !slices.Contains(g.byID[id], x) {
			g.byID[id] = append(g.byID[id], x)
		}
	}
}

func (g *groups) save(x *group) error {
	if err := x.load(); err != nil {
		return err
	}
	batch := g.n.db.NewBatch()
	for _, t := range x.Old {
		batch.Delete([]byte(groupPrefix + t))
	}
	// The records of earlier epochs go in this batch: no need to remember
	// them after it, and a group rekeyed daily would list ever more.
	x.Old = nil
	b, _ := json.Marshal(x)
	batch.Set([]byte(groupPrefix+x.Topic), b)
	if err := batch.Commit(); err != nil {
		return err
	}

	g.index(x)
	g.n.changes.bump()
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
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
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
	return x, g.rekey(x, false)
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
		return ErrGroupTooBig
	}
	x.Members = ms
	return nil
}

// rekey starts a new epoch: a fresh topic and key, handed to the current
// members one by one.
//
// With grace, the previous key still opens packets for KeyGrace (a daily
// rekey, or members added); without it, the previous key is dropped at
// once: a removed member must not write into the group with it.
func (g *groups) rekey(x *group, grace bool) error {
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
	now := nowFunc()
	x.retireKey(now, grace)
	x.Since = now
	x.Topic = "g/" + hex.EncodeToString(rnd[:])
	x.Key = hex.EncodeToString(key[:])
	x.key = key
	x.Epoch++
	x.Members = slices.Clone(x.Members)
	for i := range x.Members {
		x.Members[i].HasKey = false
	}
	if err := g.save(x); err != nil {
		return err
	}
	g.n.keysDeleted() // the previous key, in the record's earlier versions
	g.handKey(x)
	return nil
}

// handKey sends the current key to every member not known to hold it. A
// member it cannot even be sent to is logged; HasKey stays false either way
// until the member's acknowledgement comes. Callers hold writeMu.
func (g *groups) handKey(x *group) {
	inv := groupInvite{Name: x.Name, Topic: x.Topic, Key: x.key, Epoch: x.Epoch, Luminosity: uint16(x.Luminosity)}
	inv.Members = append(inv.Members, g.n.self)
	for _, m := range x.Members {
		inv.Members = append(inv.Members, m.Overlay)
	}
	if len(inv.Members) > MaxDests {
		inv.Members = inv.Members[:MaxDests]
	}
	payload := inv.marshal()
	g.setHandedAt(x.Name, nowFunc())
	for _, m := range x.Members {
		if m.HasKey {
			continue
		}
		c, err := identity.ParseCard(m.Card)
		if err != nil {
			g.n.log.Warn("group member's card is damaged", "group", x.Name, "member", m.Name, "err", err)
			continue
		}
		sealed, err := sealInvite(g.n, c, payload)
		if err != nil {
			g.n.log.Warn("group key not sealed", "group", x.Name, "member", m.Name, "err", err)
			continue
		}
		if _, err := g.n.Send(g.n.ctx, c, SendOptions{Topic: GroupTopic, Payload: sealed, Luminosity: 256}); err != nil {
			g.n.log.Info("group key not sent", "group", x.Name, "member", m.Name, "err", err)
		}
	}
}

// owned is the group of that name, if this node created it.
func (g *groups) owned(name string) (*group, error) {
	x, err := g.get(name)
	if err != nil {
		return nil, err
	}
	if x.Owner != g.n.self {
		return nil, ErrNotOwner
	}
	return x, nil
}

// resend hands the current key again to the members of a group this node
// owns that have not confirmed it.
func (g *groups) resend(name string) (*group, error) {
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	x, err := g.owned(name)
	if err != nil {
		return nil, err
	}
	g.handKey(x)
	return x, nil
}

// groupAck is a member's confirmation that it holds a group's key:
//
//	version  1 byte (2)
//	topic    varint length ≤ MaxTopic: the epoch's topic, which names
//	         the group and epoch without the owner's name for it
//	epoch    8 bytes, big-endian
//	prekey   varint length, 0 or identity.PrekeySize: the member's signed
//	         prekey, for the owner to seal the next epoch's key to
type groupAck struct {
	Topic  string
	Epoch  uint64
	Prekey []byte
}

func (a *groupAck) marshal() []byte {
	var w wire.Writer
	w.Byte(2)
	w.Bytes([]byte(a.Topic))
	w.Uint64(a.Epoch)
	w.Bytes(a.Prekey)
	return w.B
}

func decodeGroupAck(b []byte) (*groupAck, error) {
	r := wire.NewReader(b)
	if v := r.Byte(); r.Err() == nil && v != 2 {
		return nil, fmt.Errorf("route: group acknowledgement version %d", v)
	}
	a := &groupAck{Topic: string(r.Bytes(MaxTopic)), Epoch: r.Uint64(), Prekey: r.Bytes(identity.PrekeySize)}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("route: group acknowledgement: %w", err)
	}
	if a.Topic == "" {
		return nil, errors.New("route: group acknowledgement without a topic")
	}
	if len(a.Prekey) != 0 && len(a.Prekey) != identity.PrekeySize {
		return nil, errors.New("route: group acknowledgement with a malformed prekey")
	}
	return a, nil
}

// acknowledge confirms to the owner of x, a contact, that this node holds
// x's key. It runs apart from the packet that brought the key: a send may
// dial, and that must not hold up the stream it came on.
func (g *groups) acknowledge(x *group) {
	a := groupAck{Topic: x.Topic, Epoch: x.Epoch, Prekey: g.n.ownPrekeyBytes()}
	owner := x.Owner
	g.n.goLoop(func() {
		cs, err := g.n.Contacts()
		if err != nil {
			return
		}
		for _, c := range cs {
			if c.Card.Overlay() == owner {
				if _, err := g.n.Send(g.n.ctx, c.Card, SendOptions{Topic: GroupAckTopic, Payload: a.marshal(), Luminosity: 256}); err != nil {
					g.n.log.Info("group key not acknowledged", "group", x.Name, "err", err)
				}
				return
			}
		}
	})
}

// acked marks the sender of an acknowledgement as holding the key, if it is
// a member of a group this node owns and the epoch is the current one.
func (g *groups) acked(env *Envelope) {
	a, err := decodeGroupAck(env.Payload)
	if err != nil {
		g.n.stats.BadPackets.Add(1)
		return
	}
	from := env.Sender.Overlay()
	if len(a.Prekey) > 0 {
		if p, err := identity.DecodePrekey(a.Prekey); err == nil && p.Owner.Overlay() == from && g.n.isContact(from) {
			g.n.prekeys.learn(p)
		}
	}
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	g.mu.Lock()
	var x *group
	for _, y := range g.byID[TopicID(a.Topic)] {
		if y.Topic == a.Topic && y.Owner == g.n.self && y.Epoch == a.Epoch {
			x = y
		}
	}
	g.mu.Unlock()
	if x == nil {
		return // an older epoch, or not ours
	}
	i := slices.IndexFunc(x.Members, func(m GroupMember) bool { return m.Overlay == from })
	if i < 0 || x.Members[i].HasKey {
		return
	}
	y := *x
	y.Members = slices.Clone(x.Members)
	y.Members[i].HasKey = true
	if err := g.save(&y); err != nil {
		g.n.log.Warn("storing group", "err", err)
	}
}

// accept stores a group key from its owner. A newer epoch replaces an older
// one of the same owner and name.
func (g *groups) accept(env *Envelope) {
	inner, err := openInvite(g.n, env.Payload)
	if err != nil {
		g.n.log.Debug("dropping group invite", "err", err)
		return
	}
	v, err := decodeGroupInvite(inner)
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
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	name := v.Name
	if old, err := g.get(name); err == nil && old.Owner != owner {
		name = v.Name + "@" + owner.String()[:8] // another owner's group of the same name
	}
	if old, err := g.get(name); err == nil && old.Epoch >= v.Epoch {
		if old.Epoch == v.Epoch && old.Topic == v.Topic {
			g.acknowledge(old) // the owner sent it again: our answer was lost
		}
		return
	}
	now := nowFunc()
	x := &group{Name: name, Topic: v.Topic, Key: hex.EncodeToString(v.Key[:]), Epoch: v.Epoch, Owner: owner, Luminosity: int(v.Luminosity), Created: time.Now(), Since: now, key: v.Key}
	for _, m := range v.Members {
		x.Members = append(x.Members, GroupMember{Overlay: m})
	}
	if old, err := g.get(name); err == nil {
		x.Old = append(old.Old, old.Topic)
		// The replaced key opens packets still in flight for KeyGrace.
		y := *old
		y.retireKey(now, !removedAny(old.Members, v.Members))
		x.OldKeys = y.OldKeys
		x.Created = old.Created
	}
	if err := g.save(x); err != nil {
		g.n.log.Warn("storing group", "err", err)
		return
	}
	g.n.keysDeleted()
	g.acknowledge(x)
}

// change adds or removes members of a group this node owns, and rekeys.
func (g *groups) change(name string, add []Contact, remove []string) (*group, error) {
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	x, err := g.owned(name)
	if err != nil {
		return nil, err
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
		return nil, fmt.Errorf("%w %s: %s", ErrNotMember, name, strings.Join(notMembers(x.Members, remove), ", "))
	}
	members = append(members, add...)
	y := *x
	if err := g.setMembers(&y, members); err != nil {
		return nil, err
	}
	return &y, g.rekey(&y, len(remove) == 0)
}

// notMembers lists the names in remove that match no member; a name given
// twice (say, as contact and as overlay address) is listed as such.
func notMembers(members []GroupMember, remove []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range remove {
		found := false
		for _, m := range members {
			found = found || r == m.Name || r == m.Overlay.String()
		}
		switch {
		case !found:
			out = append(out, r)
		case seen[r]:
			out = append(out, r+" (listed twice)")
		}
		seen[r] = true
	}
	if len(out) == 0 {
		out = []string{"a member listed twice"}
	}
	return out
}

// groupEnvelope is the plaintext of a KindGroup packet:
//
//	flags    1 byte
//	sig      65 bytes: the sender's signature (signHash, with a zero key)
//	sent     8 bytes, big-endian: Unix milliseconds
//	topic    varint length ≤ MaxTopic, then the name
//	payload  the rest
func (g *groups) seal(x *group, ttl byte, flags byte, payload []byte) (*Packet, error) {
	return g.sealTo(x, ttl, flags, payload, nil)
}

// sealTo is seal addressed to the member only alone, when only is not nil
// (a member's receipts to the sender: groupreceipt.go).
func (g *groups) sealTo(x *group, ttl byte, flags byte, payload []byte, only *identity.Overlay) (*Packet, error) {
	if len(payload) > MaxPayload {
		return nil, fmt.Errorf("route: payload of %d bytes is over the %d-byte limit", len(payload), MaxPayload)
	}
	p := &Packet{Kind: KindGroup, TTL: ttl, Topic: TopicID(x.Topic)}
	bits := uint16(x.Luminosity)
	for _, m := range x.Members {
		if m.Overlay == g.n.self || only != nil && m.Overlay != *only {
			continue
		}
		p.Dests = append(p.Dests, Dest{Bits: bits, Prefix: AddressPrefix(m.Overlay, bits)})
	}
	if len(p.Dests) == 0 {
		return nil, ErrGroupEmpty
	}
	// The header, which the body is sealed to, commits to the list.
	p.commitDests()
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
	cands := slices.Clone(g.byID[p.Topic])
	g.mu.Unlock()
	hdr := p.header()
	now := nowFunc()
	for _, x := range cands {
		keys := x.keys
		if keys == nil { // a record built without load: its current key only
			keys = []groupKey{{topic: x.Topic, key: x.key}}
		}
		for _, k := range keys {
			if TopicID(k.topic) != p.Topic || (!k.until.IsZero() && now.After(k.until)) {
				continue
			}
			pt, err := seal.OpenSym(nil, &k.key, p.Eph[:seal.NonceSize], p.Body, hdr)
			if err != nil {
				continue
			}
			return decodeGroupEnvelope(pt, hdr, &p.Eph, x, k.topic)
		}
	}
	return nil, seal.ErrOpen
}

// decodeGroupEnvelope reads the opened plaintext of a packet of group x
// (header hdr, nonce eph), sealed with the key of the epoch on topic, and
// checks that a member signed it.
func decodeGroupEnvelope(pt, hdr []byte, eph *seal.PublicKey, x *group, topic string) (*Envelope, error) {
	r := wire.NewReader(pt)
	e := &Envelope{Flags: r.Byte()}
	sig := r.Fixed(65)
	sent := r.Uint64()
	e.Sent = sentTime(sent)
	e.Topic = string(r.Bytes(MaxTopic))
	e.Payload = r.Rest()
	if r.Err() != nil || e.Topic != topic || len(e.Payload) > MaxPayload {
		return nil, fmt.Errorf("%w: group envelope", ErrEnvelope)
	}
	var zero seal.PublicKey
	key, err := crypto.SigToPub(signHash(hdr, eph, e.Flags, &zero, sent, e.Topic, e.Payload), sig)
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

// GroupListenTopic is the topic a group's packets are delivered on locally,
// whatever the epoch: listen --group NAME listens on it.
func GroupListenTopic(name string) string { return "group/" + name }

// removedAny reports whether a member of before is not in after, the
// overlays of the new epoch's members.
func removedAny(before []GroupMember, after []identity.Overlay) bool {
	for _, m := range before {
		if !slices.Contains(after, m.Overlay) {
			return true
		}
	}
	return false
}
