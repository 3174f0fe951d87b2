package chatapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"

	"github.com/mainframe/mf/pkg/localapi"
)

// Client is the typed client of mf-chat's socket.
type Client struct{ c *localapi.Client }

// NewClient returns a client for home's mf-chat daemon.
func NewClient(home string) *Client { return &Client{c: localapi.NewClient(SocketPath(home))} }

// Status returns the daemon's status.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var out Status
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/status", nil, &out)
}

// Conversations lists conversations, most recent first.
func (c *Client) Conversations(ctx context.Context) ([]Conversation, error) {
	var out []Conversation
	return out, c.c.Call(ctx, http.MethodGet, "/v0/conversations", nil, &out)
}

// Messages returns the last limit messages of conv (0: all), oldest first.
func (c *Client) Messages(ctx context.Context, conv string, limit int) ([]Message, error) {
	var out []Message
	q := url.Values{"conv": {conv}}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	return out, c.c.Call(ctx, http.MethodGet, "/v0/messages?"+q.Encode(), nil, &out)
}

// Send queues a message.
func (c *Client) Send(ctx context.Context, req SendRequest) (*Message, error) {
	var out Message
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/send", req, &out)
}

// MarkRead marks a conversation read.
func (c *Client) MarkRead(ctx context.Context, conv string) error {
	return c.c.Call(ctx, http.MethodPost, "/v0/read", ReadRequest{Conv: conv}, nil)
}

// Search searches messages and contacts.
func (c *Client) Search(ctx context.Context, q string, limit int) (*SearchResult, error) {
	var out SearchResult
	v := url.Values{"q": {q}}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/search?"+v.Encode(), nil, &out)
}

// Watch streams events to fn until ctx ends or fn fails; opened is called
// once the daemon is subscribed.
func (c *Client) Watch(ctx context.Context, opened func(), fn func(*Event) error) error {
	return c.c.StreamOpen(ctx, http.MethodGet, "/v0/watch", nil, opened, func(line []byte) error {
		var e Event
		if err := json.Unmarshal(line, &e); err != nil {
			return err
		}
		return fn(&e)
	})
}

// CreateMailbox makes this node's mf-db mailbox (if it has none) and
// publishes its reference in the directory.
func (c *Client) CreateMailbox(ctx context.Context) (*MailboxInfo, error) {
	var out MailboxInfo
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/mailbox", nil, &out)
}

// Save fetches a message's attachment into a directory.
func (c *Client) Save(ctx context.Context, req SaveRequest) (*SaveResult, error) {
	var out SaveResult
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/save", req, &out)
}

// ClaimName claims name in the directory for this node and publishes its
// card there.
func (c *Client) ClaimName(ctx context.Context, name string) (*NameInfo, error) {
	var out NameInfo
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/names", NameRequest{Name: name}, &out)
}

// LookupName finds the card behind a name in the directory, checked
// against the name's owner on the chain.
func (c *Client) LookupName(ctx context.Context, name string) (*NameInfo, error) {
	var out NameInfo
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/names/"+url.PathEscape(name), nil, &out)
}

// AddContact adds a contact by card; with no card, the name is looked up
// in the directory.
func (c *Client) AddContact(ctx context.Context, name, card string) (*Conversation, error) {
	var out Conversation
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/contacts", ContactRequest{Name: name, Card: card}, &out)
}

// CreateGroup creates a group.
func (c *Client) CreateGroup(ctx context.Context, req GroupRequest) (*Conversation, error) {
	var out Conversation
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/groups", req, &out)
}

// ChangeGroup invites or kicks members of a group this node owns.
func (c *Client) ChangeGroup(ctx context.Context, name string, ch GroupChange) (*Conversation, error) {
	var out Conversation
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/groups/"+url.PathEscape(name)+"/members", ch, &out)
}

// Leave leaves a group conversation.
func (c *Client) Leave(ctx context.Context, conv string) error {
	return c.c.Call(ctx, http.MethodPost, "/v0/leave", ReadRequest{Conv: conv}, nil)
}

// SetLuminosity sets a conversation's luminosity.
func (c *Client) SetLuminosity(ctx context.Context, conv string, bits int) (*Conversation, error) {
	var out Conversation
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/luminosity", LuminosityRequest{Conv: conv, Luminosity: bits}, &out)
}

// SetAway sets (or with "" clears) this node's away text.
func (c *Client) SetAway(ctx context.Context, away string) error {
	return c.c.Call(ctx, http.MethodPost, "/v0/away", AwayRequest{Away: away}, nil)
}

// Typing tells conv's peers that this node is typing, if typing notices
// are on (best effort; the daemon sends at most one per TypingEvery).
func (c *Client) Typing(ctx context.Context, conv string) (*TypingResult, error) {
	var out TypingResult
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/typing", ReadRequest{Conv: conv}, &out)
}

// Settings changes (and returns) this node's chat settings.
func (c *Client) Settings(ctx context.Context, req SettingsRequest) (*Settings, error) {
	var out Settings
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/settings", req, &out)
}
