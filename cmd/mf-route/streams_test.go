package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/rogpeppe/go-internal/testscript"
)

// streamClient is an HTTP client on HOME's socket that keeps no idle
// connections: every stream is a connection of its own, as separate
// listen processes would be.
func streamClient(home string) *http.Client {
	sock := routeapi.SocketPath(home)
	return &http.Client{Transport: &http.Transport{
		DisableKeepAlives: true,
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", sock)
		},
	}}
}

// daemonRSS reads the resident set of HOME's mf-route daemon, in MiB.
func daemonRSS(ts *testscript.TestScript, home string) float64 {
	b, err := os.ReadFile(filepath.Join(home, routeapi.PIDName))
	ts.Check(err)
	st, err := os.ReadFile("/proc/" + strings.TrimSpace(string(b)) + "/status")
	ts.Check(err)
	for _, l := range strings.Split(string(st), "\n") {
		if f := strings.Fields(l); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	ts.Fatalf("no VmRSS for the daemon")
	return 0
}

// streams HOME N: open N listen streams on HOME's daemon at once (on one
// topic), hold the ones it accepts, then drop them all. Prints how many
// were accepted and refused (with the status and code of the refusals) and
// the daemon's RSS idle, with the streams open, and 10 s after they closed:
//
//	streams 10000 accepted 1024 refused 8976 (503 too_many_listeners)
//	rss idle 40.1 MiB, open 90.2 MiB, closed 45.3 MiB
func cmdStreams(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: streams HOME N")
	}
	home := ts.MkAbs(args[0])
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	idle := daemonRSS(ts, home)
	hc := streamClient(home)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var (
		mu       sync.Mutex
		accepted int
		refused  = map[string]int{}
		failed   []string
		wg, open sync.WaitGroup
	)
	// Dials are paced (256 at a time) so that the socket's accept backlog
	// does not overflow; accepted streams stay open until the end.
	dial := make(chan struct{}, 256)
	open.Add(n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		dial <- struct{}{}
		go func() {
			defer wg.Done()
			req, _ := http.NewRequestWithContext(ctx, "GET", "http://mf/v0/listen?"+url.Values{"topic": {"crowd"}}.Encode(), nil)
			resp, err := hc.Do(req)
			<-dial
			if err != nil {
				mu.Lock()
				failed = append(failed, err.Error())
				mu.Unlock()
				open.Done()
				return
			}
			defer resp.Body.Close()
			mu.Lock()
			if resp.StatusCode == http.StatusOK {
				accepted++
			} else {
				var body bytes.Buffer
				body.ReadFrom(resp.Body)
				code := "?"
				if i := strings.Index(body.String(), `"code":"`); i >= 0 {
					code = strings.SplitN(body.String()[i+8:], `"`, 2)[0]
				}
				refused[fmt.Sprintf("%d %s", resp.StatusCode, code)]++
			}
			mu.Unlock()
			open.Done()
			// Hold the stream until the end.
			bufio.NewReader(resp.Body).ReadByte()
		}()
	}
	open.Wait()
	if len(failed) > 0 {
		ts.Fatalf("%d streams failed to open, e.g. %s", len(failed), failed[0])
	}
	peak := daemonRSS(ts, home)
	cancel()
	wg.Wait()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if st, err := status(home); err == nil && st.Listeners == 0 {
			break
		}
	}
	time.Sleep(10 * time.Second)
	closed := daemonRSS(ts, home)
	nrefused := 0
	var kinds []string
	for k, v := range refused {
		nrefused += v
		kinds = append(kinds, k)
	}
	fmt.Fprintf(ts.Stdout(), "streams %d accepted %d refused %d (%s)\n", n, accepted, nrefused, strings.Join(kinds, ", "))
	fmt.Fprintf(ts.Stdout(), "rss idle %.1f MiB, open %.1f MiB, closed %.1f MiB\n", idle, peak, closed)
}

// watchmany HOME PREFIX N: listen once, briefly, on topics PREFIX0 ..
// PREFIX(N-1) of HOME's daemon, each of which it then watches; every
// listen must be accepted.
func cmdWatchMany(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: watchmany HOME PREFIX N")
	}
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	hc := streamClient(ts.MkAbs(args[0]))
	for i := 0; i < n; i++ {
		topic := fmt.Sprintf("%s%d", args[1], i)
		resp, err := hc.Get("http://mf/v0/listen?" + url.Values{"topic": {topic}}.Encode())
		ts.Check(err)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			ts.Fatalf("listen on %s: %s", topic, resp.Status)
		}
	}
}
