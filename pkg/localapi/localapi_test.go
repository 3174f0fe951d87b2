package localapi

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// sockDir is a short temporary directory: Unix socket paths must stay under
// 108 bytes, which t.TempDir's long names can exceed.
func sockDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "la")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// serve listens on a fresh socket and serves h until the test ends.
func serve(t *testing.T, h http.Handler) string {
	t.Helper()
	path := filepath.Join(sockDir(t), "d.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, h) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("Serve: %v", err)
			}
		case <-time.After(5 * time.Second):
			t.Error("Serve did not return after its context ended")
		}
	})
	return path
}

type echoReq struct {
	Name string `json:"name"`
	N    int    `json:"n,omitempty"`
}

const testMax = 64

func testHandler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("POST /v0/echo", Handle(func(w http.ResponseWriter, r *http.Request) (any, error) {
		var req echoReq
		if err := DecodeBody(w, r, &req, testMax); err != nil {
			return nil, err
		}
		return req, nil
	}))
	mux.Handle("GET /v0/missing", Handle(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return nil, NotFound("no such thing: %s", "x")
	}))
	mux.Handle("GET /v0/broken", Handle(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return nil, errors.New("disk on fire")
	}))
	mux.Handle("GET /v0/nothing", Handle(func(w http.ResponseWriter, r *http.Request) (any, error) {
		return nil, nil
	}))
	mux.HandleFunc("GET /v0/watch", func(w http.ResponseWriter, r *http.Request) {
		s := NewStream(w)
		for i := range 3 {
			if err := s.Send(map[string]int{"seq": i}); err != nil {
				return
			}
		}
	})
	mux.HandleFunc("GET /v0/forever", func(w http.ResponseWriter, r *http.Request) {
		s := NewStream(w)
		_ = s.Send(map[string]string{"hello": "world"})
		<-r.Context().Done()
	})
	return mux
}

func TestListenRefusesRunning(t *testing.T) {
	path := serve(t, testHandler())
	if ln, err := Listen(path); !errors.Is(err, ErrAlreadyRunning) {
		if ln != nil {
			ln.Close()
		}
		t.Fatalf("err = %v, want ErrAlreadyRunning", err)
	}
	// The running daemon is untouched.
	if err := NewClient(path).Call(context.Background(), "GET", "/v0/nothing", nil, nil); err != nil {
		t.Fatalf("daemon broken by the refused Listen: %v", err)
	}
}

func TestListenStaleSocket(t *testing.T) {
	path := filepath.Join(sockDir(t), "d.sock")
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	// A daemon killed with SIGKILL leaves its socket file behind.
	ln.(*net.UnixListener).SetUnlinkOnClose(false)
	ln.Close()
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("no stale socket to test with: %v", err)
	}
	if err := NewClient(path).Call(context.Background(), "GET", "/v0/nothing", nil, nil); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("client on a stale socket: %v, want ErrNotRunning", err)
	}
	ln, err = Listen(path)
	if err != nil {
		t.Fatalf("Listen over a stale socket: %v", err)
	}
	ln.Close()
}

func TestListenMode(t *testing.T) {
	// Listen creates the directory too.
	path := filepath.Join(sockDir(t), "home", "d.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode()&os.ModeSocket == 0 {
		t.Fatalf("%s is not a socket: %v", path, fi.Mode())
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("socket mode %v, want 0600", fi.Mode().Perm())
	}
	di, err := os.Stat(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if di.Mode().Perm() != 0o700 {
		t.Fatalf("directory mode %v, want 0700", di.Mode().Perm())
	}
}

func TestCall(t *testing.T) {
	c := NewClient(serve(t, testHandler()))
	ctx := context.Background()
	var out echoReq
	if err := c.Call(ctx, "POST", "/v0/echo", echoReq{Name: "bob", N: 3}, &out); err != nil {
		t.Fatal(err)
	}
	if out != (echoReq{Name: "bob", N: 3}) {
		t.Fatalf("echo = %+v", out)
	}
	if err := c.Call(ctx, "POST", "/v0/echo", echoReq{Name: "discarded"}, nil); err != nil {
		t.Fatal(err)
	}
	if err := c.Call(ctx, "GET", "/v0/nothing", nil, nil); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		method string
		path   string
		in     any
		status int
		code   string
	}{
		{"unknown field", "POST", "/v0/echo", map[string]any{"name": "x", "nmae": "y"}, 400, "bad_request"},
		{"wrong type", "POST", "/v0/echo", map[string]any{"name": 5}, 400, "bad_request"},
		{"not an object", "POST", "/v0/echo", []int{1, 2}, 400, "bad_request"},
		{"empty body", "POST", "/v0/echo", nil, 400, "bad_request"},
		{"body over the limit", "POST", "/v0/echo", echoReq{Name: strings.Repeat("x", testMax)}, 413, "too_large"},
		{"not found", "GET", "/v0/missing", nil, 404, "not_found"},
		{"internal", "GET", "/v0/broken", nil, 500, "internal"},
		{"no route", "GET", "/v0/nope", nil, 404, ""},
		{"wrong method", "GET", "/v0/echo", nil, 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := c.Call(ctx, tt.method, tt.path, tt.in, nil)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if e.Status != tt.status || e.Code != tt.code {
				t.Fatalf("got %d %q (%q), want %d %q", e.Status, e.Code, e.Message, tt.status, tt.code)
			}
			if e.Message == "" || e.Error() != e.Message {
				t.Fatalf("message %q", e.Message)
			}
		})
	}
}

// rawPost sends body as it is, for bodies the typed client cannot make,
// and decodes the error body.
func rawPost(t *testing.T, socket, body string) (int, *Error) {
	t.Helper()
	hc := &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", socket)
		},
	}}
	resp, err := hc.Post("http://mf/v0/echo", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == http.StatusOK {
		return resp.StatusCode, nil
	}
	e := &Error{Status: resp.StatusCode}
	if err := json.Unmarshal(b, e); err != nil {
		t.Fatalf("error body %q is not JSON: %v", b, err)
	}
	return resp.StatusCode, e
}

func TestDecodeBody(t *testing.T) {
	socket := serve(t, testHandler())
	tests := []struct {
		name   string
		body   string
		status int
		code   string
		bug    string // set while the case is a known bug
	}{
		{"valid", `{"name":"x"}`, 200, "", ""},
		{"valid with spaces", " \n{\"name\":\"x\"} \n", 200, "", ""},
		{"exactly the limit", `{"name":"` + strings.Repeat("x", testMax-11) + `"}`, 200, "", ""},
		{"garbage", `this is not json`, 400, "bad_request", ""},
		{"truncated", `{"name":`, 400, "bad_request", ""},
		{"empty", ``, 400, "bad_request", ""},
		{"only spaces", `   `, 400, "bad_request", ""},
		{"unknown field", `{"name":"x","extra":1}`, 400, "bad_request", ""},
		{"two values", `{"name":"x"} {"name":"y"}`, 400, "bad_request", ""},
		{"value then garbage", `{"name":"x"}garbage`, 400, "bad_request", ""},
		{"one over the limit", `{"name":"` + strings.Repeat("x", testMax-10) + `"}`, 413, "too_large", ""},
		{"far over the limit", `{"name":"` + strings.Repeat("x", 1<<20) + `"}`, 413, "too_large", ""},
		{"value then a closing brace", `{"name":"x"}}`, 400, "bad_request",
			"DecodeBody accepts a body with a trailing '}' or ']': json.Decoder.More is false before a closing delimiter"},
		{"value then a closing bracket", `{"name":"x"}]`, 400, "bad_request",
			"DecodeBody accepts a body with a trailing '}' or ']': json.Decoder.More is false before a closing delimiter"},
		{"second value past the limit", `{"name":"x"}` + strings.Repeat(" ", testMax) + `{"name":"y"}`, 413, "too_large",
			"DecodeBody accepts a body over the limit when the first value fits: json.Decoder.More hides the MaxBytesError"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, e := rawPost(t, socket, tt.body)
			if status != tt.status && tt.bug != "" {
				t.Fatalf("%s (got %d, want %d)", tt.bug, status, tt.status)
			}
			if status != tt.status {
				t.Fatalf("status %d (%+v), want %d", status, e, tt.status)
			}
			if e != nil && e.Code != tt.code {
				t.Fatalf("code %q (%s), want %q", e.Code, e.Message, tt.code)
			}
		})
	}
}

func TestClientNotRunning(t *testing.T) {
	dir := sockDir(t)
	tests := []struct {
		name string
		path string
	}{
		{"no socket file", filepath.Join(dir, "none.sock")},
		{"no directory", filepath.Join(dir, "nodir", "none.sock")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := NewClient(tt.path)
			if err := c.Call(context.Background(), "GET", "/v0/status", nil, nil); !errors.Is(err, ErrNotRunning) {
				t.Fatalf("Call: %v, want ErrNotRunning", err)
			}
			err := c.Stream(context.Background(), "GET", "/v0/watch", nil, func([]byte) error { return nil })
			if !errors.Is(err, ErrNotRunning) {
				t.Fatalf("Stream: %v, want ErrNotRunning", err)
			}
		})
	}
}

func TestStream(t *testing.T) {
	c := NewClient(serve(t, testHandler()))
	ctx := context.Background()

	t.Run("all lines, opened first", func(t *testing.T) {
		var events []string
		err := c.StreamOpen(ctx, "GET", "/v0/watch", nil, func() { events = append(events, "opened") }, func(line []byte) error {
			var v struct{ Seq int }
			if err := json.Unmarshal(line, &v); err != nil {
				return fmt.Errorf("line %q: %w", line, err)
			}
			events = append(events, fmt.Sprint(v.Seq))
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(events, ","); got != "opened,0,1,2" {
			t.Fatalf("events %s", got)
		}
	})

	t.Run("Stream without opened", func(t *testing.T) {
		n := 0
		if err := c.Stream(ctx, "GET", "/v0/watch", nil, func([]byte) error { n++; return nil }); err != nil || n != 3 {
			t.Fatalf("%d lines, %v", n, err)
		}
	})

	t.Run("io.EOF stops without error", func(t *testing.T) {
		n := 0
		err := c.Stream(ctx, "GET", "/v0/forever", nil, func([]byte) error { n++; return io.EOF })
		if err != nil || n != 1 {
			t.Fatalf("%d lines, %v", n, err)
		}
	})

	t.Run("fn error stops with it", func(t *testing.T) {
		stop := errors.New("stop")
		if err := c.Stream(ctx, "GET", "/v0/forever", nil, func([]byte) error { return stop }); err != stop {
			t.Fatalf("err = %v, want stop", err)
		}
	})

	t.Run("cancel ends the stream", func(t *testing.T) {
		ctx, cancel := context.WithCancel(ctx)
		opened := false
		err := c.StreamOpen(ctx, "GET", "/v0/forever", nil, func() { opened = true }, func([]byte) error {
			cancel()
			return nil
		})
		if !opened || !errors.Is(err, context.Canceled) {
			t.Fatalf("opened %v, err = %v; want context.Canceled", opened, err)
		}
	})

	t.Run("error before the stream", func(t *testing.T) {
		called := false
		err := c.StreamOpen(ctx, "GET", "/v0/missing", nil, func() { called = true }, func([]byte) error { return nil })
		var e *Error
		if !errors.As(err, &e) || e.Code != "not_found" {
			t.Fatalf("err = %v, want not_found", err)
		}
		if called {
			t.Fatal("opened called for a refused stream")
		}
	})
}

func TestServeStops(t *testing.T) {
	path := filepath.Join(sockDir(t), "d.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Serve(ctx, ln, testHandler()) }()
	c := NewClient(path)
	if err := c.Call(ctx, "GET", "/v0/nothing", nil, nil); err != nil {
		t.Fatal(err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Serve = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve did not stop")
	}
	if err := NewClient(path).Call(context.Background(), "GET", "/v0/nothing", nil, nil); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("after shutdown: %v, want ErrNotRunning", err)
	}
}

// FuzzDecodeBody hands arbitrary request bodies to DecodeBody: it never
// panics, refuses only with a 400 or 413 *Error, refuses with 413 only what
// is over the limit, and accepts only a body that starts with one JSON object
// within the limit.
func FuzzDecodeBody(f *testing.F) {
	f.Add([]byte(`{"name":"x","n":1}`))
	f.Add([]byte(`{"name":"x"} {"name":"y"}`))
	f.Add([]byte(`{"nmae":"x"}`))
	f.Add([]byte(`{"name":"` + strings.Repeat("x", testMax) + `"}`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	f.Add([]byte(`{"name":"\u00e9\ud800"}`))
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("POST", "/v0/echo", bytes.NewReader(body))
		var v echoReq
		err := DecodeBody(w, r, &v, testMax)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v (%T) is not *Error", err, err)
			}
			switch {
			case e.Status == http.StatusRequestEntityTooLarge && e.Code == "too_large":
				if len(body) <= testMax {
					t.Fatalf("413 for %d bytes", len(body))
				}
			case e.Status == http.StatusBadRequest && e.Code == "bad_request":
			default:
				t.Fatalf("refused with %d %q", e.Status, e.Code)
			}
			return
		}
		dec := json.NewDecoder(bytes.NewReader(body))
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			t.Fatalf("accepted a body that does not start with a JSON value: %v", err)
		}
		if dec.InputOffset() > testMax {
			t.Fatalf("accepted a first value ending at %d, past the limit", dec.InputOffset())
		}
	})
}
