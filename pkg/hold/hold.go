// Package hold is mf-hold: packets held for nodes that are offline, by
// delegates they pay and that stake for them (whitepaper, "Incentivized
// packet holding"). Every mf-hold daemon plays both parts:
//
//   - as a delegate it offers "hold" in the node's manifest at a price per
//     KiB·hour, agrees with clients (staking for each through mf-court),
//     keeps the sealed packets senders hand it for them in Pebble, within a
//     quota per client and per sender, and signs a hold receipt for each;
//     it serves a client its packets, and deletes those a received-list
//     signed by the client names, booking the time it held them with
//     mf-swap;
//   - as a client it finds delegates through service discovery, agrees
//     with them, and publishes its list in the packet holders table, an
//     mf-db network table where each node writes only its own row.
//
// Senders and recipients reach delegates through mf-route (pkg/route's
// hold.go): a sender looks the recipient's row up and sends each packet to
// its delegates too; a recipient fetches from its delegates when it comes
// back and sends them received-lists. docs/hold.md describes the design.
package hold

import (
	"context"
	"log/slog"
	"math/big"
	"net/http"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/court/courtapi"
	"github.com/mainframe/mf/pkg/daemon"
	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/swap/swapapi"
)

// Options configure the daemon.
type Options struct {
	// Price is what this node charges per KiB·hour held, in base units.
	Price *big.Int
	// Stake is what this node stakes through mf-court for each client
	// (0: it holds without a stake).
	Stake *big.Int
	// Term is how long an agreement runs.
	Term time.Duration
	// Quotas: what one client's packets may take, and one sender's share
	// of them.
	ClientBytes   int64
	ClientPackets int
	SenderBytes   int64
	SenderPackets int
	// Sell offers holding in the manifest; without it the daemon is a
	// client only.
	Sell bool
}

// DefaultOptions are the daemon's defaults.
func DefaultOptions() Options {
	price, _ := amount.Parse("0.0001")
	stake, _ := amount.Parse("1")
	return Options{Price: price, Stake: stake, Term: 30 * 24 * time.Hour,
		ClientBytes: 256 << 20, ClientPackets: 50000, SenderBytes: 64 << 20, SenderPackets: 20000, Sell: true}
}

// Service is a running mf-hold.
type Service struct {
	home  string
	id    *identity.Identity
	self  identity.Public
	opt   Options
	db    *kv.DB
	log   *slog.Logger
	route *routeapi.Client
	swap  *swapapi.Client
	court *courtapi.Client
	dbc   *dbapi.Client
	// chain is the chain and court claims and releases are signed for.
	chain *chain.CourtRef

	// mu guards the clients' counters and the account; holding a packet
	// and deleting one change both in one synced batch under it.
	mu      sync.Mutex
	clients map[[20]byte]*clientRecord
	acct    map[string]*peerAcct
	// forwardNow wakes the loop that passes claims on to their clients.
	forwardNow chan struct{}
	// pubMu makes publishing the holders row one at a time.
	pubMu sync.Mutex
	now   func() time.Time
}

// RunDaemon runs mf-hold for home until ctx ends.
func RunDaemon(ctx context.Context, home string, cfg config.Config, opt Options, log *slog.Logger) error {
	h, err := daemon.Open(home, holdapi.Service, cfg.Route)
	if err != nil {
		return err
	}
	defer h.Close()
	s, err := newService(home, h.Identity, h.DB, opt, log)
	if err != nil {
		return err
	}
	if common.IsHexAddress(cfg.Court.Court) {
		s.chain = chain.NewCourtRef(cfg.Swap.EthRPC, common.HexToAddress(cfg.Court.Court))
	}
	defer s.flushAccount()
	if opt.Sell {
		go swapapi.KeepOffered(ctx, s.swap, s.lease, holdapi.Service, s.opt.Price.String(), s.log)
	}
	go s.flushLoop(ctx)
	go s.publishLoop(ctx)
	go s.forwardLoop(ctx)
	log.Info("mf-hold daemon running", "address", s.self.Address().Hex(), "clients", len(s.clients), "socket", holdapi.SocketPath(home))
	return h.Serve(ctx, s.Handler())
}

func newService(home string, id *identity.Identity, db *kv.DB, opt Options, log *slog.Logger) (*Service, error) {
	s := &Service{home: home, id: id, self: id.Public(), opt: opt, db: db, log: log,
		route: routeapi.NewClient(home), swap: swapapi.NewClient(home), court: courtapi.NewClient(home), dbc: dbapi.NewClient(home),
		clients: map[[20]byte]*clientRecord{}, acct: map[string]*peerAcct{}, now: time.Now, forwardNow: make(chan struct{}, 1)}
	if err := s.load(); err != nil {
		return nil, err
	}
	return s, nil
}

// Handler is the daemon's API: the local endpoints and, under /remote/,
// what peers may call through the gateway.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v0/status", localapi.Handle(s.apiStatus))
	mux.HandleFunc("GET /v0/find", localapi.Handle(s.apiFind))
	mux.HandleFunc("GET /v0/delegates", localapi.Handle(s.apiDelegates))
	mux.HandleFunc("POST /v0/delegates", localapi.Handle(s.apiAddDelegates))
	mux.HandleFunc("DELETE /v0/delegates/{peer}", localapi.Handle(s.apiRemoveDelegate))
	mux.HandleFunc("POST /v0/publish", localapi.Handle(s.apiPublish))
	mux.HandleFunc("GET /v0/clients", localapi.Handle(s.apiClients))
	mux.HandleFunc("GET /v0/held", localapi.Handle(s.apiHeld))
	mux.HandleFunc("GET /v0/account", localapi.Handle(s.apiAccount))
	mux.HandleFunc("POST /v0/claims", localapi.Handle(s.apiKeep))
	mux.HandleFunc("GET /v0/claims", localapi.Handle(s.apiClaims))
	mux.HandleFunc("POST /v0/case", localapi.Handle(s.apiCase))
	mux.HandleFunc("GET /v0/proof", s.apiProof)
	mux.HandleFunc("GET /v0/release", localapi.Handle(s.apiRelease))

	mux.HandleFunc("POST /remote/v0/agree", localapi.Handle(s.remoteAgree))
	mux.HandleFunc("DELETE /remote/v0/agree", localapi.Handle(s.remoteEnd))
	mux.HandleFunc("POST /remote/v0/hold/{client}", localapi.Handle(s.remoteHold))
	mux.HandleFunc("GET /remote/v0/fetch", s.remoteFetch)
	mux.HandleFunc("POST /remote/v0/received", localapi.Handle(s.remoteReceived))
	mux.HandleFunc("POST /remote/v0/claims", localapi.Handle(s.remoteClaims))
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		localapi.WriteError(w, localapi.NotFound("no endpoint %s %s", r.Method, r.URL.Path))
	})
	return mux
}

func (s *Service) apiStatus(w http.ResponseWriter, r *http.Request) (any, error) {
	st := holdapi.Status{PeerID: s.self.PeerID().String(), Address: s.self.Address().Hex(), Price: s.opt.Price.String()}
	s.mu.Lock()
	st.Clients = len(s.clients)
	for _, c := range s.clients {
		st.Held += c.Packets
		st.HeldBytes += c.Bytes
	}
	s.mu.Unlock()
	ds, err := s.delegates()
	if err != nil {
		return nil, err
	}
	st.Delegates = len(ds)
	return st, nil
}

// lease announces the service through mf-route alone, where mf-swap does
// not answer (swapapi.KeepOffered).
func (s *Service) lease(ctx context.Context, service string) error {
	_, err := s.route.Announce(ctx, service, 0)
	return err
}
