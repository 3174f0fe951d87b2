package main

import (
	"net"
	"strconv"

	"github.com/rogpeppe/go-internal/testscript"
)

// freeport VAR: set VAR to a port free for both TCP and UDP on 127.0.0.1, so
// a script can give two nodes the same fixed port.
func cmdFreePort(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: freeport VAR")
	}
	for range 20 {
		l, err := net.Listen("tcp4", "127.0.0.1:0")
		ts.Check(err)
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp4", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		l.Close()
		if err != nil {
			continue
		}
		u.Close()
		ts.Setenv(args[0], strconv.Itoa(port))
		return
	}
	ts.Fatalf("no port free for both TCP and UDP")
}
