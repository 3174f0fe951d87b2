package route

import (
	"context"
	"time"
)

// keyUpkeep is the state of the key maintenance the node's ticker runs
// (maintainKeys): rotating prekeys, rekeying sessions and groups, deleting
// what is past its grace, and purging deleted keys from disk.
type keyUpkeep struct {
	last   time.Time // the last maintenance round
	purged time.Time // the last purge
}

// keyUpkeepEvery is how often keys are looked after; purgeEvery bounds how
// often the database is compacted to purge deleted keys.
const (
	keyUpkeepEvery = time.Minute
	purgeEvery     = 10 * time.Second
)

// keysDeleted records that key material was deleted or overwritten, so
// that the next purge removes it from disk. Safe from any goroutine.
func (n *Node) keysDeleted() {
	n.purgeFlag.Store(true)
	n.wakeUpkeep()
}

// maintainKeys runs on the node's ticker.
func (n *Node) maintainKeys(ctx context.Context, now time.Time) {
	u := &n.upkeep
	if now.Sub(u.last) >= keyUpkeepEvery {
		u.last = now
		n.rotateKeys(ctx, now)
	}
	if now.Sub(u.purged) >= purgeEvery && n.purgeFlag.Swap(false) {
		u.purged = now
		if err := n.purgeKeys(ctx); err != nil {
			n.purgeFlag.Store(true)
			n.log.Warn("purging deleted keys", "err", err)
		}
	}
}

// rotateKeys makes a new prekey when due, proposes the session rekeys and
// makes the group epochs that are due, and deletes keys past their grace.
func (n *Node) rotateKeys(ctx context.Context, now time.Time) {
	before := n.prekeys.current()
	deleted, err := n.prekeys.maintain(now)
	if err != nil {
		n.log.Warn("rotating prekeys", "err", err)
	}
	if deleted {
		n.keysDeleted()
	}
	if n.prekeys.current() != before {
		n.goLoop(func() {
			if err := n.publishPrekey(ctx); err != nil {
				n.log.Debug("prekey not published yet", "err", err)
			}
		})
	}
	if n.sess.maintain(now) {
		n.keysDeleted()
	}
	if n.groups.maintain(now) {
		n.keysDeleted()
	}
}

// purgeKeys removes from disk the deleted or overwritten records that held
// keys: only their key ranges are compacted, not the inbox, which may be
// large.
func (n *Node) purgeKeys(ctx context.Context) error {
	return n.db.Purge(ctx, []byte(sessionPrefix), []byte(groupPrefix), []byte(prekeyPrefix))
}
