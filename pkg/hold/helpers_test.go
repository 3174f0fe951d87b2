package hold

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// person is a deterministic identity.
func person(t testing.TB, b byte) *identity.Identity {
	t.Helper()
	raw := make([]byte, 32)
	raw[0], raw[31] = 0x30, b
	k, err := crypto.ToECDSA(raw)
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.FromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

// packet is a well-formed sealed data packet (its body is noise to the
// delegate, as a real one is): n bytes of body, numbered i.
func packet(i int, n int) []byte {
	b := []byte{2, 0, 16, 1, 0, 0xab, 1, 2, 3, 4}
	b = append(b, make([]byte, 32)...)
	b = binary.AppendUvarint(b, uint64(n))
	body := make([]byte, n)
	binary.BigEndian.PutUint64(body, uint64(i))
	return append(b, body...)
}

// delegate is a Service on a temporary database, without the other
// daemons (no stake, nothing booked with mf-swap yet).
type delegate struct {
	*Service
	as  *identity.Identity // whose node it is (person 1 unless newDelegateAs)
	dir string
	db  *kv.DB
	h   http.Handler
	t   testing.TB
}

func testOptions() Options {
	o := DefaultOptions()
	o.Stake = new(big.Int)
	o.Price = big.NewInt(3600)
	return o
}

func newDelegate(t testing.TB, o Options) *delegate {
	t.Helper()
	return newDelegateAs(t, person(t, 1), o)
}

// newDelegateAs is newDelegate on id's node.
func newDelegateAs(t testing.TB, id *identity.Identity, o Options) *delegate {
	t.Helper()
	dir := t.TempDir()
	d := &delegate{dir: dir, t: t, as: id}
	d.open(o)
	return d
}

func (d *delegate) open(o Options) {
	if d.db != nil {
		d.db.Close()
	}
	db, err := kv.Open(filepath.Join(d.dir, "data", "hold"))
	if err != nil {
		d.t.Fatal(err)
	}
	d.db = db
	d.t.Cleanup(func() {
		if d.db == db {
			db.Close()
		}
	})
	s, err := newService(d.dir, d.as, db, o, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		d.t.Fatal(err)
	}
	d.Service, d.h = s, s.Handler()
}

// call makes a request as peer p (nil: a local call, no gateway headers).
func (d *delegate) call(p *identity.Identity, method, path string, body []byte) (int, []byte) {
	req := httptest.NewRequest(method, path, bytes.NewReader(body))
	if body != nil && len(body) > 0 && body[0] != '{' {
		req.Header.Set("Content-Type", "application/octet-stream")
	} else {
		req.Header.Set("Content-Type", "application/json")
	}
	if p != nil {
		req.Header.Set(routeapi.HeaderPeerID, p.Public().PeerID().String())
		req.Header.Set(routeapi.HeaderPeerAddress, p.Public().Address().Hex())
	}
	w := httptest.NewRecorder()
	d.h.ServeHTTP(w, req)
	return w.Code, w.Body.Bytes()
}

func (d *delegate) agree(c *identity.Identity) holdapi.Agreement {
	d.t.Helper()
	code, b := d.call(c, "POST", "/remote/v0/agree", []byte("{}"))
	if code != 200 {
		d.t.Fatalf("agree: %d %s", code, b)
	}
	var ag holdapi.Agreement
	if err := json.Unmarshal(b, &ag); err != nil {
		d.t.Fatal(err)
	}
	return ag
}

func (d *delegate) hold(sender, client *identity.Identity, p []byte) (int, []byte) {
	return d.call(sender, "POST", "/remote/v0/hold/"+client.Public().Address().Hex(), p)
}

func (d *delegate) mustHold(sender, client *identity.Identity, p []byte) *holdapi.Receipt {
	d.t.Helper()
	code, b := d.hold(sender, client, p)
	if code != 200 {
		d.t.Fatalf("hold: %d %s", code, b)
	}
	var rc holdapi.Receipt
	if err := json.Unmarshal(b, &rc); err != nil {
		d.t.Fatal(err)
	}
	return &rc
}

func (d *delegate) fetch(c *identity.Identity, after uint64) []holdapi.Held {
	d.t.Helper()
	code, b := d.call(c, "GET", "/remote/v0/fetch?after="+itoa(after), nil)
	if code != 200 {
		d.t.Fatalf("fetch: %d %s", code, b)
	}
	hs, err := holdapi.DecodeHeld(b)
	if err != nil {
		d.t.Fatal(err)
	}
	return hs
}

func itoa(v uint64) string { return big.NewInt(0).SetUint64(v).String() }

// clockAt makes the service's clock a settable one.
func (d *delegate) clockAt(t time.Time) *time.Time {
	now := t
	d.now = func() time.Time { return now }
	return &now
}
