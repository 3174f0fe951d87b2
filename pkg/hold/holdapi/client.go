package holdapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/mainframe/mf/pkg/localapi"
)

func jsonMarshal(v any) ([]byte, error)   { return json.Marshal(v) }
func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// Client is the typed client of mf-hold's socket.
type Client struct{ c *localapi.Client }

// NewClient returns a client for home's mf-hold.
func NewClient(home string) *Client { return &Client{c: localapi.NewClient(SocketPath(home))} }

// Status shows the daemon's state.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var out Status
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/status", nil, &out)
}

// Find lists the nodes that sell packet holding, network-wide, within
// maxPrice (base units per KiB·hour, "" for any) and of at least minScore.
func (c *Client) Find(ctx context.Context, maxPrice string, minScore float64) ([]Offer, error) {
	q := url.Values{}
	if maxPrice != "" {
		q.Set("max_price", maxPrice)
	}
	if minScore != 0 {
		q.Set("min_score", strconv.FormatFloat(minScore, 'g', -1, 64))
	}
	var out []Offer
	return out, c.c.Call(ctx, http.MethodGet, "/v0/find?"+q.Encode(), nil, &out)
}

// Delegates lists this node's delegates.
func (c *Client) Delegates(ctx context.Context) ([]Delegate, error) {
	var out []Delegate
	return out, c.c.Call(ctx, http.MethodGet, "/v0/delegates", nil, &out)
}

// AddDelegates agrees with peers to hold packets for this node and
// publishes the list; it returns every delegate.
func (c *Client) AddDelegates(ctx context.Context, peers []string) ([]Delegate, error) {
	var out []Delegate
	return out, c.c.Call(ctx, http.MethodPost, "/v0/delegates", DelegatesRequest{Peers: peers}, &out)
}

// RemoveDelegate ends the agreement with a delegate and publishes the
// list; it returns the delegates left.
func (c *Client) RemoveDelegate(ctx context.Context, peer string) ([]Delegate, error) {
	var out []Delegate
	return out, c.c.Call(ctx, http.MethodDelete, "/v0/delegates/"+url.PathEscape(peer), nil, &out)
}

// Publish writes this node's row of the holders table again.
func (c *Client) Publish(ctx context.Context) (*PublishResult, error) {
	var out PublishResult
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/publish", nil, &out)
}

// Clients lists the nodes this one holds packets for.
func (c *Client) Clients(ctx context.Context) ([]ClientInfo, error) {
	var out []ClientInfo
	return out, c.c.Call(ctx, http.MethodGet, "/v0/clients", nil, &out)
}

// Held lists the packets held for a client.
func (c *Client) Held(ctx context.Context, client string) ([]HeldInfo, error) {
	var out []HeldInfo
	return out, c.c.Call(ctx, http.MethodGet, "/v0/held?client="+url.QueryEscape(client), nil, &out)
}

// Account shows what this node earned holding packets.
func (c *Client) Account(ctx context.Context) (*Account, error) {
	var out Account
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/account", nil, &out)
}

// Keep hands mf-hold the receipts delegates gave for a packet this node
// sent, to keep their court claims.
func (c *Client) Keep(ctx context.Context, clientPeer string, rcs []*Receipt) error {
	return c.c.Call(ctx, http.MethodPost, "/v0/claims", KeepRequest{ClientPeer: clientPeer, Receipts: rcs}, nil)
}

// Claims lists the claims kept here, for client, packet id and delegate
// (each "" for any).
func (c *Client) Claims(ctx context.Context, client, id, delegate string) ([]ClaimInfo, error) {
	q := url.Values{}
	for k, v := range map[string]string{"client": client, "id": id, "delegate": delegate} {
		if v != "" {
			q.Set(k, v)
		}
	}
	var out []ClaimInfo
	return out, c.c.Call(ctx, http.MethodGet, "/v0/claims?"+q.Encode(), nil, &out)
}

// OpenCase takes a delegate to court on its claim for a packet.
func (c *Client) OpenCase(ctx context.Context, req CaseRequest) (*CaseResult, error) {
	var out CaseResult
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/case", req, &out)
}
