package swap

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"strconv"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// Bonds of certified delivery (docs/bonds.md). mf-route settles each link
// of a certified packet's path from signed receipts and lists the outcomes
// as bond events; mf-swap books each in the balance with the peer at the
// other end of the link, on the same path as any other service's usage, so
// the amounts are invoiced and paid by cheque like traffic.
//
//	bondcursor                 the number of the last bond event read
//	bondbk/<packet>/<in|out>/<peer>   the link is booked (its amount)

const bondCursorKey = "bondcursor"

func bondBookedKey(ev *routeapi.BondEvent) []byte {
	return []byte("bondbk/" + ev.Packet + "/" + ev.Link() + "/" + ev.Peer)
}

// bonds books the bond events mf-route settled since the last look. The
// cursor is mf-route's event number, which counts on for as long as its
// database lives; the marks keep an event read twice from being booked
// twice.
func (s *Service) bonds(ctx context.Context) error {
	var after uint64
	if b, err := s.db.Get([]byte(bondCursorKey)); err == nil {
		after, _ = strconv.ParseUint(string(b), 10, 64)
	} else if !errors.Is(err, kv.ErrNotFound) {
		return err
	}
	evs, err := s.route.Bonds(ctx, after)
	if err != nil {
		return err
	}
	for i := range evs {
		ev := &evs[i]
		if _, err := s.BookBond(ev); err != nil {
			s.log.Warn("bond event not booked", "packet", ev.Packet, "peer", ev.Peer, "role", ev.Role, "err", err)
		}
		after = max(after, ev.Seq)
	}
	if len(evs) == 0 {
		return nil
	}
	return s.db.Set([]byte(bondCursorKey), []byte(strconv.FormatUint(after, 10)))
}

// BookBond books one bond event in the balance with its peer, once per
// link: booking it again (a restart before the cursor moved, a replay)
// changes nothing and reports false. The event's evidence is checked
// first: nobody is charged or paid on a receipt that does not show it.
func (s *Service) BookBond(ev *routeapi.BondEvent) (bool, error) {
	if _, err := peer.Decode(ev.Peer); err != nil {
		return false, fmt.Errorf("swap: bond event names no peer: %v", err)
	}
	self := identity.Public{Key: &s.key.PublicKey}.Overlay()
	if err := routeapi.CheckBondEvent(ev, self); err != nil {
		return false, err
	}
	amount := big.NewInt(ev.Owed())
	key := bondBookedKey(ev)
	booked := false
	_, err := s.led.update(ev.Peer, func(bal *big.Int, b *kv.Batch) (*big.Int, error) {
		if _, err := s.db.Get(key); err == nil {
			return bal, nil
		} else if !errors.Is(err, kv.ErrNotFound) {
			return nil, err
		}
		booked = true
		b.Set(key, []byte(amount.String()))
		return new(big.Int).Add(bal, amount), nil
	})
	if err != nil {
		return false, err
	}
	if booked {
		s.log.Info("bond booked", "peer", ev.Peer, "packet", ev.Packet[:12], "role", ev.Role, "amount", amount)
	}
	return booked, nil
}
