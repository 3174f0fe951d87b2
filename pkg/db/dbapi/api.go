package dbapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/wire"
)

// Files of mf-db inside a home that its clients need.
const (
	SocketName = "db.sock"
	PIDName    = "db.pid"
)

// SocketPath is the API socket of home's mf-db.
func SocketPath(home string) string { return filepath.Join(home, SocketName) }

// Status is the daemon's state.
type Status struct {
	Address  string `json:"address"`
	Datasets int    `json:"datasets"`
}

// CreateRequest creates one of this node's datasets. The rules are in
// Rule's text form; "contacts" must already be expanded into addresses.
// Kind is "table" (default) or "mailbox".
type CreateRequest struct {
	Name       string   `json:"name"`
	Kind       Kind     `json:"kind,omitempty"`
	Read       string   `json:"read"`
	Insert     string   `json:"insert"`
	Update     string   `json:"update"`
	Delete     string   `json:"delete"`
	Indexes    []string `json:"indexes,omitempty"`
	Redundancy uint8    `json:"redundancy,omitempty"`
	Quorum     uint8    `json:"quorum,omitempty"`
	// MaxPrice and MinScore filter the providers found for redundancy
	// above 0 (swapapi.Client.Find): empty and 0 take any.
	MaxPrice string  `json:"max_price,omitempty"`
	MinScore float64 `json:"min_score,omitempty"`
}

// ACLRequest grants (or with Revoke, revokes) one right to one address.
type ACLRequest struct {
	Right   string `json:"right"`
	Address string `json:"address"`
	Revoke  bool   `json:"revoke,omitempty"`
}

// WriteRequest is one write this node signs. Value is the JSON document;
// for a raw row, Raw holds the bytes (base64 in JSON) and Value is empty.
type WriteRequest struct {
	Op    Op              `json:"op"`
	Key   string          `json:"key"`
	Value json.RawMessage `json:"value,omitempty"`
	Raw   []byte          `json:"raw,omitempty"`
	// IsRaw marks a raw row (Raw may be empty).
	IsRaw bool `json:"is_raw,omitempty"`
}

// BatchRequest is many writes this node signs once (through a Merkle
// root) and stores in one write: all of them, or none. At most MaxBatch,
// and MaxBatchBody bytes of request.
type BatchRequest struct {
	Writes []WriteRequest `json:"writes"`
}

// BatchResult is what a batch write returns: where its changes went, not
// the changes themselves (sending back a batch of rows would cost more
// than storing it).
type BatchResult struct {
	Dataset ID             `json:"dataset"`
	Writer  common.Address `json:"writer"`
	Count   int            `json:"count"`
	FromSeq uint64         `json:"from_seq"`
	ToSeq   uint64         `json:"to_seq"`
	// Root is the batch's Merkle root, zero for a batch of one (signed
	// alone).
	Root common.Hash `json:"root"`
}

// MaxBatchBody bounds a batch request.
const MaxBatchBody = 16 << 20

// MailRequest puts a message in the mailbox of To (an Ethereum address).
type MailRequest struct {
	To      string `json:"to"`
	Message []byte `json:"message"`
}

// Mail is one message of this node's mailbox, opened.
type Mail struct {
	Key     string `json:"key"`
	From    string `json:"from"`
	Time    uint64 `json:"time"`
	Message []byte `json:"message,omitempty"`
	// Error says why a row did not open (a sender sealed it to another
	// key): one bad row must not hide the others.
	Error string `json:"error,omitempty"`
}

// WatchEvent is one change seen by a watcher, with the version that
// covers everything it has seen so far: the --from to resume with.
type WatchEvent struct {
	Change  *Change `json:"change"`
	Version Version `json:"version"`
}

// Client is the typed client of mf-db's socket.
type Client struct{ c *localapi.Client }

// NewClient returns a client for home's mf-db.
func NewClient(home string) *Client { return &Client{c: localapi.NewClient(SocketPath(home))} }

func dsPath(ds string) string { return "/v0/datasets/" + url.PathEscape(ds) }

// Status returns the daemon's state.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var out Status
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/status", nil, &out)
}

// Datasets lists the datasets stored here.
func (c *Client) Datasets(ctx context.Context) ([]*Meta, error) {
	var out []*Meta
	return out, c.c.Call(ctx, http.MethodGet, "/v0/datasets", nil, &out)
}

// Create creates one of this node's datasets.
func (c *Client) Create(ctx context.Context, req CreateRequest) (*Meta, error) {
	var out Meta
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/datasets", req, &out)
}

// Meta returns a dataset's metadata.
func (c *Client) Meta(ctx context.Context, ds string) (*Meta, error) {
	var out Meta
	return &out, c.c.Call(ctx, http.MethodGet, dsPath(ds), nil, &out)
}

// ACL grants or revokes a right.
func (c *Client) ACL(ctx context.Context, ds string, req ACLRequest) (*Meta, error) {
	var out Meta
	return &out, c.c.Call(ctx, http.MethodPost, dsPath(ds)+"/acl", req, &out)
}

// Write makes one signed write.
func (c *Client) Write(ctx context.Context, ds string, req WriteRequest) (*Change, error) {
	var out Change
	return &out, c.c.Call(ctx, http.MethodPost, dsPath(ds)+"/rows", req, &out)
}

// WriteBatch makes many writes, signed once, stored all or none.
func (c *Client) WriteBatch(ctx context.Context, ds string, req BatchRequest) (*BatchResult, error) {
	var out BatchResult
	if b, ok := EncodeBatch(req); ok {
		return &out, c.c.Call(ctx, http.MethodPost, dsPath(ds)+"/batch", localapi.Octets(b), &out)
	}
	return &out, c.c.Call(ctx, http.MethodPost, dsPath(ds)+"/batch", req, &out)
}

// SendMail seals message to the owner of to's mailbox and puts it there.
func (c *Client) SendMail(ctx context.Context, to string, message []byte) (*Change, error) {
	var out Change
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/mailbox/send", MailRequest{To: to, Message: message}, &out)
}

// ReadMail returns this node's mailbox, opened.
func (c *Client) ReadMail(ctx context.Context) ([]Mail, error) {
	var out []Mail
	return out, c.c.Call(ctx, http.MethodGet, "/v0/mailbox", nil, &out)
}

// Get returns a row's signed change.
func (c *Client) Get(ctx context.Context, ds, key string) (*Change, error) {
	var out Change
	return &out, c.c.Call(ctx, http.MethodGet, dsPath(ds)+"/row?key="+url.QueryEscape(key), nil, &out)
}

// Digest returns the dataset's digest.
func (c *Client) Digest(ctx context.Context, ds string) (*Digest, error) {
	var out Digest
	return &out, c.c.Call(ctx, http.MethodGet, dsPath(ds)+"/digest", nil, &out)
}

// QueryValues is the query string of q: where clauses in their text form
// (ParseWhere).
func QueryValues(prefix string, where []string, limit int) url.Values {
	v := url.Values{}
	if prefix != "" {
		v.Set("prefix", prefix)
	}
	for _, w := range where {
		v.Add("where", w)
	}
	if limit > 0 {
		v.Set("limit", strconv.Itoa(limit))
	}
	return v
}

// Query streams the rows that match to fn, one line at a time (the raw
// NDJSON line, a Change).
func (c *Client) Query(ctx context.Context, ds string, q url.Values, fn func(line []byte) error) error {
	return c.c.Stream(ctx, http.MethodGet, dsPath(ds)+"/query?"+q.Encode(), nil, fn)
}

// Watch streams the changes not covered by from (nil: all) and follows new
// ones until ctx ends or fn returns an error (io.EOF ends it cleanly).
// opened, if not nil, is called once the daemon accepted the watch.
func (c *Client) Watch(ctx context.Context, ds string, from Version, opened func(), fn func(ev *WatchEvent, line []byte) error) error {
	p := dsPath(ds) + "/watch"
	if from != nil {
		p += "?from=" + url.QueryEscape(from.String())
	}
	return c.c.StreamOpen(ctx, http.MethodGet, p, nil, opened, func(line []byte) error {
		var ev WatchEvent
		if err := json.Unmarshal(line, &ev); err != nil {
			return fmt.Errorf("db: bad watch event from the daemon: %w", err)
		}
		err := fn(&ev, line)
		if errors.Is(err, io.EOF) {
			return io.EOF
		}
		return err
	})
}

// The binary form of a BatchRequest, what WriteBatch sends (as
// application/octet-stream; the socket takes JSON too): JSON would carry
// each row's value as a string to validate, compact and copy on both
// sides, which cost more than signing and storing the row.
//
//	version  byte 1
//	count    uvarint, 1 to MaxBatch
//	count times:
//	  op     byte
//	  flags  byte: 1 for a raw value
//	  key    uvarint length (at most MaxKey), then the bytes
//	  value  uvarint length (at most 2 MaxValue: the engine reports the
//	         row limit), then the bytes: the JSON document, or raw bytes
const batchVersion = 1

// EncodeBatch is a batch request's binary form; ok is false for a request
// it cannot carry (a write with both a JSON value and raw bytes, which the
// daemon refuses: send that one as JSON to hear why).
func EncodeBatch(req BatchRequest) (b []byte, ok bool) {
	var w wire.Writer
	n := 8
	for _, wr := range req.Writes {
		n += 16 + len(wr.Key) + len(wr.Value) + len(wr.Raw)
	}
	w.B = make([]byte, 0, n)
	w.Byte(batchVersion)
	w.Uvarint(uint64(len(req.Writes)))
	for _, wr := range req.Writes {
		w.Byte(byte(wr.Op))
		if wr.IsRaw || len(wr.Raw) > 0 {
			if len(wr.Value) > 0 {
				return nil, false
			}
			w.Byte(flagRaw)
			w.Bytes([]byte(wr.Key))
			w.Bytes(wr.Raw)
			continue
		}
		w.Byte(0)
		w.Bytes([]byte(wr.Key))
		w.Bytes(wr.Value)
	}
	return w.B, true
}

// DecodeBatch reads a batch request's binary form. The writes' rules
// (keys, operations, JSON, limits) are the engine's to check.
func DecodeBatch(b []byte) (*BatchRequest, error) {
	r := wire.NewReader(b)
	if v := r.Byte(); r.Err() == nil && v != batchVersion {
		return nil, fmt.Errorf("%w: batch version %d", ErrInvalid, v)
	}
	n := r.Uvarint()
	if r.Err() == nil && (n == 0 || n > MaxBatch) {
		return nil, fmt.Errorf("%w: a batch holds 1 to %d writes, not %d", ErrInvalid, MaxBatch, n)
	}
	req := &BatchRequest{}
	if r.Err() == nil {
		req.Writes = make([]WriteRequest, 0, n)
	}
	for i := uint64(0); i < n && r.Err() == nil; i++ {
		wr := WriteRequest{Op: Op(r.Byte())}
		flags := r.Byte()
		if r.Err() == nil && flags&^flagRaw != 0 {
			return nil, fmt.Errorf("%w: write %d: flags %#x", ErrInvalid, i, flags)
		}
		wr.Key = string(r.Bytes(MaxKey))
		v := bytes.Clone(r.Bytes(2 * MaxValue))
		if flags&flagRaw != 0 {
			wr.IsRaw, wr.Raw = true, v
		} else if len(v) > 0 {
			wr.Value = v
		}
		req.Writes = append(req.Writes, wr)
	}
	if err := r.Done(); err != nil {
		return nil, fmt.Errorf("%w: batch: %v", ErrInvalid, err)
	}
	return req, nil
}
