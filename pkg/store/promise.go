package store

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/court/courtapi"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/proof"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/store/chunk"
	"github.com/mainframe/mf/pkg/store/storeapi"
)

// Swear and audit. A storer that holds chunks of a file for a client
// stakes for them through mf-court (an agreement for service "store" with
// the client) and signs a promise over the data it holds: those chunks, in
// the file's order, read as one byte string and cut into pkg/proof's 4 KiB
// chunks. mf-court keeps none of the data: for a case, or a witness, it
// asks this daemon's socket (GET /v0/proof, the convention of
// courtapi.PromiseRequest), and this daemon reads the 4 KiB pieces asked
// for from its chunk files. A storer that deleted or damaged its chunks
// cannot prove them and loses its stake.
//
// Records:
//
//	promise/<keccak of the promise key, hex>   JSON promiseRecord (storer)
//	claim/<file root hex>/<storer peer ID>     JSON storeapi.Claim (both sides)
//	myclaim/<keccak of the promise key, hex>   JSON storeapi.Claim (storer)
//	swear/<file root hex>/<storer peer ID>     JSON swearRecord (client): a
//	                                           storer yet to swear, asked
//	                                           again until it does
//
// Swearing takes a storer a stake and a promise, two transactions, and a
// hash of all it holds: longer, on a slow or loaded machine, than a call
// through the gateway waits for its answer's head. So the storer swears in
// the background (one job per promise, joined by a caller that asks again)
// and answers "swearing" while it works; the client asks again, with
// backoff, until the claim comes, and after a restart too.

// MaxSwear bounds the chunks one promise covers (64 GiB).
const MaxSwear = 1 << 16

type promiseRecord struct {
	File   string   `json:"file"`
	Client string   `json:"client"`
	Addrs  []string `json:"addrs"`
	Sizes  []int64  `json:"sizes"`
}

func claimKey(root chunk.Addr, peer string) []byte {
	return []byte("claim/" + root.String() + "/" + peer)
}

// myClaimKey is where a storer keeps the claim it signed for a promise.
func myClaimKey(key [32]byte) []byte { return []byte("myclaim/" + hex.EncodeToString(key[:])) }

// Pacing of the client's swear requests: the first waits swearRetryMin,
// each later one twice as long up to swearRetryMax; after swearGiveUp the
// client stops asking and says so.
var (
	swearRetryMin = 2 * time.Second
	swearRetryMax = 30 * time.Second
	swearGiveUp   = time.Hour
)

// swearWait is how long a storer's answer to a swear request waits for the
// swearing: below the gateway's wait for an answer's head (30 s), so that
// "swearing, ask again" arrives rather than a timeout.
var swearWait = 20 * time.Second

type swearRecord struct {
	Addrs []string  `json:"addrs"`
	Since time.Time `json:"since"`
}

func swearKey(root chunk.Addr, peer string) []byte {
	return []byte("swear/" + root.String() + "/" + peer)
}

// swearAll asks every storer but this node to swear for what it holds of
// file root, and keeps their claims. Each request is recorded first, so
// that a restart asks again (resumeSwears).
func (s *Service) swearAll(root chunk.Addr, storers []storer, placed map[string][]chunk.Addr) {
	var wg sync.WaitGroup
	for _, st := range storers {
		addrs := placed[st.Peer]
		if st.self || len(addrs) == 0 {
			continue
		}
		rec := swearRecord{Since: time.Now()}
		for _, a := range addrs {
			rec.Addrs = append(rec.Addrs, a.String())
		}
		b, _ := json.Marshal(rec)
		if err := s.db.Set(swearKey(root, st.Peer), b); err != nil {
			s.log.Warn("recording a swear request", "err", err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.swearOne(root, st.Peer, rec)
		}()
	}
	wg.Wait()
}

// resumeSwears asks again the storers that had not sworn when the daemon
// stopped.
func (s *Service) resumeSwears() {
	type job struct {
		root chunk.Addr
		peer string
		rec  swearRecord
	}
	var jobs []job
	_ = s.db.Scan([]byte("swear/"), func(k, v []byte) error {
		parts := strings.Split(string(k), "/")
		var rec swearRecord
		if len(parts) != 3 || json.Unmarshal(v, &rec) != nil {
			return nil
		}
		root, err := chunk.ParseAddr(parts[1])
		if err != nil {
			return nil
		}
		jobs = append(jobs, job{root, parts[2], rec})
		return nil
	})
	for _, j := range jobs {
		s.bg.Add(1)
		go func() {
			defer s.bg.Done()
			s.swearOne(j.root, j.peer, j.rec)
		}()
	}
}

// swearOne asks one storer to swear until it does, the daemon stops, or
// swearGiveUp has passed since the first request.
func (s *Service) swearOne(root chunk.Addr, peer string, rec swearRecord) {
	req := storeapi.SwearRequest{Root: root.String(), Addrs: rec.Addrs}
	pause := swearRetryMin
	for warned := false; ; {
		ctx, cancel := context.WithTimeout(s.ctx, 3*time.Minute)
		var c storeapi.Claim
		err := s.route.CallService(ctx, peer, storeapi.Service, http.MethodPost, "/v0/swear", req, &c)
		cancel()
		if err == nil {
			s.swore(root, peer, c)
			return
		}
		if s.ctx.Err() != nil {
			return // the record stays: the next start asks again
		}
		if e := localapi.AsError(err); e.Status >= 400 && e.Status < 500 {
			// Refused (a chunk it no longer has, a bad request): asking
			// again would get the same answer.
			s.log.Warn("a storer refused to swear", "peer", peer, "file", root, "err", err)
			_ = s.db.Delete(swearKey(root, peer))
			return
		}
		if time.Since(rec.Since) > swearGiveUp {
			s.log.Warn("a storer did not swear; no longer asking", "peer", peer, "file", root, "since", rec.Since, "err", err)
			_ = s.db.Delete(swearKey(root, peer))
			return
		}
		// Said once (at info level when the storer is at work, at warn
		// level for a failure), then at debug: a long wait would fill the
		// log.
		level := slog.LevelDebug
		if !warned {
			level, warned = slog.LevelWarn, true
			if localapi.AsError(err).Code == "swearing" {
				level = slog.LevelInfo
			}
		}
		s.log.Log(s.ctx, level, "a storer has not sworn yet; asking again", "peer", peer, "file", root, "in", pause, "err", err)
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(pause):
		}
		pause = min(2*pause, swearRetryMax)
	}
}

// swore keeps a storer's claim, and forgets the request.
func (s *Service) swore(root chunk.Addr, peer string, c storeapi.Claim) {
	b := s.db.NewBatch()
	b.Delete(swearKey(root, peer))
	if c.Peer != peer || c.File != root.String() {
		s.log.Warn("a storer swore for something else", "peer", peer, "claim", c)
	} else {
		cb, _ := json.Marshal(c)
		b.Set(claimKey(root, peer), cb)
	}
	if err := b.Commit(); err != nil {
		s.log.Warn("keeping a claim", "err", err)
		return
	}
	s.log.Info("a storer swore", "peer", peer, "file", root, "agreement", c.Agreement, "chunks", c.Chunks)
}

// swearJob is a storer's swearing for one promise, run in the daemon's
// context so that a caller that stops waiting does not cut a stake
// halfway, and joined by a caller that asks again.
type swearJob struct {
	done  chan struct{}
	claim storeapi.Claim
	err   error
}

// remoteSwear stakes for and promises the chunks of a file this node holds
// for the caller.
func (s *Service) remoteSwear(w http.ResponseWriter, r *http.Request) (any, error) {
	client := r.Header.Get(routeapi.HeaderPeerAddress)
	if !common.IsHexAddress(client) {
		return nil, localapi.Errorf(http.StatusForbidden, "forbidden", "swear requests come through mf-route only")
	}
	var req storeapi.SwearRequest
	if err := localapi.DecodeBody(w, r, &req, 8<<20); err != nil {
		return nil, err
	}
	root, err := chunk.ParseAddr(req.Root)
	if err != nil {
		return nil, localapi.BadRequest("root: %v", err)
	}
	if len(req.Addrs) == 0 || len(req.Addrs) > MaxSwear {
		return nil, localapi.BadRequest("a promise covers 1 to %d chunks", MaxSwear)
	}
	rec := promiseRecord{File: root.String(), Client: common.HexToAddress(client).Hex()}
	for _, v := range req.Addrs {
		a, err := chunk.ParseAddr(v)
		if err != nil {
			return nil, localapi.BadRequest("%v", err)
		}
		n := s.disk.Size(a)
		if n < 0 {
			return nil, localapi.Errorf(http.StatusConflict, "missing", "store: chunk %s is not here; nothing promised", a)
		}
		rec.Addrs, rec.Sizes = append(rec.Addrs, a.String()), append(rec.Sizes, n)
	}
	promiseName := "store:" + rec.File + ":" + rec.Client
	key := crypto.Keccak256Hash([]byte(promiseName))
	// One promise per file and client: asked again, the storer hands out
	// the claim it signed rather than staking once more.
	if b, err := s.db.Get(myClaimKey(key)); err == nil {
		var c storeapi.Claim
		if json.Unmarshal(b, &c) == nil {
			return c, nil
		}
	}
	job := s.startSwear(key, promiseName, rec)
	select {
	case <-job.done:
		if job.err != nil {
			return nil, job.err
		}
		return job.claim, nil
	case <-time.After(swearWait):
		return nil, localapi.Errorf(http.StatusServiceUnavailable, "swearing", "store: still staking and promising for %s; ask again", rec.File)
	case <-r.Context().Done():
		return nil, r.Context().Err()
	}
}

// startSwear starts the swearing for promise key, or returns the one
// under way. A job that ended is forgotten: a success is in myclaim/, and
// a failure may be tried again.
func (s *Service) startSwear(key [32]byte, promiseName string, rec promiseRecord) *swearJob {
	s.mu.Lock()
	defer s.mu.Unlock()
	if j := s.swearing[key]; j != nil {
		return j
	}
	if s.swearing == nil {
		s.swearing = map[[32]byte]*swearJob{}
	}
	j := &swearJob{done: make(chan struct{})}
	s.swearing[key] = j
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Minute)
		j.claim, j.err = s.swear(ctx, key, promiseName, &rec)
		cancel()
		s.mu.Lock()
		delete(s.swearing, key)
		s.mu.Unlock()
		close(j.done)
	}()
	return j
}

// swear stakes for and promises what rec names, and keeps the claim.
func (s *Service) swear(ctx context.Context, key [32]byte, promiseName string, rec *promiseRecord) (storeapi.Claim, error) {
	tree, err := s.treeOf(key, rec)
	if err != nil {
		return storeapi.Claim{}, err
	}
	b, _ := json.Marshal(rec)
	if err := s.db.Set([]byte("promise/"+hex.EncodeToString(key[:])), b); err != nil {
		return storeapi.Claim{}, err
	}
	ag, err := s.court.Stake(ctx, courtapi.StakeRequest{Service: storeapi.Service, Client: rec.Client, Amount: s.opt.Stake.String(), Term: time.Now().Add(s.opt.Term).Unix()})
	if err != nil {
		return storeapi.Claim{}, localapi.Errorf(http.StatusServiceUnavailable, "no_stake", "store: cannot stake: %v", err)
	}
	root32 := tree.Root()
	c, err := s.court.Promise(ctx, courtapi.PromiseRequest{Agreement: ag.ID, Key: promiseName, Root: hex.EncodeToString(root32[:]), Chunks: tree.Chunks()})
	if err != nil {
		return storeapi.Claim{}, localapi.Errorf(http.StatusServiceUnavailable, "no_promise", "store: cannot promise: %v", err)
	}
	out := storeapi.Claim{Peer: s.self.PeerID().String(), Address: s.self.Address().Hex(), Agreement: c.Agreement, Key: c.Key,
		Root: c.Root, Chunks: c.Chunks, Signature: c.Signature, File: rec.File}
	cb, _ := json.Marshal(out)
	root, _ := chunk.ParseAddr(rec.File)
	b2 := s.db.NewBatch()
	b2.Set(claimKey(root, out.Peer), cb)
	b2.Set(myClaimKey(key), cb)
	if err := b2.Commit(); err != nil {
		return storeapi.Claim{}, err
	}
	s.log.Info("swore for chunks of a file", "file", rec.File, "client", rec.Client, "agreement", c.Agreement, "chunks", len(rec.Addrs))
	return out, nil
}

// claims lists the claims this node keeps for a file.
func (s *Service) claims(root chunk.Addr) []storeapi.Claim {
	out := []storeapi.Claim{}
	_ = s.db.Scan([]byte("claim/"+root.String()+"/"), func(_, v []byte) error {
		var c storeapi.Claim
		if json.Unmarshal(v, &c) == nil {
			out = append(out, c)
		}
		return nil
	})
	return out
}

func (s *Service) remoteClaims(w http.ResponseWriter, r *http.Request) (any, error) {
	root, err := chunk.ParseAddr(r.PathValue("root"))
	if err != nil {
		return nil, localapi.BadRequest("%v", err)
	}
	var mine []storeapi.Claim
	for _, c := range s.claims(root) {
		if c.Peer == s.self.PeerID().String() {
			mine = append(mine, c)
		}
	}
	return mine, nil
}

// treeCache keeps the Merkle trees of recent promises, so that a case's
// answer does not hash the data again. A tree holds 64 bytes per 4 KiB of
// data (a leaf and its share of the levels above): 16 MiB for a GiB, 1 GiB
// for the largest promise. Peers ask for proofs (GET /remote/v0/proof), so
// the cache is bounded in bytes, not in trees, and proofs asked for at once
// share one build per promise: before, each request built its own tree,
// and a few dozen at once on a large promise held a GiB each.
type treeCache struct {
	mu       sync.Mutex
	m        map[[32]byte]*proof.Tree
	bytes    int64
	building map[[32]byte]*treeBuild
}

// treeBuild is a tree under construction, waited for by every caller that
// asks for it meanwhile.
type treeBuild struct {
	done chan struct{}
	t    *proof.Tree
	err  error
}

// treeCacheBytes bounds the trees kept (a larger tree alone is kept alone).
const treeCacheBytes = 256 << 20

// treeBytes is about what tree t holds in memory.
func treeBytes(t *proof.Tree) int64 { return int64(t.Chunks()) * 2 * int64(len(proof.Hash{})) }

// buildTree is proof.Build; tests count the builds.
var buildTree = proof.Build

func (s *Service) treeOf(key [32]byte, rec *promiseRecord) (*proof.Tree, error) {
	c := &s.trees
	c.mu.Lock()
	if t := c.m[key]; t != nil {
		c.mu.Unlock()
		return t, nil
	}
	if b := c.building[key]; b != nil {
		c.mu.Unlock()
		<-b.done
		return b.t, b.err
	}
	b := &treeBuild{done: make(chan struct{})}
	if c.building == nil {
		c.building = map[[32]byte]*treeBuild{}
	}
	c.building[key] = b
	c.mu.Unlock()

	data, err := s.promised(rec)
	if err == nil {
		b.t, b.err = buildTree(io.NewSectionReader(data, 0, data.size))
	} else {
		b.err = err
	}

	c.mu.Lock()
	delete(c.building, key)
	if b.err == nil {
		n := treeBytes(b.t)
		if c.m == nil || c.bytes+n > treeCacheBytes {
			c.m, c.bytes = map[[32]byte]*proof.Tree{}, 0
		}
		c.m[key] = b.t
		c.bytes += n
	}
	c.mu.Unlock()
	close(b.done)
	return b.t, b.err
}

// concat reads a promise's chunk files as one byte string, as they are on
// disk: a damaged or deleted chunk reads as what is there, or fails.
type concat struct {
	paths []string
	offs  []int64 // start of each chunk
	size  int64
}

func (s *Service) promised(rec *promiseRecord) (*concat, error) {
	c := &concat{}
	for i, v := range rec.Addrs {
		a, err := chunk.ParseAddr(v)
		if err != nil {
			return nil, err
		}
		c.paths = append(c.paths, s.disk.path(a))
		c.offs = append(c.offs, c.size)
		c.size += rec.Sizes[i]
	}
	return c, nil
}

func (c *concat) ReadAt(p []byte, off int64) (int, error) {
	n := 0
	for len(p) > 0 {
		if off >= c.size {
			return n, io.EOF
		}
		i := len(c.offs) - 1
		for i > 0 && c.offs[i] > off {
			i--
		}
		f, err := os.Open(c.paths[i])
		if err != nil {
			return n, err
		}
		end := c.size
		if i+1 < len(c.offs) {
			end = c.offs[i+1]
		}
		want := min(int64(len(p)), end-off)
		k, err := f.ReadAt(p[:want], off-c.offs[i])
		f.Close()
		n += k
		if err != nil && !(errors.Is(err, io.EOF) && int64(k) == want) {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return n, err
		}
		p, off = p[want:], off+want
	}
	return n, nil
}

// apiProof answers the proof convention: chunks of promised data with
// their paths, read from the chunk files now.
func (s *Service) apiProof(w http.ResponseWriter, r *http.Request) {
	b, err := s.proof(r)
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", localapi.OctetStream)
	w.Write(b)
}

func (s *Service) proof(r *http.Request) ([]byte, error) {
	q := r.URL.Query()
	kb, err := hex.DecodeString(q.Get("key"))
	if err != nil || len(kb) != 32 {
		return nil, localapi.BadRequest("key must be 64 hex digits")
	}
	var key [32]byte
	copy(key[:], kb)
	v, err := s.db.Get([]byte("promise/" + hex.EncodeToString(kb)))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, localapi.NotFound("store: no promise under key %x", kb)
	}
	if err != nil {
		return nil, err
	}
	var rec promiseRecord
	if err := json.Unmarshal(v, &rec); err != nil {
		return nil, err
	}
	tree, err := s.treeOf(key, &rec)
	if err != nil {
		return nil, err
	}
	idx, err := proof.ParseIndices(q.Get("index"), tree.Chunks(), proof.MaxProofs)
	if err != nil {
		return nil, localapi.BadRequest("%v", err)
	}
	data, err := s.promised(&rec)
	if err != nil {
		return nil, err
	}
	out := make([]proof.Proof, len(idx))
	for j, i := range idx {
		if out[j], err = tree.Prove(data, i); err != nil {
			return nil, localapi.Errorf(http.StatusNotFound, "lost", "store: chunk %d of the promise cannot be read: %v", i, err)
		}
	}
	return proof.Encode(out)
}

// apiAudit runs the court's challenge off chain: for each storer's claim
// on the file, chunks picked at random, checked against the claim's root.
// With Court, each storer that fails is taken to court on its claim.
func (s *Service) apiAudit(w http.ResponseWriter, r *http.Request) (any, error) {
	var req storeapi.AuditRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	ref, err := parseRef(req.Ref)
	if err != nil {
		return nil, err
	}
	ctx := r.Context()
	claims := s.claims(ref.Root)
	// Anyone holding the reference may audit: the storers hand out their
	// own claims on the file.
	known := map[string]bool{}
	for _, c := range claims {
		known[c.Peer] = true
	}
	for _, st := range s.storerList(ctx, false) {
		if st.self || known[st.Peer] {
			continue
		}
		var cs []storeapi.Claim
		cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err := s.route.CallService(cctx, st.Peer, storeapi.Service, http.MethodGet, "/v0/claims/"+ref.Root.String(), nil, &cs)
		cancel()
		if err != nil {
			continue
		}
		for _, c := range cs {
			if c.Peer == st.Peer && c.File == ref.Root.String() {
				claims = append(claims, c)
			}
		}
	}
	if len(claims) == 0 {
		return nil, localapi.NotFound("store: no storer has sworn for %s yet", ref.Public())
	}
	if req.Storer != "" {
		if !common.IsHexAddress(req.Storer) {
			return nil, localapi.BadRequest("storer must be an Ethereum address")
		}
		var only []storeapi.Claim
		for _, c := range claims {
			if common.HexToAddress(c.Address) == common.HexToAddress(req.Storer) {
				only = append(only, c)
			}
		}
		if len(only) == 0 {
			return nil, localapi.NotFound("store: %s has not sworn for %s", req.Storer, ref.Public())
		}
		claims = only
	}
	out := storeapi.AuditResult{Ref: ref.Public()}
	for _, c := range claims {
		a := s.audit(ctx, c)
		if !a.Passed {
			out.Failed++
		}
		if req.Court && (!a.Passed || req.Always) {
			ci, err := s.court.OpenCase(ctx, courtapi.CaseRequest{Claim: courtapi.Claim{Agreement: c.Agreement, Key: c.Key, Root: c.Root, Chunks: c.Chunks, Signature: c.Signature}})
			if err != nil {
				a.Error = strings.TrimPrefix(a.Error+"; no case opened: "+err.Error(), "; ")
			} else {
				a.Case = ci.ID
			}
		}
		out.Storers = append(out.Storers, a)
	}
	return out, nil
}

// audit challenges one storer on its claim.
func (s *Service) audit(ctx context.Context, c storeapi.Claim) storeapi.StorerAudit {
	a := storeapi.StorerAudit{Peer: c.Peer, Address: c.Address, Agreement: c.Agreement}
	rb, err1 := hex.DecodeString(c.Root)
	if err1 != nil || len(rb) != 32 || c.Chunks == 0 {
		a.Error = "malformed claim"
		return a
	}
	var root proof.Hash
	copy(root[:], rb)
	n := min(uint64(proof.Challenges), c.Chunks)
	for range n {
		a.Indices = append(a.Indices, rand.Uint64N(c.Chunks))
	}
	path := "/v0/proof?key=" + c.Key + "&index=" + joinIndices(a.Indices)
	var b []byte
	var err error
	if c.Peer == s.self.PeerID().String() {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, path, nil)
		b, err = s.proof(req)
	} else {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		var resp *http.Response
		resp, err = s.route.CallServiceStream(cctx, routeapi.ServiceCall{Peer: c.Peer, Service: storeapi.Service, Method: http.MethodGet, Path: path})
		if err == nil {
			b, err = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
			resp.Body.Close()
		}
	}
	if err == nil {
		var ans []proof.Proof
		if ans, err = proof.Decode(b); err == nil {
			err = proof.VerifyChunks(root, c.Chunks, a.Indices, ans)
		}
	}
	if err != nil {
		a.Error = err.Error()
		return a
	}
	a.Passed = true
	return a
}

func joinIndices(idx []uint64) string {
	parts := make([]string, len(idx))
	for i, v := range idx {
		parts[i] = strconv.FormatUint(v, 10)
	}
	return strings.Join(parts, ",")
}
