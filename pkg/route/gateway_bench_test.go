package route

import (
	"context"
	"io"
	"testing"

	"github.com/libp2p/go-libp2p/core/network"
)

// BenchmarkGatewayThroughput moves a body between two real nodes on
// 127.0.0.1, once on a bare libp2p stream and once through the whole
// gateway (caller's route.sock, mf-route, the stream, the peer's mf-route,
// the service's socket), in the same run, so the two figures compare:
//
//	go test -run '^$' -bench GatewayThroughput -benchtime 20x ./pkg/route
//
// docs/benchmarks.md records the figures.
func BenchmarkGatewayThroughput(b *testing.B) {
	const size = 64 << 20
	a, bn := startGatewayNode(b, 0), startGatewayNode(b, 0)
	serveTestService(b, bn.home)
	linkNodes(b, a.Node, bn.Node)
	const bare = "/mf-bench/bare/1"
	bn.host.SetStreamHandler(bare, func(s network.Stream) {
		_, _ = io.Copy(io.Discard, s)
		_, _ = s.Write([]byte("ok"))
		_ = s.Close()
	})
	chunk := make([]byte, 256<<10)
	ctx := context.Background()

	b.Run("bare-stream", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
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
	})
	c := NewClient(a.home)
	b.Run("gateway-upload", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			resp, err := c.CallServiceStream(ctx, ServiceCall{Peer: bn.host.ID().String(), Service: "store", Method: "POST", Path: "/discard",
				Body: &zeros{left: size}, Length: -1})
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("gateway-upload-sized", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			resp, err := c.CallServiceStream(ctx, ServiceCall{Peer: bn.host.ID().String(), Service: "store", Method: "POST", Path: "/discard",
				Body: &zeros{left: size}, Length: size})
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
		}
	})
	b.Run("gateway-download", func(b *testing.B) {
		b.SetBytes(size)
		for b.Loop() {
			resp, err := c.CallServiceStream(ctx, ServiceCall{Peer: bn.host.ID().String(), Service: "store", Method: "GET", Path: "/source?n=67108864"})
			if err != nil {
				b.Fatal(err)
			}
			k, err := io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if err != nil || k != size {
				b.Fatalf("%d bytes, %v", k, err)
			}
		}
	})
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
