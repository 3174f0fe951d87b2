package route

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	_ "net/http/pprof" // served only when MF_PPROF is set
	"os"
	"path/filepath"
	"time"

	ma "github.com/multiformats/go-multiaddr"

	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/daemon"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// Files of mf-route inside a home.
const (
	CardName = "card"
	DataDir  = "data/route"
)

// InitOptions describe a new node.
type InitOptions struct {
	Password string
	Dev      bool
	Listen   []string
}

// ErrNodeExists means init found a node already.
var ErrNodeExists = errors.New("route: a node already exists here")

// Init creates a node in home: keystore, config, and an offline card. It
// refuses to touch a home that already has a keystore or a config.
func Init(home string, opts InitOptions) (*identity.Identity, error) {
	for _, f := range []string{identity.KeyFile, config.FileName} {
		if _, err := os.Stat(filepath.Join(home, f)); err == nil {
			return nil, fmt.Errorf("%w: %s", ErrNodeExists, home)
		}
	}
	cfg := config.Default()
	if len(opts.Listen) > 0 {
		cfg.Route.Listen = opts.Listen
	}
	for _, l := range cfg.Route.Listen {
		if _, err := ma.NewMultiaddr(l); err != nil {
			return nil, fmt.Errorf("route: listen address %q: %v", l, err)
		}
	}
	cfg.Route.Dev = opts.Dev
	if !opts.Dev && opts.Password == "" {
		return nil, errors.New("route: a password is required (or --dev for a development node)")
	}
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	id, err := identity.Generate()
	if err != nil {
		return nil, err
	}
	if err := id.Save(home, opts.Password, opts.Dev); err != nil {
		return nil, err
	}
	if err := config.Save(home, cfg); err != nil {
		return nil, err
	}
	var addrs []ma.Multiaddr
	for _, l := range cfg.Route.Listen {
		a, _ := ma.NewMultiaddr(l)
		addrs = append(addrs, a)
	}
	if err := writeCard(home, id, addrs); err != nil {
		return nil, err
	}
	return id, nil
}

func writeCard(home string, id *identity.Identity, addrs []ma.Multiaddr) error {
	c, err := id.NewCard(addrs, nowFunc())
	if err != nil {
		return err
	}
	return config.WriteFileAtomic(filepath.Join(home, CardName), []byte(c.String()+"\n"), 0o644)
}

// ReadCard reads the card the node last wrote, for `id` without a daemon.
func ReadCard(home string) (*identity.Card, error) {
	b, err := os.ReadFile(filepath.Join(home, CardName))
	if err != nil {
		return nil, err
	}
	return identity.ParseCard(string(b))
}

// RunDaemon runs the node of home until ctx ends. ready, if not nil, is
// called once the API socket is serving.
func RunDaemon(ctx context.Context, home string, cfg config.Route, log *slog.Logger, ready func(*Node)) error {
	sock := routeapi.SocketPath(home)
	h, err := daemon.Open(home, "route", cfg)
	if err != nil {
		return err
	}
	defer h.Close()
	if err := checkPortsFree(cfg.Listen); err != nil {
		return err
	}
	id := h.Identity
	n, err := New(ctx, id, h.DB, Options{
		Listen:          cfg.Listen,
		Bootstrap:       cfg.Bootstrap,
		AllowPeers:      cfg.AllowPeers,
		TTL:             cfg.TTL,
		Logger:          log,
		Luminosity:      cfg.Luminosity,
		Bond:            cfg.Bond,
		BondFee:         cfg.BondFee,
		ReceiptFraction: cfg.ReceiptFraction,
		CertTimeout:     time.Duration(cfg.CertTimeout) * time.Second,
		Home:            home,
		HoldMode:        cfg.HoldMode,
		DropCertified:   os.Getenv("MF_TEST_DROP_CERTIFIED") == "1",
		NAT: NATOptions{
			RelayService:      cfg.RelayService,
			RelayReservations: cfg.RelayReservations,
			RelayCircuit:      time.Duration(cfg.RelayCircuitSeconds) * time.Second,
			RelayCircuitBytes: cfg.RelayCircuitBytes,
			PortMap:           cfg.NATPortMap,
			MDNS:              cfg.MDNS,
			Reachability:      cfg.Reachability,
		},
	})
	if err != nil {
		return err
	}
	defer n.Close()
	if err := writeCard(home, id, n.Card().Addrs); err != nil {
		log.Warn("writing card file", "err", err)
	}
	log.Info("mf-route daemon running", "overlay", n.self.String(), "peer", n.host.ID().String(), "socket", sock)
	for _, a := range n.Card().Addrs {
		log.Info("listening", "addr", a.String()+"/p2p/"+n.host.ID().String())
	}
	if addr := os.Getenv("MF_PPROF"); addr != "" {
		// Profiling for developers: MF_PPROF=127.0.0.1:6060 serves
		// net/http/pprof there, and only on a loopback address.
		if host, _, err := net.SplitHostPort(addr); err != nil || !net.ParseIP(host).IsLoopback() {
			log.Warn("MF_PPROF must be a loopback host:port; profiling is off", "addr", addr)
		} else {
			srv := &http.Server{Addr: addr, ReadHeaderTimeout: 5 * time.Second}
			go func() { _ = srv.ListenAndServe() }()
			defer srv.Close()
		}
	}
	if ready != nil {
		ready(n)
	}
	err = h.Serve(ctx, n.Handler())
	log.Info("mf-route daemon stopping")
	return err
}
