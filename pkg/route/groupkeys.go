package route

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/seal"
	"github.com/mainframe/mf/pkg/wire"
)

// sealedInvite is the payload of a packet on GroupTopic: the groupInvite,
// sealed once more, to the member's signed prekey with an ephemeral key of
// the owner (package seal), so that the member's keystore alone never opens
// it (see prekey.go):
//
//	version  1 byte (2)
//	to       32 bytes: the member's X25519 key it is sealed to, its prekey
//	         or, when the owner could get none, its static key
//	eph      32 bytes: the owner's ephemeral key
//	body     varint length ≤ maxSealedInvite: the sealed groupInvite
const maxSealedInvite = 4096

var inviteAD = []byte("mf/group/invite/v2")

func sealInvite(n *Node, c *identity.Card, invite []byte) ([]byte, error) {
	to := c.Enc
	if pk := n.prekeys.of(n.ctx, c.Public); pk != nil {
		to = pk.Key
	} else {
		n.log.Info("no prekey of the member: its static key seals this epoch's group key", "member", c.Overlay())
	}
	eph, body, err := seal.Seal(nil, &to, invite, inviteAD)
	if err != nil {
		return nil, err
	}
	var w wire.Writer
	w.Byte(2)
	w.Fixed(to[:])
	w.Fixed(eph[:])
	w.Bytes(body)
	return w.B, nil
}

// decodeSealedInvite splits a sealed invite into its parts.
func decodeSealedInvite(b []byte) (to, eph seal.PublicKey, body []byte, err error) {
	r := wire.NewReader(b)
	if v := r.Byte(); r.Err() == nil && v != 2 {
		return to, eph, nil, fmt.Errorf("route: group invite version %d", v)
	}
	copy(to[:], r.Fixed(32))
	copy(eph[:], r.Fixed(32))
	body = r.Bytes(maxSealedInvite)
	if err := r.Done(); err != nil {
		return to, eph, nil, fmt.Errorf("route: group invite: %w", err)
	}
	return to, eph, body, nil
}

// openInvite opens a sealed invite with the prekey (or static key) it was
// sealed to.
func openInvite(n *Node, b []byte) ([]byte, error) {
	to, eph, body, err := decodeSealedInvite(b)
	if err != nil {
		return nil, err
	}
	o := n.prekeys.opener(to)
	if to == n.pub.Enc {
		o = n.opener
	}
	if o == nil {
		return nil, errors.New("route: group invite sealed to a prekey this node no longer holds")
	}
	return o.Open(nil, &eph, body, inviteAD)
}

// maintain makes a new epoch of every group this node owns whose key is
// GroupRekeyAfter old, hands the key again to members that have not
// confirmed it (every few minutes), and deletes replaced keys past their
// grace. It reports whether it deleted any.
func (g *groups) maintain(now time.Time) bool {
	g.mu.Lock()
	all := slices.Collect(maps.Values(g.byName))
	g.mu.Unlock()
	deleted := false
	for _, x := range all {
		if x.Owner == g.n.self {
			since := x.Since
			if since.IsZero() {
				since = x.Created
			}
			missing := slices.ContainsFunc(x.Members, func(m GroupMember) bool { return !m.HasKey })
			switch {
			case now.Sub(since) >= GroupRekeyAfter:
				name := x.Name
				g.n.goLoop(func() {
					if _, err := g.change(name, nil, nil); err != nil {
						g.n.log.Warn("rekeying group", "group", name, "err", err)
					}
				})
			case missing && now.Sub(g.handedAt(x.Name)) >= groupResendEvery:
				g.setHandedAt(x.Name, now)
				name := x.Name
				g.n.goLoop(func() { _, _ = g.resend(name) })
			}
		}
		if g.expire(x.Name, now) {
			deleted = true
		}
	}
	return deleted
}

// groupResendEvery is how often an owner hands a group's key again to the
// members that have not confirmed it (a member that was offline).
const groupResendEvery = 5 * time.Minute

func (g *groups) handedAt(name string) time.Time {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.handed[name]
}

func (g *groups) setHandedAt(name string, t time.Time) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.handed == nil {
		g.handed = map[string]time.Time{}
	}
	g.handed[name] = t
}

// expire deletes the group's replaced keys past their grace.
func (g *groups) expire(name string, now time.Time) bool {
	g.writeMu.Lock()
	defer g.writeMu.Unlock()
	x, err := g.get(name)
	if err != nil {
		return false
	}
	var keep []oldGroupKey
	var gone []string
	for _, o := range x.OldKeys {
		if now.After(o.Until) {
			gone = append(gone, o.Topic)
		} else {
			keep = append(keep, o)
		}
	}
	if len(gone) == 0 {
		return false
	}
	y := *x
	y.OldKeys = keep
	if err := g.save(&y); err != nil {
		g.n.log.Warn("storing group", "err", err)
		return false
	}
	// Nothing opens the old epochs' packets any more: stop watching
	// their topics, so that daily epochs do not pile up watches.
	for _, t := range gone {
		if _, err := g.n.subs.unwatch(t); err != nil {
			g.n.log.Warn("unwatching an old group topic", "err", err)
		}
	}
	return true
}
