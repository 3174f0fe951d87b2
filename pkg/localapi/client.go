package localapi

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// ErrNotRunning means no daemon answers on the socket.
var ErrNotRunning = errors.New("daemon is not running")

// Client talks to one daemon's socket.
type Client struct {
	Socket string
	hc     *http.Client
}

// NewClient returns a client for the daemon listening on socket.
func NewClient(socket string) *Client {
	return &Client{Socket: socket, hc: HTTPClient(socket, 0)}
}

// HTTPClient is a plain HTTP client whose every connection goes to the Unix
// socket at socket (timeout 0: none), for callers that want raw answers
// rather than Client's JSON handling.
func HTTPClient(socket string, timeout time.Duration) *http.Client {
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
		MaxIdleConnsPerHost: 16,
	}
	return &http.Client{Transport: tr, Timeout: timeout}
}

// Octets is a request body sent as it is (OctetStream) instead of as JSON:
// for payloads, which JSON would carry as base64 at a third more bytes and
// a decoding pass on each side.
type Octets []byte

func (c *Client) do(ctx context.Context, method, path string, in any) (*http.Response, error) {
	var body io.Reader
	ctype := "application/json"
	switch in := in.(type) {
	case nil:
	case Octets:
		body, ctype = bytes.NewReader(in), OctetStream
	default:
		b, err := json.Marshal(in)
		if err != nil {
			return nil, err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, "http://mf"+path, body)
	if err != nil {
		return nil, err
	}
	if in != nil {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		if IsConnRefused(err) {
			return nil, ErrNotRunning
		}
		return nil, err
	}
	if resp.StatusCode >= 300 {
		defer resp.Body.Close()
		e := &Error{Status: resp.StatusCode}
		b, _ := io.ReadAll(io.LimitReader(resp.Body, MaxBody))
		if json.Unmarshal(b, e) != nil || e.Message == "" {
			e.Message = fmt.Sprintf("daemon answered %s", resp.Status)
		}
		return nil, e
	}
	return resp, nil
}

// Call sends in as JSON (nil for no body) and decodes the answer into out
// (nil to discard it).
func (c *Client) Call(ctx context.Context, method, path string, in, out any) error {
	resp, err := c.do(ctx, method, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if out == nil {
		_, _ = io.Copy(io.Discard, resp.Body)
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("localapi: bad answer from daemon: %w", err)
	}
	return nil
}

// Stream opens an NDJSON stream and calls fn with each line until the
// stream ends, ctx is cancelled, or fn returns an error (io.EOF from fn ends
// the stream without error).
func (c *Client) Stream(ctx context.Context, method, path string, in any, fn func(line []byte) error) error {
	return c.StreamOpen(ctx, method, path, in, nil, fn)
}

// StreamOpen is Stream that calls opened, if not nil, once the daemon has
// accepted the stream and before the first line.
func (c *Client) StreamOpen(ctx context.Context, method, path string, in any, opened func(), fn func(line []byte) error) error {
	resp, err := c.do(ctx, method, path, in)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if opened != nil {
		opened()
	}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 4*MaxBody)
	for sc.Scan() {
		if err := fn(sc.Bytes()); err != nil {
			if errors.Is(err, io.EOF) {
				return nil
			}
			return err
		}
	}
	if err := sc.Err(); err != nil && ctx.Err() == nil {
		return err
	}
	return ctx.Err()
}
