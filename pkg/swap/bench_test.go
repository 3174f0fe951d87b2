package swap

import (
	"context"
	"crypto/ecdsa"
	"math/big"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/swap/swapapi"
)

// BenchmarkUsageSocket measures accounting updates per second through
// mf-swap's Unix socket, the way other services book usage: one
// POST /v0/usage over localapi per op, each a synced Pebble batch.
func BenchmarkUsageSocket(b *testing.B) {
	n := newNode(b, nil)
	dir, err := os.MkdirTemp("", "bs")
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, swapapi.SocketName)
	ln, err := localapi.Listen(sock)
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = localapi.Serve(ctx, ln, n.Handler()) }()
	defer func() { cancel(); <-done }()

	c := localapi.NewClient(sock)
	req := UsageRequest{Peer: "bench-peer", Amount: "1"}
	var out PeerBalance
	ops := 0
	b.ReportAllocs()
	for b.Loop() {
		if err := c.Call(ctx, http.MethodPost, "/v0/usage", req, &out); err != nil {
			b.Fatal(err)
		}
		ops++
	}
	b.ReportMetric(float64(ops)/b.Elapsed().Seconds(), "updates/s")
	if out.Balance != big.NewInt(int64(ops)).String() {
		b.Fatalf("balance %s after %d updates", out.Balance, ops)
	}
}

// BenchmarkReceiveChequeWithChainChecks measures cheques verified and
// booked per second by ReceiveCheque: decoding, EIP-712 signature
// recovery, the two on-chain checks over IPC to the development chain (is
// the checkbook the factory's? is the signer its issuer?) and the synced
// batch that books it. The chain round trips dominate; see
// BenchmarkChequeSigner for the signature alone.
func BenchmarkReceiveChequeWithChainChecks(b *testing.B) {
	ctx := testCtx(b)
	a := newNode(b, nil)
	cr := newNode(b, nil)
	if _, err := cr.AddUsage(a.peer, amount.Max); err != nil { // A owes plenty
		b.Fatal(err)
	}
	var cum int64
	var batch [][]byte
	sign := func() {
		batch = batch[:0]
		for range 256 {
			cum++
			ch, err := chain.NewCheque(a.id.Key, a.chainID, a.checkbook, cr.self, big.NewInt(cum))
			if err != nil {
				b.Fatal(err)
			}
			raw, _ := ch.MarshalBinary()
			batch = append(batch, raw)
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i == len(batch) {
			b.StopTimer()
			sign()
			i = 0
			b.StartTimer()
		}
		if _, err := cr.ReceiveCheque(ctx, a.peer, batch[i]); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// BenchmarkChequeSigner measures cheque signature verifications per
// second: decoding the wire form and recovering the EIP-712 signer.
func BenchmarkChequeSigner(b *testing.B) {
	ch, err := chain.NewCheque(mustKey(b), big.NewInt(1337), [20]byte{1}, [20]byte{2}, big.NewInt(1e18))
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := ch.MarshalBinary()
	b.ReportAllocs()
	for b.Loop() {
		var c chain.Cheque
		if err := c.UnmarshalBinary(raw); err != nil {
			b.Fatal(err)
		}
		if _, err := c.Signer(big.NewInt(1337)); err != nil {
			b.Fatal(err)
		}
	}
}

func mustKey(tb testing.TB) *ecdsa.PrivateKey {
	tb.Helper()
	k, err := crypto.GenerateKey()
	if err != nil {
		tb.Fatal(err)
	}
	return k
}
