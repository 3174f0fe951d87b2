package hold

import (
	"bytes"
	"encoding/json"
	"math/big"
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/identity"
)

// listFor signs a received-list from client to delegate d.
func listFor(t *testing.T, client *identity.Identity, d *delegate, atMs uint64, ps ...[]byte) []byte {
	t.Helper()
	l := &holdapi.ReceivedList{Delegate: d.self.Address(), AtMs: atMs}
	for _, p := range ps {
		id, _ := holdapi.PacketID(p)
		l.IDs = append(l.IDs, id)
	}
	if err := l.Sign(client.Key); err != nil {
		t.Fatal(err)
	}
	return l.Encode()
}

// TestHoldFetchReceived: packets taken with signed receipts come back in
// the order taken, to the client only; a received-list deletes them and
// charges the time held; everything survives a restart.
func TestHoldFetchReceived(t *testing.T) {
	d := newDelegate(t, testOptions())
	client, sender := person(t, 2), person(t, 3)
	now := d.clockAt(time.UnixMilli(1_000_000))
	ag := d.agree(client)
	if ag.Client != client.Public().Address().Hex() || ag.Address != d.self.Address().Hex() || ag.Price != "3600" {
		t.Fatalf("agreement %+v", ag)
	}
	var ps [][]byte
	for i := range 5 {
		p := packet(i, 2000)
		ps = append(ps, p)
		rc := d.mustHold(sender, client, p)
		id, _ := holdapi.PacketID(p)
		if rc.ID != id || rc.Delegate != d.self.Address() || rc.Client != client.Public().Address() || int(rc.Size) != len(p) {
			t.Fatalf("receipt %+v", rc)
		}
		if _, err := holdapi.DecodeReceipt(rc.Encode()); err != nil {
			t.Fatal(err)
		}
	}
	// A retry is answered with a receipt again and held once.
	d.mustHold(sender, client, ps[0])
	hs := d.fetch(client, 0)
	if len(hs) != 5 {
		t.Fatalf("fetched %d packets, want 5", len(hs))
	}
	for i, h := range hs {
		if !bytes.Equal(h.Packet, ps[i]) || h.Seq != uint64(i+1) {
			t.Fatalf("packet %d: seq %d, not the one sent", i, h.Seq)
		}
	}
	if hs := d.fetch(client, 3); len(hs) != 2 || hs[0].Seq != 4 {
		t.Fatalf("fetch after 3: %d packets", len(hs))
	}
	// Restart: the packets and the counters are still there.
	d.open(testOptions())
	d.now = func() time.Time { return *now }
	if hs := d.fetch(client, 0); len(hs) != 5 {
		t.Fatalf("after a restart %d packets, want 5", len(hs))
	}
	// Two hours later the client received three of them.
	*now = now.Add(2 * time.Hour)
	code, b := d.call(client, "POST", "/remote/v0/received", listFor(t, client, d, 1_000_000+2*3600_000, ps[0], ps[1], ps[2]))
	if code != 200 {
		t.Fatalf("received: %d %s", code, b)
	}
	var res holdapi.ReceivedResult
	json.Unmarshal(b, &res)
	// 2 KiB (2,000 bytes plus the header, rounded up) for 2 hours at 3600
	// per KiB·hour: 14,400 each.
	if len(res.Deleted) != 3 || res.Charge != "43200" {
		t.Fatalf("received: %+v", res)
	}
	if hs := d.fetch(client, 0); len(hs) != 2 || !bytes.Equal(hs[0].Packet, ps[3]) {
		t.Fatalf("after the received-list %d packets", len(hs))
	}
	// The same list again deletes nothing more and charges nothing.
	_, b = d.call(client, "POST", "/remote/v0/received", listFor(t, client, d, 1_000_000+2*3600_000, ps[0], ps[1], ps[2]))
	json.Unmarshal(b, &res)
	if len(res.Deleted) != 0 || res.Charge != "0" {
		t.Fatalf("received again: %+v", res)
	}
	var acct holdapi.Account
	_, b = d.call(nil, "GET", "/v0/account", nil)
	json.Unmarshal(b, &acct)
	if acct.Earned != "43200" || len(acct.Peers) != 1 || acct.Peers[0].Packets != 3 {
		t.Fatalf("account %+v", acct)
	}
	var cl []holdapi.ClientInfo
	_, b = d.call(nil, "GET", "/v0/clients", nil)
	json.Unmarshal(b, &cl)
	if len(cl) != 1 || cl[0].Packets != 2 {
		t.Fatalf("clients %+v", cl)
	}
}

// TestBadInput: each is refused, and nothing held changes.
func TestBadInput(t *testing.T) {
	o := testOptions()
	o.SenderPackets = 3
	o.ClientPackets = 5
	d := newDelegate(t, o)
	client, sender, mallory, other := person(t, 2), person(t, 3), person(t, 4), person(t, 5)
	d.agree(client)
	d.agree(other)
	for i := range 3 {
		d.mustHold(sender, client, packet(i, 100))
	}
	before := d.fetch(client, 0)
	bigp := packet(99, holdapi.MaxPacket)
	forged := &holdapi.ReceivedList{Delegate: d.self.Address(), AtMs: 1, IDs: [][32]byte{mustID(packet(0, 100))}}
	forged.Sign(mallory.Key)
	forged.Client = client.Public().Address() // claims to be the client
	otherDelegate := &holdapi.ReceivedList{Delegate: mallory.Public().Address(), AtMs: 1, IDs: [][32]byte{mustID(packet(0, 100))}}
	otherDelegate.Sign(client.Key)
	notClient := &holdapi.ReceivedList{Delegate: d.self.Address(), AtMs: 1, IDs: [][32]byte{mustID(packet(0, 100))}}
	notClient.Sign(mallory.Key)
	stale := &holdapi.ReceivedList{Delegate: d.self.Address(), AtMs: 1, IDs: [][32]byte{mustID(packet(0, 100))}}
	stale.Sign(client.Key)
	tests := []struct {
		name   string
		as     *identity.Identity
		method string
		path   string
		body   []byte
		code   int
	}{
		{"fetch by a node that is not a client", mallory, "GET", "/remote/v0/fetch", nil, 403},
		{"fetch without the gateway", nil, "GET", "/remote/v0/fetch", nil, 403},
		{"fetch with a bad after", client, "GET", "/remote/v0/fetch?after=x", nil, 400},
		{"fetch with a bad limit", client, "GET", "/remote/v0/fetch?limit=100000", nil, 400},
		{"forged received-list", client, "POST", "/remote/v0/received", forged.Encode(), 403},
		{"received-list for another delegate", client, "POST", "/remote/v0/received", otherDelegate.Encode(), 403},
		{"received-list by a node that is not a client", mallory, "POST", "/remote/v0/received", notClient.Encode(), 403},
		{"received-list dated long ago (it would charge nothing)", client, "POST", "/remote/v0/received", stale.Encode(), 409},
		{"received-list of garbage", client, "POST", "/remote/v0/received", []byte{1, 2, 3}, 400},
		{"sender over its quota", sender, "POST", "/remote/v0/hold/" + client.Public().Address().Hex(), packet(50, 100), 507},
		{"packet for a node that is not a client", sender, "POST", "/remote/v0/hold/" + mallory.Public().Address().Hex(), packet(51, 100), 403},
		{"oversized packet", mallory, "POST", "/remote/v0/hold/" + client.Public().Address().Hex(), bigp, 413},
		{"a group packet (not held)", mallory, "POST", "/remote/v0/hold/" + client.Public().Address().Hex(), []byte{2, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42}, 400},
		{"client not an address", sender, "POST", "/remote/v0/hold/nobody", packet(52, 100), 400},
		{"an order that is not a number", sender, "POST", "/remote/v0/hold/" + client.Public().Address().Hex() + "?order=first", packet(54, 100), 400},
		{"hold without the gateway", nil, "POST", "/remote/v0/hold/" + client.Public().Address().Hex(), packet(53, 100), 403},
		{"agree without the gateway", nil, "POST", "/remote/v0/agree", []byte("{}"), 403},
		{"agree with a bad max price", mallory, "POST", "/remote/v0/agree", []byte(`{"max_price":"x"}`), 400},
		{"agree under the price", mallory, "POST", "/remote/v0/agree", []byte(`{"max_price":"1"}`), 409},
		{"end a non-agreement", mallory, "DELETE", "/remote/v0/agree", nil, 404},
		{"held of a bad address", nil, "GET", "/v0/held?client=x", nil, 400},
		{"find with a bad price", nil, "GET", "/v0/find?max_price=-1", nil, 400},
		{"find with a bad score", nil, "GET", "/v0/find?min_score=2", nil, 400},
		{"no delegates named", nil, "POST", "/v0/delegates", []byte(`{"peers":[]}`), 400},
		{"a delegate that is no peer ID", nil, "POST", "/v0/delegates", []byte(`{"peers":["x"]}`), 400},
		{"remove a non-delegate", nil, "DELETE", "/v0/delegates/nobody", nil, 404},
		{"unknown endpoint", nil, "GET", "/v0/nothing", nil, 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, b := d.call(tt.as, tt.method, tt.path, tt.body)
			if code != tt.code {
				t.Fatalf("answered %d %s, want %d", code, b, tt.code)
			}
			var e struct{ Error string }
			if json.Unmarshal(b, &e) != nil || e.Error == "" {
				t.Fatalf("no error message: %s", b)
			}
			after := d.fetch(client, 0)
			if len(after) != len(before) {
				t.Fatalf("held %d packets, had %d", len(after), len(before))
			}
		})
	}
	// Another sender still has room: the quota was the first sender's.
	d.mustHold(mallory, client, packet(60, 100))
	d.mustHold(mallory, client, packet(61, 100))
	// and the client's quota (5) is now full for everyone.
	if code, _ := d.hold(person(t, 6), client, packet(62, 100)); code != 507 {
		t.Fatalf("over the client's quota: %d", code)
	}
	// The other client's packets are its own.
	if hs := d.fetch(other, 0); len(hs) != 0 {
		t.Fatalf("another client fetched %d packets", len(hs))
	}
}

func mustID(p []byte) [32]byte {
	id, err := holdapi.PacketID(p)
	if err != nil {
		panic(err)
	}
	return id
}

// TestEndAgreement drops what is held and charges for it.
func TestEndAgreement(t *testing.T) {
	d := newDelegate(t, testOptions())
	client, sender := person(t, 2), person(t, 3)
	d.clockAt(time.UnixMilli(0))
	d.agree(client)
	d.mustHold(sender, client, packet(1, 100))
	d.clockAt(time.UnixMilli(3600_000))
	code, b := d.call(client, "DELETE", "/remote/v0/agree", nil)
	if code != 200 {
		t.Fatalf("end: %d %s", code, b)
	}
	var res holdapi.ReceivedResult
	json.Unmarshal(b, &res)
	if res.Charge != "3600" {
		t.Fatalf("charged %s, want 3600 (1 KiB for an hour)", res.Charge)
	}
	if code, _ := d.call(client, "GET", "/remote/v0/fetch", nil); code != 403 {
		t.Fatalf("fetch after the end: %d", code)
	}
}

func TestCharge(t *testing.T) {
	for _, tt := range []struct {
		price int64
		size  int
		held  time.Duration
		want  string
	}{
		{3600, 1024, time.Hour, "3600"},
		{3600, 1025, time.Hour, "7200"},
		{1, 1, time.Millisecond, "1"}, // rounded up to a base unit
		{1000, 100, 0, "0"},
		{1000, 100, -time.Hour, "0"},
	} {
		if got := holdapi.Charge(big.NewInt(tt.price), tt.size, tt.held).String(); got != tt.want {
			t.Errorf("Charge(%d, %d, %v) = %s, want %s", tt.price, tt.size, tt.held, got, tt.want)
		}
	}
}
