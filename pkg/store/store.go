// Package store is mf-store: files cut into content-addressed chunks
// (pkg/store/chunk), encrypted unless public, and kept by the storers
// nearest each chunk's address in the Kademlia key space, so that anyone
// holding the reference finds them again (whitepaper, "Incentivized file
// storage"). Every mf-store daemon is a storer and a client:
//
//   - as a client it cuts what it is given to put into chunks, finds the
//     storers of the network (the providers of "store" in the DHT, checked
//     against their manifests by mf-swap), sends each chunk to the Copies
//     storers whose overlay addresses are nearest the chunk's by XOR, and
//     asks them to swear (stake through mf-court and promise what they hold);
//     it gets files back from the nearest storer that has each chunk,
//     checking every chunk, and pays for each at the storer's price;
//   - as a storer it keeps the chunks it is sent, checked on the way in and
//     out, serves them to peers for a price booked with mf-swap, and answers
//     mf-court's and auditors' challenges with Merkle proofs over what it
//     promised (pkg/proof).
//
// Peers reach each other through mf-route's gateway only. docs/store.md
// describes the design and its figures.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/court/courtapi"
	"github.com/mainframe/mf/pkg/daemon"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/store/chunk"
	"github.com/mainframe/mf/pkg/store/storeapi"
	"github.com/mainframe/mf/pkg/swap/swapapi"
)

// Options configure the daemon.
type Options struct {
	// Price is what this node charges per chunk served, in base units.
	Price *big.Int
	// Capacity bounds the bytes of chunks kept (0: the disk's).
	Capacity uint64
	// Stake is what this node stakes per promise, in base units.
	Stake *big.Int
	// Term is how long a promise's agreement runs.
	Term time.Duration
	// Parallel is how many chunks a put or get moves at once.
	Parallel int
}

// DefaultOptions are the daemon's defaults.
func DefaultOptions() Options {
	price, _ := amount.Parse("0.01")
	stake, _ := amount.Parse("1")
	return Options{Price: price, Stake: stake, Term: 30 * 24 * time.Hour, Parallel: 16}
}

// Service is a running mf-store.
type Service struct {
	home  string
	self  identity.Public
	opt   Options
	db    *kv.DB
	disk  *disk
	log   *slog.Logger
	route *routeapi.Client
	swap  *swapapi.Client
	court *courtapi.Client

	mu        sync.Mutex
	storers   []storer // the last list found
	storersAt time.Time
	down      map[string]time.Time // storers that failed lately, until when
	acct      map[string]*peerAcct // by peer ID, flushed to db
	flushMu   sync.Mutex           // one flushAccount at a time
	trees     treeCache
	swearing  map[[32]byte]*swearJob // a storer's swearing under way, by promise key
	pacer     routeapi.Pacer         // calls open to each storer
	bg        sync.WaitGroup
	ctx       context.Context
}

// RunDaemon runs mf-store for home until ctx ends.
func RunDaemon(ctx context.Context, home string, cfg config.Config, opt Options, log *slog.Logger) error {
	h, err := daemon.Open(home, storeapi.Service, cfg.Route)
	if err != nil {
		return err
	}
	defer h.Close()
	d, err := openDisk(filepath.Join(home, ChunkDir), opt.Capacity)
	if err != nil {
		return err
	}
	// A test knob: how long a storer's answer waits for its swearing
	// (store.txtar sets it near zero, so that every storer answers
	// "swearing" first and every client has to ask again).
	if w, err := time.ParseDuration(os.Getenv("MF_TEST_SWEAR_WAIT")); err == nil {
		swearWait = w
	}
	s := newService(ctx, home, h.Identity.Public(), h.DB, d, opt, log)
	defer s.flushAccount()
	go swapapi.KeepOffered(ctx, s.swap, s.lease, storeapi.Service, s.opt.Price.String(), s.log)
	go s.flushLoop(ctx)
	go s.syncLoop(ctx)
	s.resumeSwears()
	log.Info("mf-store daemon running", "overlay", s.self.Overlay().String()[:16], "chunks", d.count.Load(), "socket", storeapi.SocketPath(home))
	err = h.Serve(ctx, s.Handler())
	s.bg.Wait()
	return err
}

func newService(ctx context.Context, home string, self identity.Public, db *kv.DB, d *disk, opt Options, log *slog.Logger) *Service {
	s := &Service{home: home, self: self, opt: opt, db: db, disk: d, log: log,
		route: routeapi.NewClient(home), swap: swapapi.NewClient(home), court: courtapi.NewClient(home),
		acct: map[string]*peerAcct{}, ctx: ctx}
	s.loadAccount()
	return s
}

// Handler is the daemon's API: the local endpoints and, under /remote/,
// what peers may call through the gateway.
func (s *Service) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v0/put", s.apiPut)
	mux.HandleFunc("GET /v0/files/{ref}", s.apiGet)
	mux.HandleFunc("GET /v0/stat/{ref}", localapi.Handle(s.apiStat))
	mux.HandleFunc("GET /v0/files", localapi.Handle(s.apiList))
	mux.HandleFunc("POST /v0/pin", localapi.Handle(s.apiPin))
	mux.HandleFunc("POST /v0/unpin", localapi.Handle(s.apiUnpin))
	mux.HandleFunc("POST /v0/audit", localapi.Handle(s.apiAudit))
	mux.HandleFunc("GET /v0/account", localapi.Handle(s.apiAccount))
	mux.HandleFunc("GET /v0/status", localapi.Handle(s.apiStatus))
	mux.HandleFunc("GET /v0/proof", s.apiProof)
	mux.HandleFunc("POST /v0/check", localapi.Handle(s.apiCheck))
	mux.HandleFunc("POST /v0/sync", localapi.Handle(s.apiSync))

	mux.HandleFunc("PUT /remote/v0/chunks/{addr}", localapi.Handle(s.remotePut))
	mux.HandleFunc("GET /remote/v0/chunks/{addr}", s.remoteGet)
	mux.HandleFunc("POST /remote/v0/have", localapi.Handle(s.remoteHave))
	mux.HandleFunc("POST /remote/v0/swear", localapi.Handle(s.remoteSwear))
	mux.HandleFunc("GET /remote/v0/claims/{root}", localapi.Handle(s.remoteClaims))
	mux.HandleFunc("GET /remote/v0/proof", s.apiProof)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		localapi.WriteError(w, localapi.NotFound("no endpoint %s %s", r.Method, r.URL.Path))
	})
	return mux
}

// refBody reads a request body that names a file (storeapi.RefRequest).
func refBody(w http.ResponseWriter, r *http.Request) (chunk.Ref, error) {
	var req storeapi.RefRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return chunk.Ref{}, err
	}
	return parseRef(req.Ref)
}

// parseRef reads a reference from a request, as a clear 400.
func parseRef(s string) (chunk.Ref, error) {
	ref, err := chunk.ParseRef(s)
	if err != nil {
		return ref, localapi.BadRequest("%v", err)
	}
	return ref, nil
}

func (s *Service) apiStatus(w http.ResponseWriter, r *http.Request) (any, error) {
	s.mu.Lock()
	n := len(s.storers)
	s.mu.Unlock()
	return storeapi.Status{PeerID: s.self.PeerID().String(), Overlay: s.self.Overlay().String(), Chunks: s.disk.count.Load(),
		Bytes: s.disk.used.Load(), Capacity: s.opt.Capacity, Price: s.opt.Price.String(), Storers: n}, nil
}

// File records: what this node put or pinned, by root address.
//
//	file/<root hex>   JSON fileRecord
type fileRecord struct {
	Ref     string    `json:"ref"`
	Name    string    `json:"name,omitempty"`
	Size    uint64    `json:"size"`
	Pinned  bool      `json:"pinned"`
	Created time.Time `json:"created"`
}

func fileKey(root chunk.Addr) []byte { return []byte("file/" + root.String()) }

func (s *Service) file(root chunk.Addr) (*fileRecord, error) {
	b, err := s.db.Get(fileKey(root))
	if err != nil {
		return nil, err
	}
	var f fileRecord
	return &f, json.Unmarshal(b, &f)
}

func (s *Service) saveFile(root chunk.Addr, f *fileRecord) error {
	b, _ := json.Marshal(f)
	return s.db.Set(fileKey(root), b)
}

func (f *fileRecord) info() storeapi.FileInfo {
	return storeapi.FileInfo{Ref: f.Ref, Name: f.Name, Size: f.Size, Pinned: f.Pinned, Created: f.Created}
}

func (s *Service) apiList(w http.ResponseWriter, r *http.Request) (any, error) {
	out := []storeapi.FileInfo{}
	err := s.db.Scan([]byte("file/"), func(_, v []byte) error {
		var f fileRecord
		if json.Unmarshal(v, &f) == nil {
			out = append(out, f.info())
		}
		return nil
	})
	return out, err
}

func (s *Service) apiStat(w http.ResponseWriter, r *http.Request) (any, error) {
	ref, err := parseRef(r.PathValue("ref"))
	if err != nil {
		return nil, err
	}
	f, err := s.open(r.Context(), ref)
	if err != nil {
		return nil, err
	}
	sh := f.Root.Shape
	st := storeapi.StatInfo{Ref: ref.Public(), Size: sh.Size, Encrypted: ref.Key != nil, DataChunks: sh.DataChunks(), Depth: sh.Depth(), Chunks: 1}
	if s.disk.Has(ref.Root) {
		st.Local++
	}
	err = f.Walk(r.Context(), 0, func(_ int, a chunk.Addr) error {
		st.Chunks++
		if s.disk.Has(a) {
			st.Local++
		}
		return nil
	}, func(_ uint64, a chunk.Addr) error {
		st.Chunks++
		if s.disk.Has(a) {
			st.Local++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if rec, err := s.file(ref.Root); err == nil {
		st.Name, st.Pinned = rec.Name, rec.Pinned
	}
	st.Claims = s.claims(ref.Root)
	return st, nil
}

// open reads a file's root, from here or the network, with a clear error
// for a reference that leads nowhere or a wrong key.
func (s *Service) open(ctx context.Context, ref chunk.Ref) (*chunk.File, error) {
	f, err := chunk.Open(ctx, ref, s.fetch)
	switch {
	case errors.Is(err, chunk.ErrKey) && ref.Key != nil:
		return nil, localapi.Errorf(http.StatusBadRequest, "wrong_key", "store: the key in this reference does not open %s (wrong key, or not a file's root)", ref.Public())
	case errors.Is(err, chunk.ErrKey):
		return nil, localapi.Errorf(http.StatusBadRequest, "wrong_key", "store: %s is not the root of a public file (a private file's reference has 128 hex digits)", ref.Public())
	case errors.Is(err, ErrNotFound):
		return nil, localapi.Errorf(http.StatusNotFound, "not_found", "store: no storer has %s: unknown reference", ref.Public())
	case err != nil:
		return nil, err
	}
	return f, nil
}

func (s *Service) apiPin(w http.ResponseWriter, r *http.Request) (any, error) {
	ref, err := refBody(w, r)
	if err != nil {
		return nil, err
	}
	f, err := s.open(r.Context(), ref)
	if err != nil {
		return nil, err
	}
	keep := func(a chunk.Addr) error {
		if s.disk.Has(a) {
			return nil
		}
		b, err := s.fetch(r.Context(), a)
		if err != nil {
			return err
		}
		_, err = s.disk.Put(a, b)
		return err
	}
	if err := keep(ref.Root); err != nil {
		return nil, err
	}
	if err := f.Walk(r.Context(), 0, func(_ int, a chunk.Addr) error { return keep(a) }, func(_ uint64, a chunk.Addr) error { return keep(a) }); err != nil {
		return nil, err
	}
	rec, err := s.file(ref.Root)
	if err != nil {
		rec = &fileRecord{Ref: ref.String(), Size: f.Size(), Created: time.Now().UTC()}
	}
	rec.Pinned = true
	return rec.info(), s.saveFile(ref.Root, rec)
}

func (s *Service) apiUnpin(w http.ResponseWriter, r *http.Request) (any, error) {
	ref, err := refBody(w, r)
	if err != nil {
		return nil, err
	}
	rec, err := s.file(ref.Root)
	if errors.Is(err, kv.ErrNotFound) || (err == nil && !rec.Pinned) {
		return nil, localapi.NotFound("store: %s is not pinned here", ref.Public())
	}
	if err != nil {
		return nil, err
	}
	rec.Pinned = false
	return rec.info(), s.saveFile(ref.Root, rec)
}

// storeOK is the answer to a chunk stored.
type storeOK struct {
	Stored bool `json:"stored"` // false: it was already here
}

func (s *Service) remotePut(w http.ResponseWriter, r *http.Request) (any, error) {
	a, err := chunk.ParseAddr(r.PathValue("addr"))
	if err != nil {
		return nil, localapi.BadRequest("%v", err)
	}
	b, err := readChunk(w, r)
	if err != nil {
		return nil, err
	}
	stored, err := s.disk.Put(a, b)
	if err != nil {
		return nil, err
	}
	return storeOK{Stored: stored}, nil
}

// readChunk reads a chunk body of at most chunk.Size bytes into one
// buffer of its announced length (growing a buffer a megabyte at a time
// copies it over and over).
func readChunk(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	if r.ContentLength > chunk.Size {
		return nil, localapi.Errorf(http.StatusRequestEntityTooLarge, "too_large", "request body over %d bytes", chunk.Size)
	}
	if r.ContentLength < 0 {
		return localapi.ReadOctets(w, r, chunk.Size)
	}
	b := make([]byte, r.ContentLength)
	if _, err := io.ReadFull(r.Body, b); err != nil {
		return nil, localapi.BadRequest("reading the chunk: %v", err)
	}
	return b, nil
}

func (s *Service) remoteHave(w http.ResponseWriter, r *http.Request) (any, error) {
	var req storeapi.HaveRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	if len(req.Addrs) > storeapi.MaxHave {
		return nil, localapi.BadRequest("at most %d addresses at once", storeapi.MaxHave)
	}
	out := storeapi.HaveAnswer{Have: make([]bool, len(req.Addrs))}
	for i, s2 := range req.Addrs {
		a, err := chunk.ParseAddr(s2)
		if err != nil {
			return nil, localapi.BadRequest("%v", err)
		}
		out.Have[i] = s.disk.Has(a)
	}
	return out, nil
}

// remoteGet serves a chunk to a peer, checked on disk first, and books it
// to the peer at this node's price: mf-swap invoices the peer once it owes
// enough, and the peer pays with a cheque.
func (s *Service) remoteGet(w http.ResponseWriter, r *http.Request) {
	a, err := chunk.ParseAddr(r.PathValue("addr"))
	if err != nil {
		localapi.WriteError(w, localapi.BadRequest("%v", err))
		return
	}
	b, err := s.disk.Get(a)
	if errors.Is(err, ErrCorrupt) {
		s.log.Warn("a chunk on disk was damaged; removed it, and fetching a good copy", "chunk", a)
		s.repair(a)
		localapi.WriteError(w, localapi.Errorf(http.StatusNotFound, "corrupt", "%v", err))
		return
	}
	if errors.Is(err, ErrNoChunk) {
		localapi.WriteError(w, localapi.NotFound("store: no chunk %s here", a))
		return
	}
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", localapi.OctetStream)
	w.Header().Set("Content-Length", fmt.Sprint(len(b)))
	if _, err := w.Write(b); err != nil {
		return
	}
	if peer := r.Header.Get(routeapi.HeaderPeerID); peer != "" {
		s.earned(peer, 1)
	}
}

// repair fetches a good copy of a chunk that was damaged here, from the
// other storers, in the background.
func (s *Service) repair(a chunk.Addr) {
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, time.Minute)
		defer cancel()
		b, err := s.fetchRemote(ctx, a, s.self.PeerID().String())
		if err == nil {
			_, err = s.disk.Put(a, b)
		}
		if err != nil {
			s.log.Warn("could not repair a damaged chunk", "chunk", a, "err", err)
			return
		}
		s.log.Info("repaired a damaged chunk from another storer", "chunk", a)
	}()
}

// lease announces the service through mf-route alone, where mf-swap does
// not answer (swapapi.KeepOffered).
func (s *Service) lease(ctx context.Context, service string) error {
	_, err := s.route.Announce(ctx, service, 0)
	return err
}
