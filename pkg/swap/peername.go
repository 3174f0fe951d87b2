package swap

import (
	"context"
	"errors"

	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/localapi"
)

// peerArg turns what a user typed for a peer into the peer ID the ledger
// and cheques are kept under: a peer ID stays as it is; anything else (a
// contact name, a card, an overlay address) is resolved by mf-route, as
// mf-route's own commands do.
func (s *Service) peerArg(ctx context.Context, p string) (string, error) {
	if p == "" {
		return "", localapi.BadRequest("peer is required")
	}
	if _, err := peer.Decode(p); err == nil {
		return p, nil
	}
	if s.route == nil {
		return "", localapi.BadRequest("%q is not a peer ID", p)
	}
	c, err := s.route.Resolve(ctx, p)
	if err != nil {
		var le *localapi.Error
		if errors.As(err, &le) {
			return "", localapi.BadRequest("peer %q: %s", p, le.Message)
		}
		if errors.Is(err, localapi.ErrNotRunning) {
			return "", localapi.BadRequest("%q is not a peer ID, and mf-route, which knows contact names, is not running", p)
		}
		return "", err
	}
	if c.PeerID == "" {
		return "", localapi.BadRequest("peer %q has no peer ID", p)
	}
	return c.PeerID, nil
}
