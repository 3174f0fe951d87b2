package dbapi

import (
	"context"
	"net/http"
	"net/url"
)

// The local endpoints of the client role (datasets on providers):
//
//	GET    /v0/datasets/{ds}/ref        RefResult: what others open the dataset with
//	POST   /v0/open                     OpenRequest → Meta: use another's dataset
//	GET    /v0/datasets/{ds}/acks       []Ack: providers' acknowledgements of this node's writes
//	GET    /v0/datasets/{ds}/providers  []ProviderDigest: each provider's digest
//	POST   /v0/sync                     SyncResult: one anti-entropy round now
//	POST   /v0/datasets/{ds}/replace    ReplaceRequest → Placement: a new provider for one gone
//	POST   /v0/tables                   TableRequest → Meta: a network table, on the nearest providers
//	POST   /v0/provide                  ProvideRequest: sell db service (manifest price, stake per dataset)
//	GET    /v0/datasets/{ds}/check?key=K  []RowCheck: every provider's answer for a row, checked
//	GET    /v0/datasets/{ds}/claims?key=K&provider=A  []RowClaim: providers' court promises for this node's writes
//	POST   /v0/datasets/{ds}/case       CaseRequest → CaseResult: take a provider to court on a claim (owner only)
//	GET    /v0/proof?key=K&index=I,J    the proof convention of mf-court (courtapi.PromiseRequest): chunks
//	                                    of a change this node promised, read from its storage

// Ref returns a dataset's reference.
func (c *Client) Ref(ctx context.Context, ds string) (*RefResult, error) {
	var out RefResult
	return &out, c.c.Call(ctx, http.MethodGet, dsPath(ds)+"/ref", nil, &out)
}

// Open stores a dataset reference here.
func (c *Client) Open(ctx context.Context, ref string) (*Meta, error) {
	var out Meta
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/open", OpenRequest{Ref: ref}, &out)
}

// Acks lists the providers' acknowledgements of this node's writes.
func (c *Client) Acks(ctx context.Context, ds string) ([]*Ack, error) {
	var out []*Ack
	return out, c.c.Call(ctx, http.MethodGet, dsPath(ds)+"/acks", nil, &out)
}

// ProviderDigests asks each provider of a dataset for its digest.
func (c *Client) ProviderDigests(ctx context.Context, ds string) ([]ProviderDigest, error) {
	var out []ProviderDigest
	return out, c.c.Call(ctx, http.MethodGet, dsPath(ds)+"/providers", nil, &out)
}

// Sync runs one anti-entropy round now.
func (c *Client) Sync(ctx context.Context) (*SyncResult, error) {
	var out SyncResult
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/sync", nil, &out)
}

// Replace puts another provider in the place of one gone for good and
// returns the new placement.
func (c *Client) Replace(ctx context.Context, ds string, req ReplaceRequest) (*Placement, error) {
	var out Placement
	return &out, c.c.Call(ctx, http.MethodPost, dsPath(ds)+"/replace", req, &out)
}

// CreateTable defines a network table and places it on the providers
// nearest its id.
func (c *Client) CreateTable(ctx context.Context, req TableRequest) (*Meta, error) {
	var out Meta
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/tables", req, &out)
}

// Provide sets what this node sells db service at, and its stake.
func (c *Client) Provide(ctx context.Context, req ProvideRequest) (*ProvideRequest, error) {
	var out ProvideRequest
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/provide", req, &out)
}

// Check asks every provider for row key and checks each answer.
func (c *Client) Check(ctx context.Context, ds, key string) ([]RowCheck, error) {
	var out []RowCheck
	return out, c.c.Call(ctx, http.MethodGet, dsPath(ds)+"/check?key="+url.QueryEscape(key), nil, &out)
}

// Claims lists the providers' court promises for this node's writes to a
// dataset: for row key (all rows when empty), by provider (all when empty).
func (c *Client) Claims(ctx context.Context, ds, key, provider string) ([]*RowClaim, error) {
	var out []*RowClaim
	q := url.Values{}
	if key != "" {
		q.Set("key", key)
	}
	if provider != "" {
		q.Set("provider", provider)
	}
	return out, c.c.Call(ctx, http.MethodGet, dsPath(ds)+"/claims?"+q.Encode(), nil, &out)
}

// OpenCase takes a provider to court on its claim for a row.
func (c *Client) OpenCase(ctx context.Context, ds string, req CaseRequest) (*CaseResult, error) {
	var out CaseResult
	return &out, c.c.Call(ctx, http.MethodPost, dsPath(ds)+"/case", req, &out)
}

// CaseRequest takes Provider to court on its claim for row Key of a
// dataset (the latest change of this node's to it that the provider
// promised), before a panel of Witnesses (0: a promise case, which the
// court's challenge decides).
type CaseRequest struct {
	Key       string `json:"key"`
	Provider  string `json:"provider"`
	Witnesses int    `json:"witnesses,omitempty"`
}

// CaseResult is the case opened: its id at the court (mf-court case show
// ID follows it) and the claim it was opened on.
type CaseResult struct {
	Case  string    `json:"case"`
	Claim *RowClaim `json:"claim"`
}
