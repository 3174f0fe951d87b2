package storeapi

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"

	"github.com/mainframe/mf/pkg/localapi"
)

// Client is the typed client of mf-store's socket.
type Client struct {
	c   *localapi.Client
	raw *http.Client
}

// NewClient returns a client for home's mf-store.
func NewClient(home string) *Client {
	sock := SocketPath(home)
	return &Client{c: localapi.NewClient(sock), raw: &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", sock)
		},
		DisableCompression: true,
		WriteBufferSize:    256 << 10,
		ReadBufferSize:     256 << 10,
	}}}
}

// PutOptions are a put's parameters.
type PutOptions struct {
	Public bool
	Copies int    // 0: DefaultCopies
	Name   string // shown by ls
	// Hash, the SHA-256 of the whole file in hex, makes a private put
	// deterministic for this node (the key is derived from it), so a put
	// run again finds its chunks already stored. Empty: a random key.
	Hash string
	// Sworn waits until the storers have sworn (staked and promised) and
	// returns their claims; otherwise they swear after the put returns.
	Sworn bool
}

// Put stores the file read from r.
func (c *Client) Put(ctx context.Context, r io.Reader, o PutOptions) (*PutResult, error) {
	q := url.Values{}
	if o.Public {
		q.Set("public", "1")
	}
	if o.Copies != 0 {
		q.Set("copies", strconv.Itoa(o.Copies))
	}
	if o.Name != "" {
		q.Set("name", o.Name)
	}
	if o.Hash != "" {
		q.Set("hash", o.Hash)
	}
	if o.Sworn {
		q.Set("sworn", "1")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://mf/v0/put?"+q.Encode(), io.NopCloser(r))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", localapi.OctetStream)
	resp, err := c.do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var out PutResult
	return &out, decodeJSON(resp.Body, &out)
}

// Get streams a file, from byte off on (0: all of it), to w. It returns
// the bytes written and the file's size.
func (c *Client) Get(ctx context.Context, ref string, off int64, w io.Writer) (n, size int64, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://mf/v0/files/"+url.PathEscape(ref), nil)
	if err != nil {
		return 0, 0, err
	}
	if off > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", off))
	}
	resp, err := c.do(req)
	if err != nil {
		return 0, 0, err
	}
	defer resp.Body.Close()
	size, _ = strconv.ParseInt(resp.Header.Get("X-Mf-Size"), 10, 64)
	want := resp.ContentLength
	n, err = io.CopyBuffer(onlyWriter{w}, resp.Body, make([]byte, 1<<20))
	if err == nil && want >= 0 && n != want {
		err = fmt.Errorf("store: the daemon sent %d of %d bytes", n, want)
	}
	return n, size, err
}

// Stat describes a file.
func (c *Client) Stat(ctx context.Context, ref string) (*StatInfo, error) {
	var out StatInfo
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/stat/"+url.PathEscape(ref), nil, &out)
}

// List lists the files this node put or pinned.
func (c *Client) List(ctx context.Context) ([]FileInfo, error) {
	var out []FileInfo
	return out, c.c.Call(ctx, http.MethodGet, "/v0/files", nil, &out)
}

// Pin fetches every chunk of a file and keeps it on this node.
func (c *Client) Pin(ctx context.Context, ref string) (*FileInfo, error) {
	var out FileInfo
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/pin", RefRequest{Ref: ref}, &out)
}

// Unpin lets the node drop a file's chunks it holds only for the pin.
func (c *Client) Unpin(ctx context.Context, ref string) (*FileInfo, error) {
	var out FileInfo
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/unpin", RefRequest{Ref: ref}, &out)
}

// Audit challenges the storers of a file off chain.
func (c *Client) Audit(ctx context.Context, req AuditRequest) (*AuditResult, error) {
	var out AuditResult
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/audit", req, &out)
}

// Check checks every chunk this node keeps and repairs the damaged ones.
func (c *Client) Check(ctx context.Context) (*CheckResult, error) {
	var out CheckResult
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/check", nil, &out)
}

// Sync pushes the chunks this node keeps to the storers now among the
// nearest that lack them.
func (c *Client) Sync(ctx context.Context) (*SyncResult, error) {
	var out SyncResult
	return &out, c.c.Call(ctx, http.MethodPost, "/v0/sync", nil, &out)
}

// Account shows what this node earned and spent.
func (c *Client) Account(ctx context.Context) (*Account, error) {
	var out Account
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/account", nil, &out)
}

// Status shows the daemon's state.
func (c *Client) Status(ctx context.Context) (*Status, error) {
	var out Status
	return &out, c.c.Call(ctx, http.MethodGet, "/v0/status", nil, &out)
}

// do sends a raw request and turns an error status into a *localapi.Error.
func (c *Client) do(req *http.Request) (*http.Response, error) {
	resp, err := c.raw.Do(req)
	if err != nil {
		if localapi.IsConnRefused(err) {
			return nil, localapi.ErrNotRunning
		}
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		e := &localapi.Error{Status: resp.StatusCode}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, localapi.MaxBody))
		if jsonUnmarshal(b, e) != nil || e.Message == "" {
			e.Message = "daemon answered " + resp.Status
		}
		return nil, e
	}
	return resp, nil
}

// onlyWriter hides a writer's ReadFrom, so that the copy uses the large
// buffer given rather than the writer's own small one.
type onlyWriter struct{ w io.Writer }

func (o onlyWriter) Write(p []byte) (int, error) { return o.w.Write(p) }
