package hold

import (
	"bytes"
	"testing"
)

func FuzzDecodePacketRecord(f *testing.F) {
	f.Add((&packetRecord{TakenMs: 5, Sender: "12D3Koo", Packet: packet(1, 10)}).encode())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := decodePacketRecord(b)
		if err != nil {
			return
		}
		if !bytes.Equal(p.encode(), b) {
			t.Fatal("a packet record has a second encoding")
		}
	})
}
