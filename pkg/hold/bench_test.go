package hold

import (
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"testing"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/hold/holdapi"
)

// BenchmarkHold: packets one delegate takes per second, each checked,
// stored in Pebble with its index and the client's counters in one synced
// batch, and signed for; 1 KiB packets from one sender.
func BenchmarkHold(b *testing.B) {
	o := testOptions()
	o.ClientPackets, o.SenderPackets = 1<<30, 1<<30
	o.ClientBytes, o.SenderBytes = 1<<40, 1<<40
	d := newDelegate(b, o)
	client, sender := person(b, 2), person(b, 3)
	d.agree(client)
	addr := client.Public().Address()
	ps := make([][]byte, b.N)
	for i := range ps {
		ps[i] = packet(i, 1024)
	}
	b.SetBytes(int64(len(ps[0])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := d.Hold(addr, sender.Public().PeerID().String(), 0, 0, ps[i]); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}

// BenchmarkHoldStaked is BenchmarkHold for a client the delegate staked
// for: each packet also gets its court claim (the packet's Merkle root and
// a second, EIP-712, signature).
func BenchmarkHoldStaked(b *testing.B) {
	o := testOptions()
	o.ClientPackets, o.SenderPackets = 1<<30, 1<<30
	o.ClientBytes, o.SenderBytes = 1<<40, 1<<40
	d := newDelegate(b, o)
	client, sender := person(b, 2), person(b, 3)
	d.chain = chain.KnownCourt(testChainID, testCourt)
	d.agree(client)
	addr := client.Public().Address()
	d.clients[addr].Agreement = testAg.String()
	ps := make([][]byte, b.N)
	for i := range ps {
		ps[i] = packet(i, 1024)
	}
	b.SetBytes(int64(len(ps[0])))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		rc, err := d.Hold(addr, sender.Public().PeerID().String(), 0, 0, ps[i])
		if err != nil || rc.Claim == nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "packets/s")
}

// BenchmarkFetch10000: a returning node's 10,000 held packets (1 KiB
// each) read in pages of holdapi.MaxFetch and decoded, as the recipient's
// mf-route fetches them.
func BenchmarkFetch10000(b *testing.B) {
	o := testOptions()
	d := newDelegate(b, o)
	client, sender := person(b, 2), person(b, 3)
	d.agree(client)
	addr := client.Public().Address()
	for i := range 10000 {
		if _, err := d.Hold(addr, sender.Public().PeerID().String(), 0, 0, packet(i, 1024)); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var after uint64
		n := 0
		for {
			body, err := d.Fetch(addr, after, holdapi.MaxFetch)
			if err != nil {
				b.Fatal(err)
			}
			hs, err := holdapi.DecodeHeld(body)
			if err != nil {
				b.Fatal(err)
			}
			if len(hs) == 0 {
				break
			}
			n += len(hs)
			after = hs[len(hs)-1].Seq
		}
		if n != 10000 {
			b.Fatalf("fetched %d", n)
		}
	}
}

// BenchmarkStoredBytes: bytes on disk per held packet against its size on
// the wire, after 5,000 packets of 1 KiB and a flush.
func BenchmarkStoredBytes(b *testing.B) {
	for i := 0; i < b.N; i++ {
		o := testOptions()
		d := newDelegate(b, o)
		client, sender := person(b, 2), person(b, 3)
		d.agree(client)
		addr := client.Public().Address()
		const n = 5000
		wire := 0
		rnd := rand.New(rand.NewPCG(1, 2))
		for j := range n {
			// A sealed packet's body is ciphertext: noise that does not
			// compress, unlike packet()'s zeros.
			p := packet(j, 1024)
			for k := len(p) - 1016; k < len(p); k++ {
				p[k] = byte(rnd.Uint32())
			}
			wire += len(p)
			if _, err := d.Hold(addr, sender.Public().PeerID().String(), 0, 0, p); err != nil {
				b.Fatal(err)
			}
		}
		d.db.Close()
		d.db = nil
		var size int64
		filepath.WalkDir(filepath.Join(d.dir, "data", "hold"), func(_ string, e fs.DirEntry, err error) error {
			if err == nil && !e.IsDir() {
				if fi, err := e.Info(); err == nil {
					size += fi.Size()
				}
			}
			return nil
		})
		b.ReportMetric(float64(size)/n, "disk-B/packet")
		b.ReportMetric(float64(wire)/n, "wire-B/packet")
	}
}
