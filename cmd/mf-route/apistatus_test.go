package main

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/rogpeppe/go-internal/testscript"
)

// apistatus HOME METHOD PATH BODY STATUS: send one request to HOME's
// mf-route socket and require the HTTP status; an error answer must be the
// JSON {error, code}, and its message goes to stdout for stdout checks.
func cmdAPIStatus(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 5 {
		ts.Fatalf("usage: apistatus HOME METHOD PATH BODY STATUS")
	}
	want, err := strconv.Atoi(args[4])
	ts.Check(err)
	sock := routeapi.SocketPath(ts.MkAbs(args[0]))
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		return (&net.Dialer{}).DialContext(ctx, "unix", sock)
	}}, Timeout: 30 * time.Second}
	req, err := http.NewRequest(args[1], "http://mf"+args[2], strings.NewReader(args[3]))
	ts.Check(err)
	resp, err := hc.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	var eb struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	derr := json.NewDecoder(resp.Body).Decode(&eb)
	if resp.StatusCode != want {
		ts.Fatalf("%s %s: status %d (%s), want %d", args[1], args[2], resp.StatusCode, eb.Error, want)
	}
	if resp.StatusCode >= 400 {
		if derr != nil || eb.Error == "" || eb.Code == "" {
			ts.Fatalf("%s %s: error body not JSON {error, code}: %v", args[1], args[2], derr)
		}
		ts.Stdout().Write([]byte(eb.Error + "\n"))
	}
}
