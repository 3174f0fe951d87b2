package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/db/dbcmd"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routecmd"
)

// mf-route is here only to make nodes (mf-route init); the test binary may
// link it, mf-db does not.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mf-db":    func() { os.Exit(dbcmd.Main(os.Args[1:], cli.System())) },
		"mf-route": func() { os.Exit(routecmd.Main(os.Args[1:], cli.System())) },
	})
}

// TestScripts runs the scripts in testdata/script: real mf-db daemons on
// real sockets and real Pebble.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			// Unix socket paths must stay under 108 bytes.
			short, err := os.MkdirTemp("", "mfdb")
			if err != nil {
				return err
			}
			env.Setenv("NET", short)
			env.Setenv("MF_HOME", filepath.Join(short, "default-home"))
			env.Defer(func() { os.RemoveAll(short) })
			return nil
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"code":    cmdCode,
			"mkfile":  cmdMkfile,
			"setlast": cmdSetLast,
			"apibad":  cmdAPIBad,
			"cardenv": cmdCardEnv,
		},
	})
}

// code N PROG ARGS...: run PROG and require exit status N.
func cmdCode(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: code N PROG ARGS...")
	}
	want, _ := strconv.Atoi(args[0])
	cmd := exec.Command(args[1], args[2:]...)
	cmd.Dir = ts.Getenv("WORK")
	cmd.Env = os.Environ()
	for _, k := range []string{"PATH", "MF_HOME", "HOME", "NET"} {
		cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	err := cmd.Run()
	got := 0
	if ee, ok := err.(*exec.ExitError); ok {
		got = ee.ExitCode()
	} else if err != nil {
		ts.Fatalf("%v", err)
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d; stderr: %s", got, want, stderr.String())
	}
}

// mkfile PATH SIZE: write SIZE random bytes to PATH.
func cmdMkfile(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: mkfile PATH SIZE")
	}
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	b := make([]byte, n)
	rand.Read(b)
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b, 0o644))
}

// setlast VAR: set VAR to the last tab-separated field of the last line of
// the previous command's stdout (the version a watch printed last).
func cmdSetLast(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: setlast VAR")
	}
	lines := strings.Split(strings.TrimSpace(ts.ReadFile("stdout")), "\n")
	f := strings.Split(lines[len(lines)-1], "\t")
	ts.Setenv(args[0], f[len(f)-1])
}

// apibad HOME DATASET: send bad requests to every endpoint of HOME's
// mf-db; each must get a 4xx with a JSON error body, and the daemon must
// go on answering with its dataset's digest unchanged.
func cmdAPIBad(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: apibad HOME DATASET")
	}
	home, ds := ts.MkAbs(args[0]), args[1]
	c := dbapi.NewClient(home)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	before, err := c.Digest(ctx, ds)
	ts.Check(err)
	hc := localapi.HTTPClient(dbapi.SocketPath(home), 30*time.Second)
	big := bytes.Repeat([]byte("A"), 2<<20)
	bodies := map[string][]byte{
		"garbage":   []byte("\x00\xff not json {{{"),
		"oversize":  append(append([]byte(`{"key":"`), big...), `"}`...),
		"empty":     nil,
		"wrongtype": []byte(`{"name": 5, "op": [], "key": 3, "value": "%%%", "right": 1, "address": 2}`),
		"unknown":   []byte(`{"nonsense": true}`),
		"twovalues": []byte(`{} {}`),
		"badjson":   []byte(`{"op":"put","key":"k","value":{"a":}}`),
		"badop":     []byte(`{"op":"upsert","key":"k","value":1}`),
		"nokey":     []byte(`{"op":"put","value":1}`),
		"longkey":   []byte(`{"op":"put","key":"` + strings.Repeat("k", 513) + `","value":1}`),
		"bigvalue":  []byte(`{"op":"put","key":"k","value":"` + strings.Repeat("v", 70000) + `"}`),
		"badrule":   []byte(`{"name":"x","read":"bob"}`),
		"contacts":  []byte(`{"name":"x","read":"contacts"}`),
		"badname":   []byte(`{"name":"a b"}`),
		"redund":    []byte(`{"name":"y","redundancy":3,"quorum":4}`),
		"badright":  []byte(`{"right":"own","address":"0x0000000000000000000000000000000000000001"}`),
		"badaddr":   []byte(`{"right":"read","address":"bob"}`),
		"nowrites":  []byte(`{"writes":[]}`),
		"badbatch":  []byte(`{"writes":[{"op":"put","key":"fine","value":1},{"op":"put","key":"","value":1}]}`),
		"rawdelete": []byte(`{"writes":[{"op":"put","key":"fine","value":1},{"op":"delete","key":"ann","raw":"AA=="}]}`),
	}
	endpoints := []struct{ method, path string }{
		{"POST", "/v0/datasets"}, {"POST", "/v0/datasets/" + ds + "/acl"}, {"POST", "/v0/datasets/" + ds + "/rows"},
		{"POST", "/v0/datasets/nosuch/rows"}, {"POST", "/v0/datasets/" + ds + "/batch"},
	}
	type badRequest struct {
		method, path, name string
		body               []byte
	}
	var reqs []badRequest
	for _, e := range endpoints {
		for name, body := range bodies {
			if name == "contacts" || name == "badname" || name == "redund" {
				if e.path != "/v0/datasets" {
					continue
				}
			}
			reqs = append(reqs, badRequest{e.method, e.path, name, body})
		}
	}
	for _, p := range []string{
		"/v0/datasets/nosuch", "/v0/datasets/" + ds + "/row", "/v0/datasets/" + ds + "/row?key=nosuch",
		"/v0/datasets/" + ds + "/query?where=colour=red", "/v0/datasets/" + ds + "/query?where=age", "/v0/datasets/" + ds + "/query?limit=x",
		"/v0/datasets/" + ds + "/watch?from=nope", "/v0/datasets/" + ds + "/watch?from=AQ", "/v0/datasets/nosuch/watch",
		"/v0/datasets/nosuch/digest", "/v0/nonexistent",
		"/v0/datasets/0000000000000000000000000000000000000000000000000000000000000000",
	} {
		reqs = append(reqs, badRequest{"GET", p, "get", nil})
	}
	for _, rq := range reqs {
		req, _ := http.NewRequest(rq.method, "http://mf"+rq.path, bytes.NewReader(rq.body))
		resp, err := hc.Do(req)
		if err != nil {
			ts.Fatalf("%s %s with %s body: %v", rq.method, rq.path, rq.name, err)
		}
		var eb struct {
			Error string `json:"error"`
			Code  string `json:"code"`
		}
		derr := json.NewDecoder(bufio.NewReader(resp.Body)).Decode(&eb)
		resp.Body.Close()
		if resp.StatusCode < 400 || resp.StatusCode >= 500 {
			ts.Fatalf("%s %s with %s body: status %d (%s), want 4xx", rq.method, rq.path, rq.name, resp.StatusCode, eb.Error)
		}
		if derr != nil || eb.Error == "" || eb.Code == "" {
			ts.Fatalf("%s %s with %s body: error body not JSON {error, code}: %v", rq.method, rq.path, rq.name, derr)
		}
	}
	after, err := c.Digest(ctx, ds)
	ts.Check(err)
	if after.Hash != before.Hash {
		ts.Fatalf("bad requests changed the dataset: digest %s, was %s", after.Hash, before.Hash)
	}
}

// cardenv VAR HOME: set VAR to the card of the development node in HOME
// and VAR_ADDR to its address.
func cmdCardEnv(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: cardenv VAR HOME")
	}
	id, err := identity.Load(ts.MkAbs(args[1]), "")
	ts.Check(err)
	c, err := id.NewCard(nil, time.Now())
	ts.Check(err)
	ts.Setenv(args[0], c.String())
	ts.Setenv(args[0]+"_ADDR", strings.ToLower(c.Address().Hex()))
}
