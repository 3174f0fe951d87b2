package route

import (
	"context"
	"io"
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
// and the gateway's share of the bare stream's:
//
//	go test -run '^$' -bench GatewayThroughput -benchtime 10x ./pkg/route
//
// docs/benchmarks.md records them.
func BenchmarkGatewayThroughput(b *testing.B) {
	const size = 64 << 20
	a, bn := startGatewayNode(b, 0), startGatewayNode(b, 0)
	serveTestService(b, bn.home)
	linkNodes(b, a.Node, bn.Node)
	const bare = "/mf-bench/bare/1"
	bn.host.SetStreamHandler(bare, func(s network.Stream) {
		_, _ = io.CopyBuffer(io.Discard, s, make([]byte, gatewayBuf))
		_, _ = s.Write([]byte("ok"))
		_ = s.Close()
	})
	chunk := make([]byte, gatewayBuf)
	ctx := context.Background()
	c := routeapi.NewClient(a.home)
	peer := bn.host.ID().String()

	bareOnce := func(b *testing.B) {
		s, err := a.host.NewStream(ctx, bn.host.ID(), bare)
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
	gateway := map[string]func(b *testing.B){
		"upload": func(b *testing.B) {
			resp, err := c.CallServiceStream(ctx, routeapi.ServiceCall{Peer: peer, Service: "store", Method: "POST", Path: "/discard",
				Body: &zeros{left: size}, Length: -1})
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		},
		"upload-sized": func(b *testing.B) {
			resp, err := c.CallServiceStream(ctx, routeapi.ServiceCall{Peer: peer, Service: "store", Method: "POST", Path: "/discard",
				Body: &zeros{left: size}, Length: size})
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		},
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
