package chat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/chaindir"
	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
)

// The directory (whitepaper, "Use Cases → Onyx messaging app": a
// decentralized directory, as ENS is) has two halves. Who owns a name is
// decided on the chain, by the name registry (pkg/chain/contracts/
// Names.sol): the first account to claim a name owns it. The contact card
// behind it is in an mf-db network table, DirectoryTable, whose rows may
// be written only by the address their key names (rule self): a node
// publishes its card under its own address, and nobody can publish one
// under another's. A lookup reads the owner from the chain, the row under
// the owner's address from the table (mf-db checks the writer's
// signature), and then checks that the card's own key is the owner's: a
// provider can neither forge a card nor move one to another name.

// DirectoryTable is the network table of cards. Its id is the hash of
// this definition, so every node finds the same table on the same
// providers. A write must reach every provider (quorum R): a reader asks
// one provider, and a card written to a majority only was not found by
// readers that asked the provider without it.
var DirectoryTable = dbapi.TableRequest{Name: "mf-chat-cards", Read: "anyone", Insert: "self", Update: "self", Delete: "self",
	Redundancy: DirectoryRedundancy, Quorum: DirectoryRedundancy}

// DirectoryRedundancy is how many providers hold the directory's cards.
const DirectoryRedundancy = 3

// directoryRow is a card row's value: the card and, when the node has
// one, the reference of its mf-db mailbox (mailbox.go).
type directoryRow struct {
	Card    string `json:"card"`
	Mailbox string `json:"mailbox,omitempty"`
}

// registry dials the chain and finds the name registry: opts.Names, else
// what a development chain says (mf_contracts).
func (s *Service) registry(ctx context.Context) (*chain.Client, *bind.TransactOpts, common.Address, error) {
	if s.opts.EthRPC == "" {
		return nil, nil, common.Address{}, localapi.Errorf(http.StatusServiceUnavailable, "no_chain", "the directory is on the chain, and none is configured (swap.eth_rpc, MF_ETH_RPC)")
	}
	names := s.opts.Names
	if names == "" {
		if info, err := chaindir.Contracts(ctx, s.opts.EthRPC); err == nil {
			names = info.Names
		}
	}
	if !common.IsHexAddress(names) {
		return nil, nil, common.Address{}, localapi.Errorf(http.StatusServiceUnavailable, "no_registry", "no name registry is known on the chain at %s (MF_CHAT_NAMES)", s.opts.EthRPC)
	}
	c, id, err := chain.Dial(ctx, s.opts.EthRPC)
	if err != nil {
		return nil, nil, common.Address{}, localapi.Errorf(http.StatusServiceUnavailable, "no_chain", "%v", err)
	}
	auth, err := bind.NewKeyedTransactorWithChainID(s.id.Key, id)
	if err != nil {
		c.Close()
		return nil, nil, common.Address{}, err
	}
	return c, auth, common.HexToAddress(names), nil
}

func nameErr(name string) error {
	return localapi.BadRequest("%q is not a name: %v", name, chain.ErrBadName)
}

// ClaimName claims name on the chain for this node and publishes its card
// (from mf-route) in the directory table. A name this node owns already
// is published again; one someone else owns is refused, naming the owner.
func (s *Service) ClaimName(ctx context.Context, name string) (*chatapi.NameInfo, error) {
	if !chain.NameRule.MatchString(name) {
		return nil, nameErr(name)
	}
	c, auth, addr, err := s.registry(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	st, err := s.rc.Status(ctx)
	if err != nil {
		return nil, err
	}
	var claimed *chain.ClaimedError
	err = chain.ClaimName(ctx, c, auth, addr, name)
	if errors.As(err, &claimed) && claimed.Owner != auth.From {
		return nil, localapi.Errorf(http.StatusConflict, "claimed", "%v", err)
	}
	if err != nil && claimed == nil {
		return nil, err
	}
	if err := s.publishCard(ctx, st.Card); err != nil {
		return nil, err
	}
	return &chatapi.NameInfo{Name: name, Owner: auth.From.Hex(), Card: st.Card}, nil
}

// publishCard puts this node's row in the directory table: its card and
// its mailbox's reference, if it has a mailbox.
func (s *Service) publishCard(ctx context.Context, card string) error {
	db := dbapi.NewClient(s.home)
	meta, err := db.CreateTable(ctx, DirectoryTable)
	if err != nil {
		return err
	}
	r := directoryRow{Card: card}
	if ref, err := db.Ref(ctx, dbapi.MailboxName); err == nil {
		r.Mailbox = ref.Ref
	}
	row, _ := json.Marshal(r)
	self := strings.ToLower(s.id.Public().Address().Hex())
	_, err = db.Write(ctx, meta.ID.String(), dbapi.WriteRequest{Op: dbapi.OpPut, Key: self, Value: row})
	return err
}

// directoryRowOf reads and checks owner's row in the directory table.
func (s *Service) directoryRowOf(ctx context.Context, owner common.Address) (*directoryRow, *identity.Card, error) {
	db := dbapi.NewClient(s.home)
	meta, err := db.CreateTable(ctx, DirectoryTable)
	if err != nil {
		return nil, nil, err
	}
	ch, err := db.Get(ctx, meta.ID.String(), strings.ToLower(owner.Hex()))
	if err != nil {
		return nil, nil, err
	}
	return cardOf(meta, ch, owner)
}

// LookupName finds the card behind name and checks it is the registered
// owner's.
func (s *Service) LookupName(ctx context.Context, name string) (*chatapi.NameInfo, error) {
	if !chain.NameRule.MatchString(name) {
		return nil, nameErr(name)
	}
	c, _, addr, err := s.registry(ctx)
	if err != nil {
		return nil, err
	}
	defer c.Close()
	owner, err := chain.NameOwner(ctx, c, addr, name)
	if err != nil {
		return nil, err
	}
	if owner == (common.Address{}) {
		return nil, localapi.NotFound("nobody claimed the name %q (mf-chat name claim NAME on its node)", name)
	}
	_, card, err := s.directoryRowOf(ctx, owner)
	var le *localapi.Error
	if errors.Is(err, kv.ErrNotFound) || errors.Is(err, errCardDeleted) || errors.As(err, &le) && le.Status == http.StatusNotFound {
		return nil, localapi.NotFound("%s owns the name %q but published no card", owner.Hex(), name)
	}
	if errors.As(err, &le) {
		return nil, err
	}
	if err != nil {
		return nil, localapi.Errorf(http.StatusBadGateway, "bad_card", "the card behind %q: %v", name, err)
	}
	return &chatapi.NameInfo{Name: name, Owner: owner.Hex(), Card: card.String()}, nil
}

// errCardDeleted: the owner deleted its row, so there is no card, which
// is not a forgery.
var errCardDeleted = errors.New("chat: the owner deleted its card")

// cardOf reads the card in a directory row and checks that the row is
// signed by owner, under owner's key, and that the card is owner's.
func cardOf(meta *dbapi.Meta, ch *dbapi.Change, owner common.Address) (*directoryRow, *identity.Card, error) {
	if err := dbapi.VerifyRow(meta, strings.ToLower(owner.Hex()), ch); err != nil {
		return nil, nil, err
	}
	if ch.Writer != owner || !dbapi.KeyNames(ch.Key, owner) {
		return nil, nil, errors.New("the row is not the owner's")
	}
	if ch.Op == dbapi.OpDelete {
		return nil, nil, errCardDeleted
	}
	var row directoryRow
	if err := json.Unmarshal(ch.Value, &row); err != nil {
		return nil, nil, errors.New("the row is not a card")
	}
	card, err := identity.ParseCard(row.Card)
	if err != nil {
		return nil, nil, err
	}
	if crypto.PubkeyToAddress(*card.Key) != owner {
		return nil, nil, errors.New("the card is not the owner's")
	}
	return &row, card, nil
}
