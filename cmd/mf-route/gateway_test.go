package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strconv"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// gwNext paces the NDJSON service of gwservice: it writes its next line
// only once the reader (gwlines, in the same test process) has the last.
var gwNext = make(chan struct{})

// gwservice HOME: serve HOME's store.sock from the test process, standing
// in for a service daemon behind HOME's mf-route:
//
//	/remote/sink   reads the body, answers its length and SHA-256
//	/remote/lines  NDJSON: three lines, each written once gwlines has the one before
func cmdGWService(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: gwservice HOME")
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/remote/sink", func(w http.ResponseWriter, r *http.Request) {
		h := sha256.New()
		k, err := io.Copy(h, r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		fmt.Fprintf(w, "%d %x", k, h.Sum(nil))
	})
	mux.HandleFunc("/remote/lines", func(w http.ResponseWriter, r *http.Request) {
		s := localapi.NewStream(w)
		for i := 0; i < 3; i++ {
			if s.Send(map[string]int{"line": i}) != nil {
				return
			}
			select {
			case <-gwNext:
			case <-r.Context().Done():
				return
			}
		}
	})
	ln, err := localapi.Listen(filepath.Join(ts.MkAbs(args[0]), "store.sock"))
	ts.Check(err)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = localapi.Serve(ctx, ln, mux); close(done) }()
	ts.Defer(func() { cancel(); <-done })
}

// gwupload HOME PEER SIZE: send SIZE random bytes through HOME's mf-route
// to PEER's store service (gwservice), streamed with no length, and check
// that the service got every byte.
func cmdGWUpload(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: gwupload HOME PEER SIZE")
	}
	size, err := strconv.Atoi(args[2])
	ts.Check(err)
	body := make([]byte, size)
	rand.Read(body)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	start := time.Now()
	resp, err := routeapi.NewClient(ts.MkAbs(args[0])).CallServiceStream(ctx, routeapi.ServiceCall{Peer: args[1], Service: "store",
		Method: http.MethodPost, Path: "/sink", Body: bytes.NewReader(body), Length: -1})
	ts.Check(err)
	got, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	ts.Check(err)
	if want := fmt.Sprintf("%d %x", size, sha256.Sum256(body)); string(got) != want {
		ts.Fatalf("the service got %q, want %q", got, want)
	}
	ts.Logf("%d bytes in %v", size, time.Since(start))
}

// gwlines HOME PEER: read PEER's NDJSON lines through HOME's mf-route; each
// must arrive while the service waits to write the next.
func cmdGWLines(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: gwlines HOME PEER")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	resp, err := routeapi.NewClient(ts.MkAbs(args[0])).CallServiceStream(ctx, routeapi.ServiceCall{Peer: args[1], Service: "store",
		Method: http.MethodGet, Path: "/lines"})
	ts.Check(err)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	for i := 0; i < 3; i++ {
		if !sc.Scan() {
			ts.Fatalf("line %d never came: %v", i, sc.Err())
		}
		if want := fmt.Sprintf(`{"line":%d}`, i); sc.Text() != want {
			ts.Fatalf("line %d is %q, want %q", i, sc.Text(), want)
		}
		gwNext <- struct{}{}
	}
}
