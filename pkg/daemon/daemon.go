// Package daemon is the start-up every mf daemon shares: one process per
// home and service (an exclusive lock taken before anything else), the API
// socket $MF_HOME/<service>.sock, the node's identity, the service's Pebble
// database $MF_HOME/data/<service>, and the pid file devnets find it by.
package daemon

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
)

// Home is a service's hold on a node directory.
type Home struct {
	Dir      string
	Service  string
	Listener net.Listener
	Identity *identity.Identity
	DB       *kv.DB
	lock     *os.File
}

// Files of a service inside a home.
func SocketPath(dir, service string) string { return filepath.Join(dir, service+".sock") }

// PIDPath is where a running service's pid is written.
func PIDPath(dir, service string) string { return filepath.Join(dir, service+".pid") }

// Open takes dir for service: the lock, the socket, the identity (with the
// password rc says) and the database. Everything is released by Close.
func Open(dir, service string, rc config.Route) (*Home, error) {
	h := &Home{Dir: dir, Service: service}
	running := func(why string) error {
		return fmt.Errorf("%s: mf-%s daemon is already running for %s%s", service, service, dir, why)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, service+".lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, running("")
	}
	h.lock = f
	fail := func(err error) (*Home, error) {
		h.Close()
		return nil, err
	}
	sock := SocketPath(dir, service)
	if h.Listener, err = localapi.Listen(sock); err != nil {
		if errors.Is(err, localapi.ErrAlreadyRunning) {
			return fail(running(""))
		}
		return fail(fmt.Errorf("%s: socket %s: %w", service, sock, err))
	}
	password, err := rc.Password()
	if err != nil {
		return fail(err)
	}
	if h.Identity, err = identity.Load(dir, password); err != nil {
		return fail(err)
	}
	if h.DB, err = kv.Open(filepath.Join(dir, "data", service)); err != nil {
		if errors.Is(err, kv.ErrLocked) {
			return fail(running(" (its database is locked)"))
		}
		return fail(err)
	}
	return h, nil
}

// Serve writes the pid file and serves the API until ctx ends.
func (h *Home) Serve(ctx context.Context, handler http.Handler) error {
	pid := PIDPath(h.Dir, h.Service)
	_ = config.WriteFileAtomic(pid, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644)
	defer os.Remove(pid)
	return localapi.Serve(ctx, h.Listener, handler)
}

// Close releases the database, the socket and the lock.
func (h *Home) Close() {
	if h.DB != nil {
		h.DB.Close()
	}
	if h.Listener != nil {
		h.Listener.Close()
	}
	if h.lock != nil {
		h.lock.Close()
	}
}
