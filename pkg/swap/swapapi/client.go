package swapapi

import (
	"context"
	"math/big"
	"net/http"
	"net/url"
	"strconv"

	"github.com/mainframe/mf/pkg/localapi"
)

// Client is the typed client of mf-swap's socket.
type Client struct{ c *localapi.Client }

// NewClient returns a client for home's mf-swap.
func NewClient(home string) *Client { return &Client{c: localapi.NewClient(SocketPath(home))} }

// Status returns the node's address, checkbook and balances on chain.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var out Status
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/status", nil, &out)
}

// Balances lists every peer's balance.
func (c *Client) Balances(ctx context.Context) ([]PeerBalance, error) {
	var out []PeerBalance
	return out, c.c.Call(ctx, http.MethodGet, "/v0/balances", nil, &out)
}

// Balance returns one peer's balance.
func (c *Client) Balance(ctx context.Context, peer string) (*PeerBalance, error) {
	var out PeerBalance
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/balances/"+url.PathEscape(peer), nil, &out)
}

// Cheques lists stored cheques.
func (c *Client) Cheques(ctx context.Context) ([]ChequeInfo, error) {
	var out []ChequeInfo
	return out, c.c.Call(ctx, http.MethodGet, "/v0/cheques", nil, &out)
}

// Cash cashes a peer's best cheque now.
func (c *Client) Cash(ctx context.Context, peer string) (*ChequeInfo, error) {
	var out ChequeInfo
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/cash", CashRequest{Peer: peer}, &out)
}

// Deposit moves MFT from the wallet into the checkbook.
func (c *Client) Deposit(ctx context.Context, amount string) (*Status, error) {
	var out Status
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/deposit", AmountRequest{Amount: amount}, &out)
}

// Withdraw announces a withdrawal, or makes it once the notice is over;
// replace announces over a pending announcement of another amount.
func (c *Client) Withdraw(ctx context.Context, amount string, replace bool) (*WithdrawResult, error) {
	var out WithdrawResult
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/withdraw", AmountRequest{Amount: amount, Replace: replace}, &out)
}

// Score returns an address's credit score.
func (c *Client) Score(ctx context.Context, address string) (*Score, error) {
	var out Score
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/score/"+url.PathEscape(address), nil, &out)
}

// Manifest returns this node's (peer == "") or a peer's manifest.
func (c *Client) Manifest(ctx context.Context, peer string) (*Manifest, error) {
	var out Manifest
	p := "/v0/manifest"
	if peer != "" {
		p += "/" + url.PathEscape(peer)
	}
	return &out, c.c.Call(ctx, http.MethodGet, p, nil, &out)
}

// SetManifest sets one service's prices.
func (c *Client) SetManifest(ctx context.Context, e ManifestEntry) (*Manifest, error) {
	var out Manifest
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/manifest", e, &out)
}

// Terms returns the routing prices agreed with a peer.
func (c *Client) Terms(ctx context.Context, peer string) (*Agreement, error) {
	var out Agreement
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/terms/"+url.PathEscape(peer), nil, &out)
}

// RemoveManifest takes a service out of the manifest, which also stops
// announcing it.
func (c *Client) RemoveManifest(ctx context.Context, service string) (*Manifest, error) {
	var out Manifest
	return &out, c.c.Call(ctx, http.MethodDelete, "/v0/manifest/"+url.PathEscape(service), nil, &out)
}

// Find lists the nodes in the network that offer a service, each checked
// against its own manifest; maxPrice "" means any price (else base units),
// minScore 0 any score.
func (c *Client) Find(ctx context.Context, service, maxPrice string, minScore float64) ([]Offer, error) {
	q := url.Values{}
	if maxPrice != "" {
		q.Set("max_price", maxPrice)
	}
	if minScore > 0 {
		q.Set("min_score", strconv.FormatFloat(minScore, 'f', -1, 64))
	}
	p := "/v0/offers/" + url.PathEscape(service)
	if len(q) > 0 {
		p += "?" + q.Encode()
	}
	var out []Offer
	return out, c.c.Call(ctx, http.MethodGet, p, nil, &out)
}

// AddUsage books what a service served to a peer (positive amount, in base
// units) or was served by it (negative); mf-swap settles the balance with
// the peer's cheques. It returns the balance with the peer afterwards.
func (c *Client) AddUsage(ctx context.Context, peer string, amount *big.Int) (*PeerBalance, error) {
	var out PeerBalance
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/usage", UsageRequest{Peer: peer, Amount: amount.String()}, &out)
}
