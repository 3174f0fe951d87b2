package db

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"net/http"
	"time"

	"github.com/mainframe/mf/pkg/court/courtapi"
	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/swap/swapapi"
)

// Selling db service. The operator sets a price (put in the manifest
// through mf-swap) and, optionally, a stake: for every owner whose dataset
// it takes, the provider then stakes that much for the agreement through
// mf-court, which the owner can take to court. The settings are kept in
// the daemon's store.

// Keys: 'z' "provide" → dbapi.ProvideRequest as JSON; 'S' id → the
// agreement id staked for a dataset.
const (
	pConfig = 'z'
	pStake  = 'S'
)

var provideKey = append([]byte{pConfig}, "provide"...)

// DefaultStakeTerm is how long a provider's stake for a dataset runs.
const DefaultStakeTerm = 30 * 24 * time.Hour

func (s *Service) provideConfig() (*dbapi.ProvideRequest, error) {
	b, err := s.e.db.Get(provideKey)
	if errors.Is(err, kv.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var p dbapi.ProvideRequest
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("db: corrupt provide settings: %w", err)
	}
	return &p, nil
}

// apiProvide sets what this node sells db service at, and the stake it
// puts up for each dataset it takes.
func (s *Service) apiProvide(w http.ResponseWriter, r *http.Request) (any, error) {
	if err := s.needNet(); err != nil {
		return nil, err
	}
	var req dbapi.ProvideRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	if v, ok := new(big.Int).SetString(req.Price, 10); !ok || v.Sign() < 0 {
		return nil, localapi.BadRequest("price must be a whole number of base units, not %q", req.Price)
	}
	if req.Stake != "" {
		if v, ok := new(big.Int).SetString(req.Stake, 10); !ok || v.Sign() < 0 {
			return nil, localapi.BadRequest("stake must be a whole number of base units, not %q", req.Stake)
		}
	}
	if req.StakeTerm < 0 {
		return nil, localapi.BadRequest("stake term must not be negative")
	}
	if req.StoragePrice != "" {
		if v, ok := new(big.Int).SetString(req.StoragePrice, 10); !ok || v.Sign() < 0 {
			return nil, localapi.BadRequest("storage price must be a whole number of base units, not %q", req.StoragePrice)
		}
	}
	if _, err := s.net.swap.SetManifest(r.Context(), swapapi.ManifestEntry{Service: ServiceName, Price: req.Price, MinScore: req.MinScore}); err != nil {
		return nil, fmt.Errorf("setting the manifest through mf-swap: %w", err)
	}
	if req.StoragePrice != "" {
		if _, err := s.net.swap.SetManifest(r.Context(), swapapi.ManifestEntry{Service: StorageService, Price: req.StoragePrice, MinScore: req.MinScore}); err != nil {
			return nil, fmt.Errorf("setting the manifest through mf-swap: %w", err)
		}
	}
	b, _ := json.Marshal(req)
	if err := s.e.db.Set(provideKey, b); err != nil {
		return nil, err
	}
	return &req, nil
}

// stakeFor stakes for a dataset this provider took, once, if the operator
// set a stake. Network tables have no owner to stake for.
func (s *Service) stakeFor(m *dbapi.Meta) {
	if s.net == nil || m.Network() {
		return
	}
	cfg, err := s.provideConfig()
	if err != nil || cfg == nil || cfg.Stake == "" || cfg.Stake == "0" {
		return
	}
	key := dkey(pStake, m.ID)
	if _, err := s.e.db.Get(key); err == nil {
		return
	}
	term := DefaultStakeTerm
	if cfg.StakeTerm > 0 {
		term = time.Duration(cfg.StakeTerm) * time.Second
	}
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		a, err := s.net.court.Stake(ctx, courtapi.StakeRequest{Service: ServiceName, Client: m.Owner.Hex(), Amount: cfg.Stake, Term: time.Now().Add(term).Unix()})
		if err != nil {
			s.net.log.Warn("staking for a dataset", "dataset", m.ID, "owner", m.Owner, "err", err)
			return
		}
		if err := s.e.db.Set(key, []byte(a.ID)); err != nil {
			s.net.log.Warn("recording a stake", "err", err)
		}
		s.net.log.Info("staked for a dataset", "dataset", m.ID, "owner", m.Owner, "agreement", a.ID)
	}()
}
