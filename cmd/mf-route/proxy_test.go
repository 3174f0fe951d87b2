package main

import (
	"strconv"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mainframe/mf/pkg/devchain"
)

// The chain proxies scripts started, by socket path. They live in the test
// process, so that one script command can cut a connection another
// process holds.
var (
	proxiesMu sync.Mutex
	proxies   = map[string]*devchain.Proxy{}
)

// chainproxy: a chain connection the script can cut (devchain.Proxy).
//
//	chainproxy start IPC PATH            listen on PATH, pass through to IPC
//	chainproxy breakon PATH METHOD [outage]   cut at the next METHOD request:
//	                                     once, or until heal
//	chainproxy waithit PATH N            wait up to 30s until N armed cuts
//	chainproxy break PATH | heal PATH    an outage, and its end
func cmdChainProxy(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: chainproxy start|breakon|waithit|break|heal ...")
	}
	if args[0] == "start" {
		if len(args) != 3 {
			ts.Fatalf("usage: chainproxy start IPC PATH")
		}
		p, err := devchain.NewProxy(ts.MkAbs(args[2]), ts.MkAbs(args[1]))
		ts.Check(err)
		proxiesMu.Lock()
		proxies[p.Path] = p
		proxiesMu.Unlock()
		ts.Defer(func() {
			p.Close()
			proxiesMu.Lock()
			delete(proxies, p.Path)
			proxiesMu.Unlock()
		})
		return
	}
	proxiesMu.Lock()
	p := proxies[ts.MkAbs(args[1])]
	proxiesMu.Unlock()
	if p == nil {
		ts.Fatalf("no chain proxy at %s", args[1])
	}
	switch args[0] {
	case "breakon":
		if len(args) < 3 {
			ts.Fatalf("usage: chainproxy breakon PATH METHOD [outage]")
		}
		p.BreakOn(args[2], len(args) > 3 && args[3] == "outage")
	case "waithit":
		want, _ := strconv.Atoi(args[2])
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if _, hits := p.Broken(); hits >= want {
				return
			}
		}
		_, hits := p.Broken()
		ts.Fatalf("the proxy was cut %d times, not %d", hits, want)
	case "break":
		p.Break()
	case "heal":
		p.Heal()
	default:
		ts.Fatalf("chainproxy does not know %s", args[0])
	}
}
