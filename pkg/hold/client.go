package hold

import (
	"context"
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

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
)

// The client's side: this node's delegates, kept under d/<peer ID> as
// JSON holdapi.Delegate, and published in the packet holders table.

// HoldersTable is the packet holders table's definition, as mf-db's
// `table create` takes it: read by anyone, each row written only by the
// address it is keyed by.
func HoldersTable() dbapi.TableRequest {
	return dbapi.TableRequest{Name: holdapi.HoldersTableName, Read: "anyone", Insert: "self", Update: "self", Delete: "self",
		Redundancy: holdapi.HoldersTableRedundancy}
}

// holdersMeta is the table's metadata as mf-db builds it from
// HoldersTable, whose network id is the table's id.
func holdersMeta() (*dbapi.Meta, error) {
	req := HoldersTable()
	m := &dbapi.Meta{Name: req.Name, Kind: dbapi.KindTable, Indexes: []string{}, Version: 1,
		Redundancy: req.Redundancy, Quorum: req.Redundancy/2 + 1}
	for _, x := range []struct {
		right dbapi.Right
		text  string
	}{{dbapi.Read, req.Read}, {dbapi.Insert, req.Insert}, {dbapi.Update, req.Update}, {dbapi.Delete, req.Delete}} {
		rule, err := dbapi.ParseRule(x.text)
		if err != nil {
			return nil, err
		}
		*m.ACL.Rule(x.right) = rule
	}
	return m, m.SetNetworkID()
}

func (s *Service) apiFind(w http.ResponseWriter, r *http.Request) (any, error) {
	q := r.URL.Query()
	maxPrice := q.Get("max_price")
	if maxPrice != "" {
		if _, ok := holdapi.ParseAmount(maxPrice); !ok {
			return nil, localapi.BadRequest("max_price must be a whole amount of base units")
		}
	}
	var minScore float64
	if v := q.Get("min_score"); v != "" {
		var err error
		if minScore, err = strconv.ParseFloat(v, 64); err != nil || minScore < 0 || minScore > 1 {
			return nil, localapi.BadRequest("min_score must be a number from 0 to 1")
		}
	}
	return s.Find(r.Context(), maxPrice, minScore)
}

// Find lists the nodes that sell holding, other than this one, cheapest
// first, then by credit score.
func (s *Service) Find(ctx context.Context, maxPrice string, minScore float64) ([]holdapi.Offer, error) {
	offers, err := s.swap.Find(ctx, holdapi.Service, maxPrice, minScore)
	if err != nil {
		return nil, fmt.Errorf("finding delegates (mf-swap runs service discovery): %w", err)
	}
	out := []holdapi.Offer{}
	for _, o := range offers {
		if o.Price == "" || o.PeerID == "" || !common.IsHexAddress(o.Address) || common.HexToAddress(o.Address) == s.self.Address() {
			continue
		}
		p, ok := holdapi.ParseAmount(o.Price)
		if !ok {
			continue
		}
		out = append(out, holdapi.Offer{PeerID: o.PeerID, Overlay: o.Overlay, Address: common.HexToAddress(o.Address).Hex(), Price: o.Price, MFT: amount.Format(p), Score: o.Score})
	}
	sort.SliceStable(out, func(i, j int) bool {
		pi, _ := new(big.Int).SetString(out[i].Price, 10)
		pj, _ := new(big.Int).SetString(out[j].Price, 10)
		if c := pi.Cmp(pj); c != 0 {
			return c < 0
		}
		return out[i].Score > out[j].Score
	})
	return out, nil
}

func delegateKey(p string) []byte { return []byte("d/" + p) }

func (s *Service) delegates() ([]holdapi.Delegate, error) {
	out := []holdapi.Delegate{}
	err := s.db.Scan([]byte("d/"), func(_, v []byte) error {
		var d holdapi.Delegate
		if err := json.Unmarshal(v, &d); err != nil {
			return fmt.Errorf("hold: damaged delegate record: %w", err)
		}
		out = append(out, d)
		return nil
	})
	return out, err
}

func (s *Service) apiDelegates(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.delegates()
}

func (s *Service) apiAddDelegates(w http.ResponseWriter, r *http.Request) (any, error) {
	var req holdapi.DelegatesRequest
	if err := localapi.DecodeBody(w, r, &req, 64<<10); err != nil {
		return nil, err
	}
	if len(req.Peers) == 0 {
		return nil, localapi.BadRequest("name at least one peer to hold packets for this node")
	}
	have, err := s.delegates()
	if err != nil {
		return nil, err
	}
	fresh := map[string]bool{}
	for _, p := range req.Peers {
		pid, err := peer.Decode(p)
		if err != nil {
			return nil, localapi.BadRequest("%q is not a peer ID", p)
		}
		if pid == s.self.PeerID() {
			return nil, localapi.BadRequest("a node cannot be its own delegate")
		}
		fresh[pid.String()] = true
	}
	n := len(have)
	for p := range fresh {
		if _, err := s.db.Get(delegateKey(p)); errors.Is(err, kv.ErrNotFound) {
			n++
		}
	}
	if n > holdapi.MaxDelegates {
		return nil, localapi.BadRequest("a node has at most %d delegates (this would make %d)", holdapi.MaxDelegates, n)
	}
	for _, p := range req.Peers {
		if err := s.agree(r.Context(), p); err != nil {
			return nil, err
		}
	}
	if _, err := s.publish(r.Context()); err != nil {
		return nil, localapi.Errorf(http.StatusServiceUnavailable, "not_published", "hold: the delegates agreed, but the holders table was not written (mf-db): %v; run mf-hold publish", err)
	}
	return s.delegates()
}

// agree asks peer to hold packets for this node and keeps its agreement.
func (s *Service) agree(ctx context.Context, p string) error {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	var ag holdapi.Agreement
	if err := s.route.CallService(cctx, p, holdapi.Service, http.MethodPost, "/v0/agree", holdapi.AgreeRequest{}, &ag); err != nil {
		return fmt.Errorf("peer %s did not agree to hold packets: %w", p, err)
	}
	pid, _ := peer.Decode(p)
	pub, err := publicOf(pid)
	if err != nil {
		return err
	}
	if ag.PeerID != p || !common.IsHexAddress(ag.Address) || common.HexToAddress(ag.Address) != pub.Address() ||
		common.HexToAddress(ag.Client) != s.self.Address() {
		return fmt.Errorf("peer %s answered with an agreement for someone else", p)
	}
	if _, ok := holdapi.ParseAmount(ag.Price); !ok {
		return fmt.Errorf("peer %s answered with a price that is not an amount", p)
	}
	d := holdapi.Delegate{PeerID: p, Address: pub.Address().Hex(), Price: ag.Price, Agreement: ag.Agreement, Stake: ag.Stake,
		ChainID: ag.ChainID, Court: ag.Court, Added: time.Now().UTC()}
	b, _ := json.Marshal(d)
	s.log.Info("a delegate agreed", "peer", p, "agreement", ag.Agreement, "price", ag.Price)
	return s.db.Set(delegateKey(p), b)
}

func (s *Service) apiRemoveDelegate(w http.ResponseWriter, r *http.Request) (any, error) {
	p := r.PathValue("peer")
	if _, err := s.db.Get(delegateKey(p)); errors.Is(err, kv.ErrNotFound) {
		return nil, localapi.NotFound("hold: %s is not a delegate of this node", p)
	}
	if err := s.db.Delete(delegateKey(p)); err != nil {
		return nil, err
	}
	// The row goes first: senders stop sending to the delegate before it
	// stops holding; what it held is dropped when the agreement ends.
	if _, err := s.publish(r.Context()); err != nil {
		s.log.Warn("the holders table was not written; mf-hold publish writes it again", "err", err)
	}
	cctx, cancel := context.WithTimeout(r.Context(), 30*time.Second)
	defer cancel()
	var res holdapi.ReceivedResult
	if err := s.route.CallService(cctx, p, holdapi.Service, http.MethodDelete, "/v0/agree", nil, &res); err != nil {
		s.log.Warn("the delegate did not hear that the agreement ended", "peer", p, "err", err)
	}
	return s.delegates()
}

func (s *Service) apiPublish(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.publish(r.Context())
}

// publish writes this node's row of the holders table through the node's
// mf-db: defining the table is idempotent, and the row is keyed by this
// node's address, which only it can sign for.
func (s *Service) publish(ctx context.Context) (*holdapi.PublishResult, error) {
	s.pubMu.Lock()
	defer s.pubMu.Unlock()
	ds, err := s.delegates()
	if err != nil {
		return nil, err
	}
	row := holdapi.HoldersRow{Delegates: []holdapi.RowDelegate{}, Updated: time.Now().Unix()}
	for _, d := range ds {
		row.Delegates = append(row.Delegates, holdapi.RowDelegate{PeerID: d.PeerID, Address: d.Address, Price: d.Price})
	}
	m, err := s.dbc.CreateTable(ctx, HoldersTable())
	if err != nil {
		return nil, fmt.Errorf("defining the holders table: %w", err)
	}
	if m.ID.String() != holdapi.HoldersTableID {
		return nil, fmt.Errorf("mf-db made the holders table %s, not %s (a different mf-db version?)", m.ID, holdapi.HoldersTableID)
	}
	v, _ := json.Marshal(row)
	key := strings.ToLower(s.self.Address().Hex())
	if _, err := s.dbc.Write(ctx, holdapi.HoldersTableID, dbapi.WriteRequest{Op: dbapi.OpPut, Key: key, Value: v}); err != nil {
		return nil, fmt.Errorf("writing this node's row of the holders table: %w", err)
	}
	// A node that is itself one of the table's providers keeps its write
	// and leaves it to anti-entropy; a round now gets the row to the other
	// providers before this node may go offline.
	if _, err := s.dbc.Sync(ctx); err != nil {
		s.log.Warn("the row was written, but one anti-entropy round failed", "err", err)
	}
	s.log.Info("published the delegate list", "delegates", len(row.Delegates))
	return &holdapi.PublishResult{Table: holdapi.HoldersTableID, Key: key, Row: row}, nil
}

// publishLoop writes the row once the daemon starts (when there are
// delegates), retrying until mf-db takes it, then every hour.
func (s *Service) publishLoop(ctx context.Context) {
	wait := time.Second
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		ds, err := s.delegates()
		if err != nil || len(ds) == 0 {
			wait = time.Hour
			continue
		}
		if _, err := s.publish(ctx); err != nil {
			s.log.Debug("cannot publish the delegate list yet", "err", err)
			wait = 30 * time.Second
			continue
		}
		wait = time.Hour
	}
}

// publicOf reads the secp256k1 key a peer ID inlines (identity.Public's
// PeerID in reverse): the delegate's address is the one its peer ID gives.
func publicOf(p peer.ID) (identity.Public, error) {
	b := []byte(p)
	if len(b) != 6+33 || b[0] != 0 || b[1] != 4+33 || b[2] != 0x08 || b[3] != 0x02 || b[4] != 0x12 || b[5] != 33 {
		return identity.Public{}, fmt.Errorf("hold: peer %s has no secp256k1 key in its ID", p)
	}
	return identity.PublicFromCompressed(b[6:])
}
