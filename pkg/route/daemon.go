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
	"strconv"
	"syscall"
	"time"

	ma "github.com/multiformats/go-multiaddr"

	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
)

// Files of mf-route inside a home.
const (
	SocketName = "route.sock"
	PIDName    = "route.pid"
	CardName   = "card"
	DataDir    = "data/route"
)

// SocketPath is the API socket of home's daemon.
func SocketPath(home string) string { return filepath.Join(home, SocketName) }

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

// Password returns the keystore password for cfg: empty on a development
// node, else the first line of the password file.
func Password(cfg config.Route) (string, error) {
	if cfg.PasswordFile == "" {
		if cfg.Dev {
			return "", nil
		}
		return "", errors.New("route: this node's keystore needs a password: give --password-file (or MF_PASSWORD_FILE)")
	}
	b, err := os.ReadFile(cfg.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("route: password file: %w", err)
	}
	s := string(b)
	for len(s) > 0 && (s[len(s)-1] == '\n' || s[len(s)-1] == '\r') {
		s = s[:len(s)-1]
	}
	return s, nil
}

// RunDaemon runs the node of home until ctx ends. ready, if not nil, is
// called once the API socket is serving.
func RunDaemon(ctx context.Context, home string, cfg config.Route, log *slog.Logger, ready func(*Node)) error {
	sock := SocketPath(home)
	// One daemon per home: an exclusive lock taken before anything else,
	// so that two daemons started at once cannot both touch the socket.
	unlock, err := lockHome(home)
	if err != nil {
		return err
	}
	defer unlock()
	ln, err := localapi.Listen(sock)
	if err != nil {
		if errors.Is(err, localapi.ErrAlreadyRunning) {
			return fmt.Errorf("route: mf-route daemon is already running for %s", home)
		}
		return fmt.Errorf("route: socket %s: %w", sock, err)
	}
	defer ln.Close()
	password, err := Password(cfg)
	if err != nil {
		return err
	}
	id, err := identity.Load(home, password)
	if err != nil {
		return err
	}
	db, err := kv.Open(filepath.Join(home, DataDir))
	if err != nil {
		if errors.Is(err, kv.ErrLocked) {
			return fmt.Errorf("route: mf-route daemon is already running for %s (its database is locked)", home)
		}
		return err
	}
	defer db.Close()
	n, err := New(ctx, id, db, Options{
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
	})
	if err != nil {
		return err
	}
	defer n.Close()
	if err := writeCard(home, id, n.Card().Addrs); err != nil {
		log.Warn("writing card file", "err", err)
	}
	pidFile := filepath.Join(home, PIDName)
	_ = config.WriteFileAtomic(pidFile, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	defer os.Remove(pidFile)
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
	err = localapi.Serve(ctx, ln, n.Handler())
	log.Info("mf-route daemon stopping")
	os.Remove(sock)
	return err
}

// lockHome takes the home's daemon lock ($MF_HOME/route.lock).
func lockHome(home string) (func(), error) {
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(home, "route.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("route: mf-route daemon is already running for %s", home)
	}
	return func() { f.Close() }, nil
}
