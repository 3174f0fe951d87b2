package hold

// Enforcement in court (docs/hold.md). A delegate that staked for a client
// signs, with each hold receipt, a court promise for the packet
// (holdapi.Claim): that it holds the packet's bytes under
// holdapi.PromiseKey(client, id). The sender's mf-route hands the receipts
// to its own mf-hold, which keeps the claims (POST /v0/claims); the
// client, the only party the court hears, opens a case with one
// (POST /v0/case, or mf-court case open with the claim); the sender's
// mf-hold passes the claims on to the client's (POST /remote/v0/claims),
// which keeps those of its own delegates. The delegate's
// mf-court answers the challenge with chunks it asks this daemon for
// (GET /v0/proof, the proof convention of courtapi.PromiseRequest), read
// from the packet as held: a delegate that dropped it cannot answer.
//
// A delegate deletes a packet when its client's received-list names it; a
// list of a staked agreement carries the client's court release of the
// ids (holdapi.Release), and the delegate keeps it: its mf-court answers a
// case opened on a deleted packet with the release (GET /v0/release), and
// the court dismisses the case.
//
// Keys:
//
//	k/<promise key 32>                    client 20, packet id 32: a held packet by its promise
//	r/<promise key 32>                    root 32 of the release that deleted it
//	l/<root 32>                           the received-list (binary) whose release has that root
//	s/<client 20><id 32><delegate 20>     JSON holdapi.ClaimInfo: a claim kept by a sender (or its client)
//	o/<client 20><id 32><delegate 20>     a kept claim still to pass on to its client

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/court/courtapi"
	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/proof"
)

// ErrNoRelease: a received-list of a staked agreement without the
// client's court release of its ids; the delegate keeps the packets.
var ErrNoRelease = errors.New("hold: a received-list for a staked delegate must carry the client's court release")

func init() {
	localapi.Classify(ErrNoRelease, http.StatusConflict, "no_release")
}

func promiseIndexKey(k [32]byte) []byte { return append([]byte("k/"), k[:]...) }
func releasedKey(k [32]byte) []byte     { return append([]byte("r/"), k[:]...) }
func listKey(root [32]byte) []byte      { return append([]byte("l/"), root[:]...) }

// agreementOf is c's stake agreement id, nil when it holds without one.
func agreementOf(c *clientRecord) *big.Int {
	if c.Agreement == "" {
		return nil
	}
	a, ok := new(big.Int).SetString(c.Agreement, 10)
	if !ok || a.Sign() <= 0 {
		return nil
	}
	return a
}

// claimFor signs the court promise for packet held for c, when this node
// staked for c and knows its court; nil otherwise.
func (s *Service) claimFor(chainID *big.Int, court common.Address, c *clientRecord, id [32]byte, packet []byte) *holdapi.Claim {
	ag := agreementOf(c)
	if ag == nil || chainID == nil {
		return nil
	}
	root, chunks := holdapi.PromiseOf(packet)
	cl := &holdapi.Claim{Agreement: ag, Key: holdapi.PromiseKey(c.Address, id), Root: root, Chunks: chunks}
	sig, err := chain.SignPromise(s.id.Key, chainID, court, cl.Promise())
	if err != nil {
		s.log.Warn("cannot sign a claim", "err", err)
		return nil
	}
	cl.Sig = sig
	return cl
}

// chainForClaims is the chain and court when this node has a staked
// client to sign claims for; nil without.
func (s *Service) chainForClaims(c *clientRecord) (*big.Int, common.Address) {
	if c == nil || agreementOf(c) == nil {
		return nil, common.Address{}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	id, court, err := s.chain.Get(ctx)
	if err != nil {
		s.log.Debug("holding without signing claims", "err", err)
		return nil, common.Address{}
	}
	return id, court
}

// checkRelease is what a received-list for c must carry: the client's
// court release of its ids, when this node staked for c.
func (s *Service) checkRelease(ctx context.Context, c *clientRecord, l *holdapi.ReceivedList) error {
	ag := agreementOf(c)
	if ag == nil {
		return nil
	}
	if l.Release == nil {
		return fmt.Errorf("%w (agreement %s)", ErrNoRelease, ag)
	}
	chainID, court, err := s.chain.Get(ctx)
	if err != nil {
		return localapi.Errorf(http.StatusServiceUnavailable, "no_chain", "hold: cannot check the received-list's release: %v", err)
	}
	return l.CheckRelease(chainID, court, ag)
}

// apiProof serves mf-court the chunks of a held packet this node
// promised, as held now (the proof convention of courtapi.PromiseRequest).
func (s *Service) apiProof(w http.ResponseWriter, r *http.Request) {
	b, err := s.proof(r)
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", localapi.OctetStream)
	w.Write(b)
}

func parseKey(v string) ([32]byte, error) {
	var k [32]byte
	b, err := hex.DecodeString(v)
	if err != nil || len(b) != 32 {
		return k, localapi.BadRequest("key must be 64 hex digits")
	}
	copy(k[:], b)
	return k, nil
}

// heldByPromise is the packet held under promise key k.
func (s *Service) heldByPromise(k [32]byte) ([]byte, error) {
	ref, err := s.db.Get(promiseIndexKey(k))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, localapi.NotFound("hold: no packet promised under key %x is held here", k)
	}
	if err != nil {
		return nil, err
	}
	if len(ref) != 52 {
		return nil, fmt.Errorf("hold: damaged promise index under %x", k)
	}
	client := common.BytesToAddress(ref[:20])
	var id [32]byte
	copy(id[:], ref[20:])
	seq, err := s.db.Get(indexKey(client, id))
	if errors.Is(err, kv.ErrNotFound) || (err == nil && len(seq) != 8) {
		return nil, localapi.Errorf(http.StatusNotFound, "lost", "hold: the packet promised under key %x is not held here", k)
	}
	if err != nil {
		return nil, err
	}
	pv, err := s.db.Get(packetKey(client, binary.BigEndian.Uint64(seq)))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, localapi.Errorf(http.StatusNotFound, "lost", "hold: the packet promised under key %x is not held here", k)
	}
	if err != nil {
		return nil, err
	}
	p, err := decodePacketRecord(pv)
	if err != nil {
		return nil, err
	}
	return p.Packet, nil
}

func (s *Service) proof(r *http.Request) ([]byte, error) {
	k, err := parseKey(r.URL.Query().Get("key"))
	if err != nil {
		return nil, err
	}
	data, err := s.heldByPromise(k)
	if err != nil {
		return nil, err
	}
	tree := proof.FromBytes(data)
	idx, err := proof.ParseIndices(r.URL.Query().Get("index"), tree.Chunks(), proof.MaxProofs)
	if err != nil {
		return nil, localapi.BadRequest("%v", err)
	}
	out, err := tree.ProveAll(bytes.NewReader(data), idx)
	if err != nil {
		return nil, err
	}
	return proof.Encode(out)
}

// apiRelease serves mf-court the client's release of a packet this node
// deleted on its received-list.
func (s *Service) apiRelease(w http.ResponseWriter, r *http.Request) (any, error) {
	k, err := parseKey(r.URL.Query().Get("key"))
	if err != nil {
		return nil, err
	}
	root, err := s.db.Get(releasedKey(k))
	if errors.Is(err, kv.ErrNotFound) {
		return nil, localapi.NotFound("hold: no release of key %x is kept here", k)
	}
	if err != nil {
		return nil, err
	}
	var rk [32]byte
	copy(rk[:], root)
	b, err := s.db.Get(listKey(rk))
	if err != nil {
		return nil, fmt.Errorf("hold: the received-list of release %x: %w", rk, err)
	}
	l, err := holdapi.DecodeReceivedList(b)
	if err != nil {
		return nil, err
	}
	rel, tree, err := l.ChainRelease()
	if err != nil {
		return nil, err
	}
	for i, id := range l.IDs {
		if holdapi.PromiseKey(l.Client, id) != k {
			continue
		}
		path, err := tree.Path(uint64(i))
		if err != nil {
			return nil, err
		}
		ans := courtapi.ReleaseAnswer{Agreement: rel.Agreement.String(), Root: hex.EncodeToString(rel.Root[:]), Count: rel.Count,
			Index: uint64(i), Path: make([]string, len(path)), Signature: hex.EncodeToString(l.Release.Sig)}
		for j, h := range path {
			ans.Path[j] = hex.EncodeToString(h[:])
		}
		return ans, nil
	}
	return nil, fmt.Errorf("hold: the release kept for key %x does not name it", k)
}

func claimKey(client common.Address, id [32]byte, delegate common.Address) []byte {
	b := append([]byte("s/"), client[:]...)
	b = append(b, id[:]...)
	return append(b, delegate[:]...)
}

// apiKeep keeps the claims of the receipts mf-route got for a packet this
// node sent: each checked, signed by its delegate for this node's court.
func (s *Service) apiKeep(w http.ResponseWriter, r *http.Request) (any, error) {
	var req holdapi.KeepRequest
	if err := localapi.DecodeBody(w, r, &req, 64<<10); err != nil {
		return nil, err
	}
	if len(req.Receipts) == 0 || len(req.Receipts) > holdapi.MaxDelegates {
		return nil, localapi.BadRequest("give 1 to %d receipts", holdapi.MaxDelegates)
	}
	chainID, court, err := s.chain.Get(r.Context())
	if err != nil {
		return nil, localapi.Errorf(http.StatusServiceUnavailable, "no_chain", "%v", err)
	}
	if req.ClientPeer != "" {
		if _, err := peer.Decode(req.ClientPeer); err != nil {
			return nil, localapi.BadRequest("client_peer must be a peer ID")
		}
	}
	b := s.db.NewBatch()
	for _, rc := range req.Receipts {
		if rc == nil || rc.Claim == nil {
			return nil, localapi.BadRequest("a receipt without a claim")
		}
		if err := rc.Verify(); err != nil {
			return nil, err
		}
		if rc.Claim.Key != holdapi.PromiseKey(rc.Client, rc.ID) || rc.Claim.Chunks != proof.ChunksOf(int64(rc.Size)) {
			return nil, fmt.Errorf("%w: the claim does not promise the receipt's packet", holdapi.ErrRecord)
		}
		if err := rc.Claim.CheckSigner(chainID, court, rc.Delegate); err != nil {
			return nil, err
		}
		v, _ := json.Marshal(holdapi.ClaimInfo{ID: hex.EncodeToString(rc.ID[:]), Client: rc.Client.Hex(), ClientPeer: req.ClientPeer,
			Delegate: rc.Delegate.Hex(), Size: rc.Size, TakenMs: rc.TakenMs, Claim: rc.Claim})
		k := claimKey(rc.Client, rc.ID, rc.Delegate)
		b.Set(k, v)
		if req.ClientPeer != "" && rc.Client != s.self.Address() {
			b.Set(append([]byte("o"), k[1:]...), nil) // to pass on
		}
	}
	if err := b.Commit(); err != nil {
		return nil, err
	}
	select {
	case s.forwardNow <- struct{}{}:
	default:
	}
	return struct{}{}, nil
}

// forwardLoop passes the claims kept here on to the clients they are
// for, every forwardEvery and after claims are kept, until each client's
// mf-hold took them (a client away takes them when it is back).
func (s *Service) forwardLoop(ctx context.Context) {
	t := time.NewTicker(forwardEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.forwardNow:
		}
		s.forward(ctx)
	}
}

const forwardEvery = 30 * time.Second

// forward makes one pass: per client, up to MaxForward claims a call.
func (s *Service) forward(ctx context.Context) {
	type batch struct {
		peer   string
		keys   [][]byte
		claims []holdapi.ClaimInfo
	}
	byClient := map[common.Address]*batch{}
	_ = s.db.Scan([]byte("o/"), func(k, _ []byte) error {
		ck := append([]byte("s"), k[1:]...)
		v, err := s.db.Get(ck)
		var ci holdapi.ClaimInfo
		if err != nil || json.Unmarshal(v, &ci) != nil || ci.ClientPeer == "" {
			_ = s.db.Delete(k) // nothing to pass on
			return nil
		}
		a := common.BytesToAddress(k[2:22])
		bt := byClient[a]
		if bt == nil {
			bt = &batch{peer: ci.ClientPeer}
			byClient[a] = bt
		}
		if len(bt.claims) < holdapi.MaxForward {
			bt.keys = append(bt.keys, bytes.Clone(k))
			bt.claims = append(bt.claims, ci)
		}
		return nil
	})
	for a, bt := range byClient {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := s.route.CallService(cctx, bt.peer, holdapi.Service, http.MethodPost, "/v0/claims", holdapi.ForwardRequest{Claims: bt.claims}, nil)
		cancel()
		if err != nil {
			s.log.Debug("claims not passed on yet", "client", a.Hex(), "err", err)
			continue
		}
		// The client keeps them now; the sender's copies go, so that what
		// a sender keeps is bounded by what its recipients have not
		// taken yet.
		b := s.db.NewBatch()
		for _, k := range bt.keys {
			b.Delete(k)
			b.Delete(append([]byte("s"), k[1:]...))
		}
		if err := b.Commit(); err != nil {
			s.log.Warn("forgetting claims passed on", "err", err)
		}
		s.log.Info("passed claims on to their client", "client", a.Hex(), "claims", len(bt.claims))
	}
}

// remoteClaims takes claims a sender passes on: each for this node, by
// one of its delegates under its agreement, signed for this node's court.
func (s *Service) remoteClaims(w http.ResponseWriter, r *http.Request) (any, error) {
	if _, _, err := caller(r); err != nil {
		return nil, err
	}
	var req holdapi.ForwardRequest
	if err := localapi.DecodeBody(w, r, &req, 1<<20); err != nil {
		return nil, err
	}
	if len(req.Claims) == 0 || len(req.Claims) > holdapi.MaxForward {
		return nil, localapi.BadRequest("give 1 to %d claims", holdapi.MaxForward)
	}
	ds, err := s.delegates()
	if err != nil {
		return nil, err
	}
	agreed := map[common.Address]string{}
	for _, d := range ds {
		if common.IsHexAddress(d.Address) && d.Agreement != "" {
			agreed[common.HexToAddress(d.Address)] = d.Agreement
		}
	}
	chainID, court, err := s.chain.Get(r.Context())
	if err != nil {
		return nil, localapi.Errorf(http.StatusServiceUnavailable, "no_chain", "%v", err)
	}
	b := s.db.NewBatch()
	for _, ci := range req.Claims {
		id, err := parseKey(ci.ID)
		if err != nil || ci.Claim == nil || !common.IsHexAddress(ci.Delegate) || !common.IsHexAddress(ci.Client) {
			return nil, fmt.Errorf("%w: a claim passed on without its packet id, delegate or claim", holdapi.ErrRecord)
		}
		del := common.HexToAddress(ci.Delegate)
		if common.HexToAddress(ci.Client) != s.self.Address() || ci.Claim.Key != holdapi.PromiseKey(s.self.Address(), id) {
			return nil, fmt.Errorf("%w: a claim for another client", holdapi.ErrRecord)
		}
		if ag, ok := agreed[del]; !ok || ag != ci.Claim.Agreement.String() {
			return nil, fmt.Errorf("%w: %s is no staked delegate of this node under agreement %s", holdapi.ErrRecord, del.Hex(), ci.Claim.Agreement)
		}
		if err := ci.Claim.CheckSigner(chainID, court, del); err != nil {
			return nil, err
		}
		ci.ClientPeer = ""
		v, _ := json.Marshal(ci)
		b.Set(claimKey(s.self.Address(), id, del), v)
	}
	return struct{}{}, b.Commit()
}

// claims lists the claims kept here, filtered.
func (s *Service) claims(client, id, delegate string) ([]holdapi.ClaimInfo, error) {
	out := []holdapi.ClaimInfo{}
	prefix := []byte("s/")
	if client != "" {
		if !common.IsHexAddress(client) {
			return nil, localapi.BadRequest("client must be an Ethereum address, not %q", client)
		}
		a := common.HexToAddress(client)
		prefix = append(prefix, a[:]...)
	}
	if id != "" {
		if _, err := parseKey(id); err != nil {
			return nil, localapi.BadRequest("id must be a packet id, 64 hex digits")
		}
	}
	if delegate != "" && !common.IsHexAddress(delegate) {
		return nil, localapi.BadRequest("delegate must be an Ethereum address, not %q", delegate)
	}
	err := s.db.Scan(prefix, func(_, v []byte) error {
		var ci holdapi.ClaimInfo
		if err := json.Unmarshal(v, &ci); err != nil {
			return fmt.Errorf("hold: damaged claim record: %w", err)
		}
		if (id == "" || strings.EqualFold(ci.ID, id)) && (delegate == "" || strings.EqualFold(ci.Delegate, delegate)) {
			out = append(out, ci)
		}
		return nil
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].TakenMs < out[j].TakenMs })
	return out, err
}

func (s *Service) apiClaims(w http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	return s.claims(q.Get("client"), q.Get("id"), q.Get("delegate"))
}

// apiCase takes a delegate to court on its claim for a packet held for
// this node: the one kept here, or the one given (a sender's, passed on).
// The court hears only the agreement's client, this node.
func (s *Service) apiCase(w http.ResponseWriter, r *http.Request) (any, error) {
	var req holdapi.CaseRequest
	if err := localapi.DecodeBody(w, r, &req, 64<<10); err != nil {
		return nil, err
	}
	cl := req.Claim
	if cl == nil {
		if req.ID == "" || req.Delegate == "" {
			return nil, localapi.BadRequest("give the packet id and the delegate, or a claim")
		}
		cs, err := s.claims(s.self.Address().Hex(), req.ID, req.Delegate)
		if err != nil {
			return nil, err
		}
		if len(cs) == 0 {
			return nil, localapi.NotFound("no claim of delegate %s for packet %s held for this node is kept here (a sender keeps them: mf-hold claims --court on its node)", req.Delegate, req.ID)
		}
		cl = cs[0].Claim
	}
	ci, err := s.court.OpenCase(r.Context(), courtapi.CaseRequest{Claim: CourtClaim(cl)})
	if err != nil {
		return nil, fmt.Errorf("mf-court: %w", err)
	}
	return &holdapi.CaseResult{Case: ci.ID, Claim: cl}, nil
}

// CourtClaim is a claim in the form mf-court opens a case with.
func CourtClaim(c *holdapi.Claim) courtapi.Claim {
	return courtapi.Claim{Agreement: c.Agreement.String(), Key: hex.EncodeToString(c.Key[:]), Root: hex.EncodeToString(c.Root[:]),
		Chunks: c.Chunks, Signature: hex.EncodeToString(c.Sig)}
}
