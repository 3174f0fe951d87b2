package swapapi

import (
	"context"
	"log/slog"
	"time"
)

// KeepOffered keeps service in the node's manifest at price until ctx ends, and
// then takes it out: mf-swap announces it in the DHT while it holds it, so
// that discovery finds this node. Where mf-swap does not answer, lease
// (mf-route's announce, passed in: an API package links no other service's)
// keeps the service in the DHT, so that a network without payments still
// finds its providers. It looks again every minute (every 5 s while
// it fails), and sets the entry only when it is missing or its price
// changed. Services that sell something (mf-store, mf-hold) run it in the
// background for as long as their daemon runs.
func KeepOffered(ctx context.Context, swap *Client, lease func(ctx context.Context, service string) error, service, price string, log *slog.Logger) {
	for {
		sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		m, err := swap.Manifest(sctx, "")
		if err == nil && !offers(m, service, price) {
			_, err = swap.SetManifest(sctx, ManifestEntry{Service: service, Price: price})
		}
		if err != nil {
			if rerr := lease(sctx, service); rerr != nil {
				log.Debug("cannot announce the service yet", "service", service, "swap", err, "route", rerr)
			}
		}
		cancel()
		wait := time.Minute
		if err != nil {
			wait = 5 * time.Second
		}
		select {
		case <-ctx.Done():
			wctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
			_, _ = swap.RemoveManifest(wctx, service)
			cancel()
			return
		case <-time.After(wait):
		}
	}
}

// offers reports whether manifest m offers service at price.
func offers(m *Manifest, service, price string) bool {
	for _, e := range m.Services {
		if e.Service == service {
			return e.Price == price
		}
	}
	return false
}
