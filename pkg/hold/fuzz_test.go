package hold

import (
	"bytes"
	"testing"
)

func FuzzDecodePacketRecord(f *testing.F) {
	rec := (&packetRecord{TakenMs: 5, Sender: "12D3Koo", Packet: packet(1, 10), Order: 7}).encode()
	f.Add(rec)
	f.Add(rec[:len(rec)-8]) // written before the order was kept
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePacketRecord(b)
		if err != nil {
			return
		}
		// A record without its order (an older one) reads as order 0,
		// and is written again with it.
		if e := p.encode(); !bytes.Equal(e, b) && !bytes.Equal(e, append(bytes.Clone(b), make([]byte, 8)...)) {
			t.Fatal("a packet record has a second encoding")
		}
	})
}
