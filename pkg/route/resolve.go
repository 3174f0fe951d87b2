package route

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/mainframe/mf/pkg/identity"
)

// Cards are published in the DHT under /mf/<overlay hex>, so any node can
// turn an overlay address into a peer, its addresses and its encryption key.
// The record is the signed card itself: the validator accepts only a card
// whose key hashes to the overlay in the record key, so nobody can publish a
// card for an address that is not theirs.
const cardNamespace = "mf"

func cardKey(o identity.Overlay) string { return "/" + cardNamespace + "/" + o.String() }

type cardValidator struct{}

func (cardValidator) Validate(key string, value []byte) error {
	hexOverlay, ok := strings.CutPrefix(key, "/"+cardNamespace+"/")
	if !ok {
		return errors.New("route: not a card record key")
	}
	o, err := identity.ParseOverlay(hexOverlay)
	if err != nil {
		return err
	}
	c, err := identity.DecodeCard(value)
	if err != nil {
		return err
	}
	if c.Overlay() != o {
		return errors.New("route: card does not belong to the overlay address it is stored under")
	}
	if c.Created.After(time.Now().Add(time.Hour)) {
		return errors.New("route: card from the future")
	}
	return nil
}

// Select prefers the newest valid card.
func (cardValidator) Select(_ string, values [][]byte) (int, error) {
	best, bestT := -1, time.Time{}
	for i, v := range values {
		c, err := identity.DecodeCard(v)
		if err != nil {
			continue
		}
		if best < 0 || c.Created.After(bestT) || (c.Created.Equal(bestT) && bytes.Compare(v, values[best]) > 0) {
			best, bestT = i, c.Created
		}
	}
	if best < 0 {
		return 0, errors.New("route: no valid card")
	}
	return best, nil
}

// cardCache remembers verified cards by their text, so that a script sending
// many packets to the same card pays for the signature check once.
type cardCache struct {
	mu sync.Mutex
	m  map[string]*identity.Card
}

const cardCacheMax = 4096

func (cc *cardCache) parse(s string) (*identity.Card, error) {
	s = strings.TrimSpace(s)
	cc.mu.Lock()
	c := cc.m[s]
	cc.mu.Unlock()
	if c != nil {
		return c, nil
	}
	c, err := identity.ParseCard(s)
	if err != nil {
		return nil, err
	}
	cc.mu.Lock()
	if cc.m == nil || len(cc.m) >= cardCacheMax {
		cc.m = make(map[string]*identity.Card)
	}
	cc.m[s] = c
	cc.mu.Unlock()
	return c, nil
}

// ErrUnknownTarget means a target is neither a contact, a card, nor an
// overlay address the DHT knows.
var ErrUnknownTarget = errors.New("route: unknown target")

// Target is a resolved destination.
type Target struct {
	Name       string // contact name, if it is one
	Card       *identity.Card
	Luminosity *int // the contact's default luminosity
}

// Resolve turns a target as users write it into a card: a contact name, a
// contact card, or an overlay address (64 hex digits) looked up in the
// contacts, the local card cache and then the DHT.
func (n *Node) Resolve(ctx context.Context, s string) (*Target, error) {
	s = strings.TrimSpace(s)
	switch {
	case s == "":
		return nil, fmt.Errorf("%w: empty", ErrUnknownTarget)
	case identity.LooksLikeCard(s):
		c, err := n.cards.parse(s)
		if err != nil {
			return nil, err
		}
		return &Target{Card: c}, nil
	case looksLikeOverlay(s):
		o, err := identity.ParseOverlay(s)
		if err != nil {
			return nil, err
		}
		return n.resolveOverlay(ctx, o)
	}
	c, err := n.Contact(s)
	if errors.Is(err, ErrNoContact) {
		return nil, fmt.Errorf("%w %q: not a contact name, a contact card (%s...) or an overlay address (64 hex digits)", ErrUnknownTarget, s, identity.CardPrefix)
	}
	if err != nil {
		return nil, err
	}
	return &Target{Name: s, Card: c, Luminosity: n.contactOptions(s).Luminosity}, nil
}

func looksLikeOverlay(s string) bool {
	s = strings.TrimPrefix(strings.ToLower(s), "0x")
	if len(s) != 64 {
		return false
	}
	for _, r := range s {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return false
		}
	}
	return true
}

func (n *Node) resolveOverlay(ctx context.Context, o identity.Overlay) (*Target, error) {
	if o == n.self {
		return &Target{Card: n.Card()}, nil
	}
	if cs, err := n.Contacts(); err == nil {
		for _, c := range cs {
			if c.Card.Overlay() == o {
				return &Target{Name: c.Name, Card: c.Card, Luminosity: c.Luminosity}, nil
			}
		}
	}
	cached := n.cachedCard(o)
	lctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	b, err := n.kad.GetValue(lctx, cardKey(o))
	if err != nil {
		if cached != nil {
			return &Target{Card: cached}, nil
		}
		return nil, fmt.Errorf("%w %s: no card for this overlay address in the DHT (%v)", ErrUnknownTarget, o, err)
	}
	c, err := identity.DecodeCard(b)
	if err != nil || c.Overlay() != o {
		return nil, fmt.Errorf("%w %s: the DHT returned an invalid card", ErrUnknownTarget, o)
	}
	if cached == nil || c.Created.After(cached.Created) {
		n.cacheCard(c)
	}
	return &Target{Card: c}, nil
}
