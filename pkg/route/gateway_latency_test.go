package route

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

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
