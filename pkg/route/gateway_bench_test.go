package route

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// BenchmarkGatewayThroughput moves a 64 MiB body between two real nodes on
// 127.0.0.1, on a bare libp2p stream and through the whole gateway (the
// caller's route.sock, mf-route, the stream, the peer's mf-route, the
// service's socket). Each iteration does one of each, back to back, so
// that a busy machine slows both alike; the figures are the MB/s of each
// and the gateway's share of the bare stream's. Here both nodes, the
// caller and the service share the benchmark's process;
// BenchmarkGatewayDevnet puts the gateway's nodes in daemons of their own.
//
//	go test -run '^$' -bench GatewayThroughput -benchtime 10x ./pkg/route
//
// docs/benchmarks.md records them.
func BenchmarkGatewayThroughput(b *testing.B) {
	a, bn := startGatewayNode(b, 0), startGatewayNode(b, 0)
	serveTestService(b, bn.home)
	linkNodes(b, a.Node, bn.Node)
	benchGateway(b, routeapi.NewClient(a.home), bn.host.ID().String())
}

// BenchmarkGatewayDevnet is BenchmarkGatewayThroughput with the gateway's
// two nodes as mf-route daemons of a devnet (`mf-route devnet up --nodes 2
// --no-swap`, built from this tree), the service on node2's socket and the
// caller in the benchmark; the bare stream runs between two nodes in the
// benchmark's process, in the same iterations.
//
//	go test -run '^$' -bench GatewayDevnet -benchtime 10x ./pkg/route
func BenchmarkGatewayDevnet(b *testing.B) {
	dir, err := os.MkdirTemp("", "mfgwd")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "mf-route")
	if out, err := exec.Command("go", "build", "-o", bin, "github.com/mainframe/mf/cmd/mf-route").CombinedOutput(); err != nil {
		b.Fatalf("building mf-route: %v\n%s", err, out)
	}
	nodes := filepath.Join(dir, "net")
	if out, err := exec.Command(bin, "devnet", "up", "--nodes", "2", "--dir", nodes, "--no-swap").CombinedOutput(); err != nil {
		b.Fatalf("devnet up: %v\n%s", err, out)
	}
	b.Cleanup(func() { _ = exec.Command(bin, "devnet", "down", "--dir", nodes).Run() })
	home1, home2 := filepath.Join(nodes, "node1"), filepath.Join(nodes, "node2")
	serveTestService(b, home2)
	st, err := routeapi.NewClient(home2).Status(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	benchGateway(b, routeapi.NewClient(home1), st.PeerID)
}

// benchGateway runs the three gateway paths against a bare stream between
// two fresh in-process nodes: c calls the test service of peer.
func benchGateway(b *testing.B, c *routeapi.Client, peer string) {
	const size = 64 << 20
	x, y := startGatewayNode(b, 0), startGatewayNode(b, 0)
	linkNodes(b, x.Node, y.Node)
	const bare = "/mf-bench/bare/1"
	y.host.SetStreamHandler(bare, func(s network.Stream) {
		_, _ = io.CopyBuffer(io.Discard, s, make([]byte, gatewayBuf))
		_, _ = s.Write([]byte("ok"))
		_ = s.Close()
	})
	chunk := make([]byte, gatewayBuf)
	ctx := context.Background()

	bareOnce := func(b *testing.B) {
		s, err := x.host.NewStream(ctx, y.host.ID(), bare)
		if err != nil {
			b.Fatal(err)
		}
		for left := size; left > 0; left -= len(chunk) {
			if _, err := s.Write(chunk); err != nil {
				b.Fatal(err)
			}
		}
		_ = s.CloseWrite()
		if _, err := io.ReadAll(s); err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
	upload := func(length int64) func(b *testing.B) {
		return func(b *testing.B) {
			resp, err := c.CallServiceStream(ctx, routeapi.ServiceCall{Peer: peer, Service: "store", Method: "POST", Path: "/discard",
				Body: &zeros{left: size}, Length: length})
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	}
	gateway := map[string]func(b *testing.B){
		"upload":       upload(-1),
		"upload-sized": upload(size),
		"download": func(b *testing.B) {
			resp, err := c.CallServiceStream(ctx, routeapi.ServiceCall{Peer: peer, Service: "store", Method: "GET", Path: "/source?n=67108864"})
			if err != nil {
				b.Fatal(err)
			}
			k, err := io.CopyBuffer(io.Discard, resp.Body, make([]byte, gatewayBuf))
			resp.Body.Close()
			if err != nil || k != size {
				b.Fatalf("%d bytes, %v", k, err)
			}
		},
	}
	for _, name := range []string{"upload", "upload-sized", "download"} {
		b.Run(name, func(b *testing.B) {
			var tBare, tGw time.Duration
			for b.Loop() {
				t0 := time.Now()
				bareOnce(b)
				t1 := time.Now()
				gateway[name](b)
				tBare += t1.Sub(t0)
				tGw += time.Since(t1)
			}
			mbps := func(d time.Duration) float64 { return float64(b.N) * size / d.Seconds() / 1e6 }
			b.ReportMetric(mbps(tBare), "bare-MB/s")
			b.ReportMetric(mbps(tGw), "gateway-MB/s")
			b.ReportMetric(100*tBare.Seconds()/tGw.Seconds(), "%-of-bare")
		})
	}
}

// zeros is a body of left zero bytes that costs nothing to produce.
type zeros struct{ left int }

func (z *zeros) Read(p []byte) (int, error) {
	if z.left == 0 {
		return 0, io.EOF
	}
	k := min(len(p), z.left)
	clear(p[:k])
	z.left -= k
	return k, nil
}

// BenchmarkGatewayCall times small calls (1 KiB each way) through the
// gateway, the round trip a db get or a hold receipt makes, beside its
// legs measured alone in the same iterations: a call straight to the
// service's socket, and a round trip on a bare stream between the nodes.
//
//	go test -run '^$' -bench GatewayCall -benchtime 2000x ./pkg/route
func BenchmarkGatewayCall(b *testing.B) {
	a, bn := startGatewayNode(b, 0), startGatewayNode(b, 0)
	serveTestService(b, bn.home)
	linkNodes(b, a.Node, bn.Node)
	const bare = "/mf-bench/echo/1"
	bn.host.SetStreamHandler(bare, func(s network.Stream) {
		buf := make([]byte, 1024)
		if _, err := io.ReadFull(s, buf); err == nil {
			_, _ = s.Write(buf)
		}
		_ = s.Close()
	})
	ctx := context.Background()
	c := routeapi.NewClient(a.home)
	sock := filepath.Join(bn.home, "store.sock")
	direct := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, "unix", sock)
	}}}
	body := bytes.Repeat([]byte("x"), 1024)
	var tGw, tDirect, tBare []time.Duration
	for b.Loop() {
		t0 := time.Now()
		resp, err := c.CallServiceStream(ctx, routeapi.ServiceCall{Peer: bn.host.ID().String(), Service: "store", Method: "POST", Path: "/echo",
			Body: bytes.NewReader(body), Length: int64(len(body))})
		if err != nil {
			b.Fatal(err)
		}
		if k, _ := io.Copy(io.Discard, resp.Body); k != 1024 {
			b.Fatalf("echo of %d bytes", k)
		}
		resp.Body.Close()
		t1 := time.Now()
		dr, err := direct.Post("http://mf/remote/echo", "application/octet-stream", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, dr.Body)
		dr.Body.Close()
		t2 := time.Now()
		s, err := a.host.NewStream(ctx, bn.host.ID(), bare)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = s.Write(body)
		if _, err := io.ReadFull(s, make([]byte, 1024)); err != nil {
			b.Fatal(err)
		}
		s.Close()
		t3 := time.Now()
		tGw, tDirect, tBare = append(tGw, t1.Sub(t0)), append(tDirect, t2.Sub(t1)), append(tBare, t3.Sub(t2))
	}
	p50 := func(d []time.Duration) float64 {
		sort.Slice(d, func(i, j int) bool { return d[i] < d[j] })
		return float64(d[len(d)/2].Microseconds())
	}
	b.ReportMetric(p50(tGw), "gateway-p50-µs")
	b.ReportMetric(p50(tDirect), "socket-p50-µs")
	b.ReportMetric(p50(tBare), "bare-p50-µs")
}
