package courtapi

import (
	"context"
	"net/http"
	"net/url"

	"github.com/mainframe/mf/pkg/localapi"
)

// Client is the typed client of mf-court's socket.
type Client struct{ c *localapi.Client }

// NewClient returns a client for home's mf-court.
func NewClient(home string) *Client { return &Client{c: localapi.NewClient(SocketPath(home))} }

// Stake locks MFT for an agreement.
func (c *Client) Stake(ctx context.Context, req StakeRequest) (*Agreement, error) {
	var out Agreement
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/stakes", req, &out)
}

// Stakes lists this node's agreements.
func (c *Client) Stakes(ctx context.Context) ([]Agreement, error) {
	var out []Agreement
	return out, c.c.Call(ctx, http.MethodGet, "/v0/stakes", nil, &out)
}

// Agreement reads agreement id from the chain, whoever's it is (a
// localapi.Error with code not_found when there is none).
func (c *Client) Agreement(ctx context.Context, id string) (*Agreement, error) {
	var out Agreement
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/agreements/"+url.PathEscape(id), nil, &out)
}

// Unstake releases a stake after its term.
func (c *Client) Unstake(ctx context.Context, id string) (*Agreement, error) {
	var out Agreement
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/unstake", IDRequest{ID: id}, &out)
}

// Promise signs a promise to hold data under key and keeps the data.
func (c *Client) Promise(ctx context.Context, req PromiseRequest) (*Claim, error) {
	var out Claim
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/promises", req, &out)
}

// OpenCase takes a provider to court with a claim: a promise case, or a
// witness case with a panel of req.Witnesses drawn from the pool.
func (c *Client) OpenCase(ctx context.Context, req CaseRequest) (*CaseInfo, error) {
	var out CaseInfo
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/cases", req, &out)
}

// Case returns a case.
func (c *Client) Case(ctx context.Context, id string) (*CaseInfo, error) {
	var out CaseInfo
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/cases/"+url.PathEscape(id), nil, &out)
}

// Record returns an address's verdicts.
func (c *Client) Record(ctx context.Context, address string) (*Record, error) {
	var out Record
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/record/"+url.PathEscape(address), nil, &out)
}

// Cases lists the cases this node opened or answered.
func (c *Client) Cases(ctx context.Context) ([]CaseInfo, error) {
	var out []CaseInfo
	return out, c.c.Call(ctx, http.MethodGet, "/v0/cases", nil, &out)
}

// Witness shows this node's place in the witness pool.
func (c *Client) Witness(ctx context.Context) (*WitnessInfo, error) {
	var out WitnessInfo
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/witness", nil, &out)
}

// SetWitness joins (true) or leaves (false) the witness pool.
func (c *Client) SetWitness(ctx context.Context, join bool) (*WitnessInfo, error) {
	var out WitnessInfo
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/witness", WitnessRequest{Join: join}, &out)
}
