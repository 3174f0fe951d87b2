package hold

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/common"
	"github.com/libp2p/go-libp2p/core/peer"

	"github.com/mainframe/mf/pkg/court/courtapi"
	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/wire"
)

// The delegate's records, in its Pebble database:
//
//	c/<client address, 20 bytes>                 JSON clientRecord
//	p/<client, 20 bytes><seq, 8 bytes big-endian> packetRecord (binary)
//	i/<client, 20 bytes><packet id, 32 bytes>     seq, 8 bytes
//	a/<client peer ID>                            JSON peerAcct
//
// A packet, its index entry and the client's counters change together in
// one synced batch, so a delegate killed at any point comes back with
// counters that match what it holds, and a receipt leaves only once the
// packet is on disk.

// clientRecord is a client of this delegate and what it holds for it.
type clientRecord struct {
	Address   common.Address `json:"address"`
	PeerID    string         `json:"peer_id"`
	Price     string         `json:"price"`
	Agreement string         `json:"agreement,omitempty"`
	Stake     string         `json:"stake,omitempty"`
	Since     time.Time      `json:"since"`
	NextSeq   uint64         `json:"next_seq"`
	Packets   int            `json:"packets"`
	Bytes     int64          `json:"bytes"`
	// Senders counts what each sender (peer ID) has here, for its quota.
	Senders map[string]*senderUse `json:"senders,omitempty"`
	price   *big.Int
}

type senderUse struct {
	Packets int   `json:"packets"`
	Bytes   int64 `json:"bytes"`
}

// packetRecord is a held packet: when it was taken, from whom, the
// sender's flags (holdapi.FlagCertified), its bytes, and its place in its
// sender's order (holdapi.Held.Order; last, so that records written
// before it was kept still read).
type packetRecord struct {
	TakenMs uint64
	Sender  string
	Flags   byte
	Packet  []byte
	Order   uint64
}

func (p *packetRecord) encode() []byte {
	var w wire.Writer
	w.Uint64(p.TakenMs)
	w.Bytes([]byte(p.Sender))
	w.Byte(p.Flags)
	w.Bytes(p.Packet)
	w.Uint64(p.Order)
	return w.B
}

func decodePacketRecord(b []byte) (*packetRecord, error) {
	r := wire.NewReader(b)
	p := &packetRecord{TakenMs: r.Uint64(), Sender: string(r.Bytes(128)), Flags: r.Byte(), Packet: r.Bytes(holdapi.MaxPacket)}
	if r.Err() == nil && r.Len() > 0 {
		p.Order = r.Uint64()
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("hold: damaged packet record: %w", err)
	}
	return p, nil
}

func clientKey(a common.Address) []byte { return append([]byte("c/"), a[:]...) }

func packetKey(a common.Address, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(append([]byte("p/"), a[:]...), seq)
}

func indexKey(a common.Address, id [32]byte) []byte {
	return append(append([]byte("i/"), a[:]...), id[:]...)
}

// load reads the clients and the account.
func (s *Service) load() error {
	err := s.db.Scan([]byte("c/"), func(_, v []byte) error {
		c := &clientRecord{}
		if err := json.Unmarshal(v, c); err != nil {
			return fmt.Errorf("hold: damaged client record: %w", err)
		}
		var ok bool
		if c.price, ok = holdapi.ParseAmount(c.Price); !ok {
			c.price = new(big.Int)
		}
		if c.Senders == nil {
			c.Senders = map[string]*senderUse{}
		}
		s.clients[c.Address] = c
		return nil
	})
	if err != nil {
		return err
	}
	return s.loadAccount()
}

// caller is the peer the gateway authenticated: its address and peer ID.
func caller(r *http.Request) (common.Address, string, error) {
	a, p := r.Header.Get(routeapi.HeaderPeerAddress), r.Header.Get(routeapi.HeaderPeerID)
	if !common.IsHexAddress(a) || p == "" {
		return common.Address{}, "", localapi.Errorf(http.StatusForbidden, "forbidden", "only peers, through mf-route, call /remote")
	}
	return common.HexToAddress(a), p, nil
}

// remoteAgree makes the caller a client: this node stakes for it in
// mf-court (when it stakes at all) and holds packets for it from now on.
// Agreeing again answers with the agreement made.
func (s *Service) remoteAgree(w http.ResponseWriter, r *http.Request) (any, error) {
	who, peer, err := caller(r)
	if err != nil {
		return nil, err
	}
	var req holdapi.AgreeRequest
	if err := localapi.DecodeBody(w, r, &req, 4<<10); err != nil {
		return nil, err
	}
	if !s.opt.Sell {
		return nil, localapi.Errorf(http.StatusForbidden, "not_selling", "hold: this node does not sell packet holding")
	}
	if req.MaxPrice != "" {
		max, ok := holdapi.ParseAmount(req.MaxPrice)
		if !ok {
			return nil, localapi.BadRequest("max_price must be a whole amount of base units")
		}
		if s.opt.Price.Cmp(max) > 0 {
			return nil, localapi.Errorf(http.StatusConflict, "price", "hold: this node charges %s per KiB·hour, above %s", s.opt.Price, max)
		}
	}
	s.mu.Lock()
	c := s.clients[who]
	s.mu.Unlock()
	if c == nil {
		c = &clientRecord{Address: who, PeerID: peer, Price: s.opt.Price.String(), price: new(big.Int).Set(s.opt.Price),
			Since: s.now().UTC(), NextSeq: 1, Senders: map[string]*senderUse{}}
		if s.opt.Stake.Sign() > 0 {
			ag, err := s.court.Stake(r.Context(), courtapi.StakeRequest{Service: holdapi.Service, Client: who.Hex(),
				Amount: s.opt.Stake.String(), Term: s.now().Add(s.opt.Term).Unix()})
			if err != nil {
				return nil, localapi.Errorf(http.StatusServiceUnavailable, "no_stake", "hold: cannot stake for the agreement: %v", err)
			}
			c.Agreement, c.Stake = ag.ID, s.opt.Stake.String()
		}
		s.mu.Lock()
		if old := s.clients[who]; old != nil {
			c = old // a second request raced this one
		} else {
			b, _ := json.Marshal(c)
			if err := s.db.Set(clientKey(who), b); err != nil {
				s.mu.Unlock()
				return nil, err
			}
			s.clients[who] = c
			s.log.Info("a new client", "client", who.Hex(), "agreement", c.Agreement)
		}
		s.mu.Unlock()
	}
	return s.agreement(c), nil
}

func (s *Service) agreement(c *clientRecord) holdapi.Agreement {
	var chainID, court string
	if agreementOf(c) != nil {
		if id, ct := s.chainForClaims(c); id != nil {
			chainID, court = id.String(), ct.Hex()
		}
	}
	return holdapi.Agreement{ChainID: chainID, Court: court, PeerID: s.self.PeerID().String(), Address: s.self.Address().Hex(), Client: c.Address.Hex(),
		Price: c.Price, Agreement: c.Agreement, Stake: c.Stake,
		QuotaBytes: s.opt.ClientBytes, QuotaPackets: s.opt.ClientPackets, SenderBytes: s.opt.SenderBytes, SenderPackets: s.opt.SenderPackets}
}

// remoteEnd ends the caller's agreement: what it still holds for the
// caller is dropped, and the time it was held charged.
func (s *Service) remoteEnd(w http.ResponseWriter, r *http.Request) (any, error) {
	who, _, err := caller(r)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	c := s.clients[who]
	s.mu.Unlock()
	if c == nil {
		return nil, localapi.NotFound("hold: %s is not a client of this node", who.Hex())
	}
	if agreementOf(c) != nil && c.Packets > 0 {
		// Dropped without the client's release, they could still be
		// sued over: a staked delegate keeps them until they are fetched
		// and released, or the stake's term ends.
		return nil, localapi.Errorf(http.StatusConflict, "still_held", "hold: %d packets are still held for %s under a staked agreement; fetch them (a received-list releases them) first", c.Packets, who.Hex())
	}
	var ids [][32]byte
	err = s.db.Scan(append([]byte("i/"), who[:]...), func(k, _ []byte) error {
		var id [32]byte
		copy(id[:], k[len(k)-32:])
		ids = append(ids, id)
		return nil
	})
	if err != nil {
		return nil, err
	}
	res, err := s.deleteHeld(c, ids, uint64(s.now().UnixMilli()), nil)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	delete(s.clients, who)
	err = s.db.Delete(clientKey(who))
	s.mu.Unlock()
	if c.Agreement != "" {
		// The stake is the delegate's to take back; an agreement ended
		// early is unstaked when its term allows (mf-court unstake).
		s.log.Info("a client ended its agreement", "client", who.Hex(), "agreement", c.Agreement)
	}
	return res, err
}

// remoteHold takes a sealed packet for a client from a sender, within the
// quotas, and answers with a signed receipt. A packet held already is
// answered with a receipt again (senders retry), and counted once.
func (s *Service) remoteHold(w http.ResponseWriter, r *http.Request) (any, error) {
	_, sender, err := caller(r)
	if err != nil {
		return nil, err
	}
	cs := r.PathValue("client")
	if !common.IsHexAddress(cs) {
		return nil, localapi.BadRequest("hold: the client must be an Ethereum address, not %q", cs)
	}
	who := common.HexToAddress(cs)
	if r.ContentLength > holdapi.MaxPacket {
		return nil, localapi.Errorf(http.StatusRequestEntityTooLarge, "too_large", "hold: a packet is at most %d bytes", holdapi.MaxPacket)
	}
	b, err := localapi.ReadOctets(w, r, holdapi.MaxPacket)
	if err != nil {
		return nil, err
	}
	var flags byte
	if r.URL.Query().Get("certified") == "1" {
		flags = holdapi.FlagCertified
	}
	var order uint64
	if o := r.URL.Query().Get("order"); o != "" {
		if order, err = strconv.ParseUint(o, 10, 64); err != nil {
			return nil, localapi.BadRequest("hold: order must be a whole number, not %q", o)
		}
	}
	rc, err := s.Hold(who, sender, flags, order, b)
	if err != nil {
		return nil, err
	}
	return rc, nil
}

// checkAddressed checks that packet names client c, when it is a group
// packet (holdapi.CheckAddressed): c's overlay address is its peer ID's.
func checkAddressed(c *clientRecord, packet []byte) error {
	if len(packet) < 2 || packet[1] != 2 {
		return nil
	}
	pid, err := peer.Decode(c.PeerID)
	if err != nil {
		return fmt.Errorf("%w: the client's peer ID %q does not parse", holdapi.ErrNotAddressed, c.PeerID)
	}
	return holdapi.CheckAddressed(packet, identity.OverlayOf(pid))
}

// Errors of holding, with their API codes.
var (
	ErrNotClient = errors.New("hold: not a client of this node")
	ErrQuota     = errors.New("hold: over quota")
)

func init() {
	localapi.Classify(ErrNotClient, http.StatusForbidden, "not_client")
	localapi.Classify(ErrQuota, http.StatusInsufficientStorage, "quota")
	localapi.Classify(holdapi.ErrPacket, http.StatusBadRequest, "bad_packet")
	localapi.Classify(holdapi.ErrNotAddressed, http.StatusForbidden, "not_addressed")
	localapi.Classify(holdapi.ErrRecord, http.StatusBadRequest, "bad_record")
	localapi.Classify(holdapi.ErrSignature, http.StatusForbidden, "bad_signature")
}

// Hold keeps packet for client from sender, order its place in the
// sender's order (0: none given), and signs a receipt for it.
func (s *Service) Hold(client common.Address, sender string, flags byte, order uint64, packet []byte) (*holdapi.Receipt, error) {
	id, err := holdapi.PacketID(packet)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	c := s.clients[client]
	s.mu.Unlock()
	// The chain is asked for its id once, outside the lock.
	chainID, court := s.chainForClaims(c)
	s.mu.Lock()
	defer s.mu.Unlock()
	c = s.clients[client]
	if c == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotClient, client.Hex())
	}
	// A group packet is held for a member its sender narrowed it to: one
	// that does not name this client is another member's copy, or junk.
	if err := checkAddressed(c, packet); err != nil {
		return nil, err
	}
	if v, err := s.db.Get(indexKey(client, id)); err == nil && len(v) == 8 {
		pv, err := s.db.Get(packetKey(client, binary.BigEndian.Uint64(v)))
		if err != nil {
			return nil, err
		}
		p, err := decodePacketRecord(pv)
		if err != nil {
			return nil, err
		}
		rc, err := holdapi.SignReceipt(s.id.Key, client, p.Packet, p.TakenMs)
		if err == nil {
			rc.Claim = s.claimFor(chainID, court, c, id, p.Packet)
		}
		return rc, err
	}
	su := c.Senders[sender]
	if su == nil {
		su = &senderUse{}
	}
	size := int64(len(packet))
	switch {
	case c.Packets+1 > s.opt.ClientPackets || c.Bytes+size > s.opt.ClientBytes:
		return nil, fmt.Errorf("%w: client %s has %d packets, %d bytes here", ErrQuota, client.Hex(), c.Packets, c.Bytes)
	case su.Packets+1 > s.opt.SenderPackets || su.Bytes+size > s.opt.SenderBytes:
		return nil, fmt.Errorf("%w: sender %s has %d packets, %d bytes here for %s", ErrQuota, sender, su.Packets, su.Bytes, client.Hex())
	}
	taken := uint64(s.now().UnixMilli())
	rc, err := holdapi.SignReceipt(s.id.Key, client, packet, taken)
	if err != nil {
		return nil, err
	}
	rc.Claim = s.claimFor(chainID, court, c, id, packet)
	seq := c.NextSeq
	nc := *c
	nc.NextSeq++
	nc.Packets++
	nc.Bytes += size
	nc.Senders = map[string]*senderUse{}
	for k, v := range c.Senders {
		nc.Senders[k] = v
	}
	nc.Senders[sender] = &senderUse{Packets: su.Packets + 1, Bytes: su.Bytes + size}
	cb, _ := json.Marshal(&nc)
	bt := s.db.NewBatch()
	bt.Set(packetKey(client, seq), (&packetRecord{TakenMs: taken, Sender: sender, Flags: flags, Packet: packet, Order: order}).encode())
	bt.Set(indexKey(client, id), binary.BigEndian.AppendUint64(nil, seq))
	bt.Set(promiseIndexKey(holdapi.PromiseKey(client, id)), append(client.Bytes(), id[:]...))
	bt.Set(clientKey(client), cb)
	if err := bt.Commit(); err != nil {
		return nil, err
	}
	*c = nc
	return rc, nil
}

// remoteFetch serves the caller its held packets, in the order taken,
// after seq `after`: only the client they are held for gets them.
func (s *Service) remoteFetch(w http.ResponseWriter, r *http.Request) {
	b, err := s.fetch(r)
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	w.Header().Set("Content-Type", localapi.OctetStream)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.Write(b)
}

func (s *Service) fetch(r *http.Request) ([]byte, error) {
	who, _, err := caller(r)
	if err != nil {
		return nil, err
	}
	q := r.URL.Query()
	var after uint64
	if v := q.Get("after"); v != "" {
		if after, err = strconv.ParseUint(v, 10, 64); err != nil {
			return nil, localapi.BadRequest("after must be a packet's sequence number")
		}
	}
	limit := holdapi.MaxFetch
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > holdapi.MaxFetch {
			return nil, localapi.BadRequest("limit must be 1 to %d", holdapi.MaxFetch)
		}
		limit = n
	}
	s.mu.Lock()
	c := s.clients[who]
	s.mu.Unlock()
	if c == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotClient, who.Hex())
	}
	return s.Fetch(who, after, limit)
}

// maxFetchBytes bounds one fetch answer, well under what the gateway's
// JSON calls read, so that a page is one quick call.
const maxFetchBytes = 4 << 20

// Fetch returns the frames of up to limit packets held for client after
// seq, in the order taken.
func (s *Service) Fetch(client common.Address, after uint64, limit int) ([]byte, error) {
	var out []byte
	n := 0
	err := s.db.ScanRange(packetKey(client, after+1), kv.PrefixEnd(append([]byte("p/"), client[:]...)), func(k, v []byte) error {
		p, err := decodePacketRecord(v)
		if err != nil {
			return err
		}
		out = holdapi.AppendHeld(out, holdapi.Held{Seq: binary.BigEndian.Uint64(k[len(k)-8:]), TakenMs: p.TakenMs, Order: p.Order, Flags: p.Flags, Packet: p.Packet})
		if n++; n == limit || len(out) >= maxFetchBytes {
			return errStop
		}
		return nil
	})
	if err != nil && !errors.Is(err, errStop) {
		return nil, err
	}
	return out, nil
}

var errStop = errors.New("stop")

// remoteReceived takes a client's signed received-list: the packets it
// names are deleted and the time they were held charged.
func (s *Service) remoteReceived(w http.ResponseWriter, r *http.Request) (any, error) {
	if _, _, err := caller(r); err != nil {
		return nil, err
	}
	// client, delegate, time, count, ids, the release (flag, agreement,
	// signature), the signature
	b, err := localapi.ReadOctets(w, r, int64(20+20+8+10+holdapi.MaxReceived*32+1+32+65+65))
	if err != nil {
		return nil, err
	}
	l, err := holdapi.DecodeReceivedList(b)
	if err != nil {
		return nil, err
	}
	return s.Received(r.Context(), l)
}

// Received applies a received-list, checked: signed by a client of this
// node, for this node.
func (s *Service) Received(ctx context.Context, l *holdapi.ReceivedList) (*holdapi.ReceivedResult, error) {
	if err := l.Verify(); err != nil {
		return nil, err
	}
	if l.Delegate != s.self.Address() {
		return nil, fmt.Errorf("%w: the received-list is for delegate %s", holdapi.ErrSignature, l.Delegate.Hex())
	}
	s.mu.Lock()
	c := s.clients[l.Client]
	s.mu.Unlock()
	if c == nil {
		return nil, fmt.Errorf("%w: %s", ErrNotClient, l.Client.Hex())
	}
	// The time held is charged up to when the client signed: a list
	// dated long ago (or ahead) would hold back what it owes.
	if now := s.now(); l.AtMs < uint64(now.Add(-maxListSkew).UnixMilli()) || l.AtMs > uint64(now.Add(maxListSkew).UnixMilli()) {
		return nil, localapi.Errorf(http.StatusConflict, "stale_list", "hold: the received-list was signed at %s, more than %s from this node's clock",
			time.UnixMilli(int64(l.AtMs)).UTC().Format(time.RFC3339), maxListSkew)
	}
	if err := s.checkRelease(ctx, c, l); err != nil {
		return nil, err
	}
	return s.deleteHeld(c, l.IDs, l.AtMs, l)
}

// maxListSkew is how far a received-list's time may be from this node's
// clock: a client signs each list as it sends it.
const maxListSkew = 5 * time.Minute

// deleteHeld deletes the packets of ids held for c, charging each for the
// time from when it was taken to atMs. With list, the received-list whose
// court release allows it, the release is kept in the same batch for each
// packet deleted, for a case opened on one of them later.
func (s *Service) deleteHeld(c *clientRecord, ids [][32]byte, atMs uint64, list *holdapi.ReceivedList) (*holdapi.ReceivedResult, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := &holdapi.ReceivedResult{Deleted: []holdapi.Deleted{}}
	total := new(big.Int)
	nc := *c
	nc.Senders = map[string]*senderUse{}
	for k, v := range c.Senders {
		cp := *v
		nc.Senders[k] = &cp
	}
	bt := s.db.NewBatch()
	var relRoot []byte
	seen := map[[32]byte]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		v, err := s.db.Get(indexKey(c.Address, id))
		if errors.Is(err, kv.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		pk := packetKey(c.Address, binary.BigEndian.Uint64(v))
		pv, err := s.db.Get(pk)
		if err != nil {
			return nil, err
		}
		p, err := decodePacketRecord(pv)
		if err != nil {
			return nil, err
		}
		held := time.Duration(0)
		if atMs > p.TakenMs {
			held = time.Duration(atMs-p.TakenMs) * time.Millisecond
		}
		ch := holdapi.Charge(c.price, len(p.Packet), held)
		total.Add(total, ch)
		out.Deleted = append(out.Deleted, holdapi.Deleted{ID: hex.EncodeToString(id[:]), Size: len(p.Packet), TakenMs: int64(p.TakenMs), Charge: ch.String()})
		bt.Delete(pk)
		bt.Delete(indexKey(c.Address, id))
		pkey := holdapi.PromiseKey(c.Address, id)
		bt.Delete(promiseIndexKey(pkey))
		if list != nil && list.Release != nil {
			if relRoot == nil {
				rel, _, err := list.ChainRelease()
				if err != nil {
					return nil, err
				}
				relRoot = rel.Root[:]
				bt.Set(listKey(rel.Root), list.Encode())
			}
			bt.Set(releasedKey(pkey), relRoot)
		}
		nc.Packets--
		nc.Bytes -= int64(len(p.Packet))
		if su := nc.Senders[p.Sender]; su != nil {
			su.Packets--
			su.Bytes -= int64(len(p.Packet))
			if su.Packets <= 0 {
				delete(nc.Senders, p.Sender)
			}
		}
	}
	out.Charge = total.String()
	if len(out.Deleted) == 0 {
		return out, nil
	}
	cb, _ := json.Marshal(&nc)
	bt.Set(clientKey(c.Address), cb)
	a := s.acctOf(c.PeerID)
	na := *a
	na.Earned = new(big.Int).Add(a.Earned, total)
	na.Unbooked = new(big.Int).Add(a.Unbooked, total)
	na.Packets += uint64(len(out.Deleted))
	ab, _ := json.Marshal(&na)
	bt.Set(acctKey(c.PeerID), ab)
	if err := bt.Commit(); err != nil {
		return nil, err
	}
	*c = nc
	*a = na
	return out, nil
}

func (s *Service) apiClients(w http.ResponseWriter, r *http.Request) (any, error) {
	out := []holdapi.ClientInfo{}
	s.mu.Lock()
	for _, c := range s.clients {
		out = append(out, holdapi.ClientInfo{Address: c.Address.Hex(), PeerID: c.PeerID, Agreement: c.Agreement, Packets: c.Packets, Bytes: c.Bytes, Since: c.Since})
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return strings.ToLower(out[i].Address) < strings.ToLower(out[j].Address) })
	return out, nil
}

func (s *Service) apiHeld(w http.ResponseWriter, r *http.Request) (any, error) {
	cs := r.URL.Query().Get("client")
	if !common.IsHexAddress(cs) {
		return nil, localapi.BadRequest("client must be an Ethereum address")
	}
	who := common.HexToAddress(cs)
	s.mu.Lock()
	c := s.clients[who]
	s.mu.Unlock()
	if c == nil {
		return nil, localapi.NotFound("hold: %s is not a client of this node", who.Hex())
	}
	out := []holdapi.HeldInfo{}
	err := s.db.Scan(append([]byte("p/"), who[:]...), func(_, v []byte) error {
		p, err := decodePacketRecord(v)
		if err != nil {
			return err
		}
		id, _ := holdapi.PacketID(p.Packet)
		out = append(out, holdapi.HeldInfo{ID: hex.EncodeToString(id[:]), Sender: p.Sender, Size: len(p.Packet), Taken: time.UnixMilli(int64(p.TakenMs)).UTC()})
		return nil
	})
	return out, err
}
