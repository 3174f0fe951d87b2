// Package localapi is the seam between every mf daemon and its command-line
// clients: HTTP/1.1 with JSON bodies on a Unix socket of mode 0600 under
// $MF_HOME, newline-delimited JSON for streams, JSON error bodies that the
// typed client turns back into errors.
//
// A shell user can talk to any daemon with
//
//	curl --unix-socket ~/.mainframe/route.sock http://mf/v0/status
package localapi

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// MaxBody bounds every request body a daemon reads.
const MaxBody = 1 << 20

// ErrAlreadyRunning means a daemon already answers on the socket.
var ErrAlreadyRunning = errors.New("localapi: a daemon is already running on this socket")

// Listen applies the socket discipline: if something answers on path,
// refuse; otherwise remove a stale socket, create the directory, listen and
// restrict the socket to its owner.
func Listen(path string) (net.Listener, error) {
	if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
		c.Close()
		return nil, fmt.Errorf("%w: %s", ErrAlreadyRunning, path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, err
	}
	return ln, nil
}

// Serve serves h on ln until ctx ends, then shuts down gracefully, giving
// streams a moment to finish.
func Serve(ctx context.Context, ln net.Listener, h http.Handler) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
		return nil
	}
}

// Error is the JSON error body every endpoint returns on failure, and the
// error the client returns for it.
type Error struct {
	Status  int    `json:"-"`
	Code    string `json:"code"`
	Message string `json:"error"`
}

func (e *Error) Error() string { return e.Message }

// Errorf builds an Error with an HTTP status and a stable machine code.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, Code: code, Message: fmt.Sprintf(format, args...)}
}

// BadRequest is the error for input the caller must fix.
func BadRequest(format string, args ...any) *Error {
	return Errorf(http.StatusBadRequest, "bad_request", format, args...)
}

// NotFound is the error for a named thing that does not exist.
func NotFound(format string, args ...any) *Error {
	return Errorf(http.StatusNotFound, "not_found", format, args...)
}

// WriteJSON writes v with status 200.
func WriteJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// AsError is err as the API shows it: an *Error keeps its status and
// code; an error that wraps a sentinel given to Classify gets the
// sentinel's; any other error is a 500. A stream that answers per line
// (each line its own result or error) writes it inline.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return classified(err)
}

// WriteError writes err as a JSON error body. An *Error keeps its status;
// an error that wraps a sentinel given to Classify gets the sentinel's status
// and code, with its own full message; any other error becomes a 500.
func WriteError(w http.ResponseWriter, err error) {
	e := AsError(err)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(e)
}

// OctetStream is the content type of a raw body: bytes as they are, with
// the request's parameters in its query string.
const OctetStream = "application/octet-stream"

// IsOctets reports whether r carries a raw body rather than JSON.
func IsOctets(r *http.Request) bool {
	return r.Header.Get("Content-Type") == OctetStream
}

// ReadOctets reads a raw body of at most max bytes.
func ReadOctets(w http.ResponseWriter, r *http.Request, max int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, max))
	var mbe *http.MaxBytesError
	if errors.As(err, &mbe) {
		return nil, Errorf(http.StatusRequestEntityTooLarge, "too_large", "request body over %d bytes", max)
	}
	if err != nil {
		return nil, BadRequest("reading request body: %v", err)
	}
	return b, nil
}

// DecodeBody reads exactly one JSON value of at most max bytes into v,
// refusing unknown fields, so that a typo in a script is an error and not a
// silent default.
func DecodeBody(w http.ResponseWriter, r *http.Request, v any, max int64) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, max))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return Errorf(http.StatusRequestEntityTooLarge, "too_large", "request body over %d bytes", max)
		}
		if errors.Is(err, io.EOF) {
			return BadRequest("empty request body")
		}
		return BadRequest("malformed request body: %v", err)
	}
	// Anything but whitespace after the value is an error, including a
	// stray closing bracket (which Decoder.More does not report).
	var extra json.RawMessage
	switch err := dec.Decode(&extra); {
	case errors.Is(err, io.EOF):
		return nil
	case err != nil:
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return Errorf(http.StatusRequestEntityTooLarge, "too_large", "request body over %d bytes", max)
		}
		return BadRequest("malformed request body: trailing data after the JSON value")
	default:
		return BadRequest("malformed request body: more than one JSON value")
	}
}

// Handle adapts a function returning (value, error) into a handler, so every
// endpoint reports errors the same way.
func Handle(fn func(w http.ResponseWriter, r *http.Request) (any, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		v, err := fn(w, r)
		if err != nil {
			WriteError(w, err)
			return
		}
		if v != nil {
			WriteJSON(w, v)
		}
	}
}

// Stream writes NDJSON values to w, flushing after each.
type Stream struct {
	w   http.ResponseWriter
	enc *json.Encoder
	rc  *http.ResponseController
}

// NewStream starts an NDJSON response.
func NewStream(w http.ResponseWriter) *Stream {
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	s := &Stream{w: w, enc: json.NewEncoder(w), rc: http.NewResponseController(w)}
	_ = s.rc.Flush()
	return s
}

// Send writes one value and flushes it to the client.
func (s *Stream) Send(v any) error {
	if err := s.enc.Encode(v); err != nil {
		return err
	}
	return s.rc.Flush()
}

// IsConnRefused reports whether err means nothing listens on the socket.
func IsConnRefused(err error) bool {
	return errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ENOENT)
}
