package devchain

import (
	"bytes"
	"io"
	"net"
	"os"
	"sync"
)

// Proxy is a chain connection that can be cut: it listens on a Unix socket
// and passes every connection through to the chain's IPC socket, until it
// is told to break. Tests point a daemon at it to show what the daemon does
// when its chain connection drops, while the rest of the network keeps its
// own connections.
//
// Break cuts every connection now and refuses new ones until Heal: an
// outage. BreakOn cuts every connection the moment a request for the named
// JSON-RPC method passes, without delivering it: a failure at an exact
// step, say between reading an event and sending the transaction that
// answers it. Then either the next connection goes through (a blip, after
// which the client reconnects and carries on) or, with outage, none does
// until Heal.
type Proxy struct {
	Path   string // the socket to dial instead of the chain's IPC
	target string
	ln     net.Listener

	mu     sync.Mutex
	broken bool
	method []byte // the request that breaks the proxy, nil for none
	outage bool   // whether that break lasts until Heal
	conns  map[net.Conn]struct{}
	hits   int
}

// NewProxy listens on path and forwards to the IPC socket at target.
func NewProxy(path, target string) (*Proxy, error) {
	_ = os.Remove(path)
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, err
	}
	p := &Proxy{Path: path, target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	go p.accept()
	return p, nil
}

// Close stops the proxy and cuts every connection.
func (p *Proxy) Close() error {
	err := p.ln.Close()
	p.Break()
	return err
}

// Break cuts every connection and refuses new ones until Heal.
func (p *Proxy) Break() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.breakLocked()
}

func (p *Proxy) breakLocked() {
	p.broken = true
	p.method = nil
	for c := range p.conns {
		c.Close()
	}
	clear(p.conns)
}

// BreakOn arms the proxy: the first request for method cuts every
// connection, once or (outage) until Heal.
func (p *Proxy) BreakOn(method string, outage bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.method = []byte(`"method":"` + method + `"`)
	p.outage = outage
}

// Heal lets connections through again (and disarms BreakOn).
func (p *Proxy) Heal() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.broken = false
	p.method = nil
}

// Broken says whether the proxy is cut, and how many times an armed
// request cut it.
func (p *Proxy) Broken() (bool, int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.broken, p.hits
}

func (p *Proxy) accept() {
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.broken {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		go p.serve(c)
	}
}

func (p *Proxy) serve(c net.Conn) {
	defer func() {
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
		c.Close()
	}()
	up, err := net.Dial("unix", p.target)
	if err != nil {
		return
	}
	defer up.Close()
	go func() {
		_, _ = io.Copy(c, up)
		c.Close()
	}()
	buf := make([]byte, 64<<10)
	// tail keeps the end of the previous read, so that a method name split
	// between two reads is still seen.
	var tail []byte
	for {
		n, err := c.Read(buf)
		if n > 0 {
			if p.trips(append(tail, buf[:n]...)) {
				return
			}
			if _, werr := up.Write(buf[:n]); werr != nil {
				return
			}
			tail = append(tail[:0], buf[max(0, n-64):n]...)
		}
		if err != nil {
			return
		}
	}
}

// trips reports whether b holds the armed request, and if so breaks the
// proxy.
func (p *Proxy) trips(b []byte) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.broken {
		return true
	}
	if p.method == nil || !bytes.Contains(b, p.method) {
		return false
	}
	p.hits++
	outage := p.outage
	p.breakLocked()
	p.broken = outage
	return true
}
