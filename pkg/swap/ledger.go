package swap

import (
	"errors"
	"fmt"
	"math/big"
	"strings"
	"sync"

	"github.com/mainframe/mf/pkg/kv"
)

// Key layout of mf-swap's Pebble database ($MF_HOME/data/swap):
//
//	bal/<peer id>        signed balance in base units: positive means the
//	                     peer owes this node, negative that this node owes it
//	usage/epoch          the mf-route epoch the counters below belong to
//	usage/p/<peer id>    "in,out": mf-route's byte counters last priced
//	addr/<peer id>       the peer's Ethereum address, as mf-route reports it
//	chq/in/<peer id>     the best cheque received from the peer (binary)
//	chq/out/<peer id>    the last cheque issued to the peer (binary)
//	bounced/<peer id>    what of the peer's cheques bounced when cashed here
//	booked/<checkbook>   the highest cumulative payout booked from a
//	                     checkbook, whichever peer presented it
//	manifest/<service>   this node's price manifest for a service (JSON)
//	terms/sell/<peer id> the routing terms this node set for the peer, and
//	terms/buy/<peer id>  the peer's for this node (JSON schedules, terms.go)
//	traffic/<peer id>    bytes counted with the peer since peering, and what
//	                     of them is booked (JSON, terms.go)
//	bondcursor           the last bond event of mf-route read (bonds.go)
//	bondbk/<packet>/<in|out>/<peer id>  a certified packet's link, booked
//
// What was cashed is not kept here: the checkbook's paidOut on chain is
// the record.
//
// Every change that moves money is one synced batch: a balance never moves
// without the cheque that explains it, so a SIGKILL at any point leaves a
// consistent ledger.
type ledger struct {
	db *kv.DB
	mu sync.Mutex
}

func balKey(peer string) []byte { return []byte("bal/" + peer) }

func getInt(db *kv.DB, key []byte) (*big.Int, error) {
	b, err := db.Get(key)
	if errors.Is(err, kv.ErrNotFound) {
		return new(big.Int), nil
	}
	if err != nil {
		return nil, err
	}
	v, ok := new(big.Int).SetString(string(b), 10)
	if !ok {
		return nil, fmt.Errorf("swap: damaged number at %s", key)
	}
	return v, nil
}

// balance returns what peer owes this node (negative: what this node owes).
func (l *ledger) balance(peer string) (*big.Int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return getInt(l.db, balKey(peer))
}

// balances returns every peer's balance.
func (l *ledger) balances() (map[string]*big.Int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string]*big.Int{}
	err := l.db.Scan([]byte("bal/"), func(k, v []byte) error {
		n, ok := new(big.Int).SetString(string(v), 10)
		if ok {
			out[string(k[len("bal/"):])] = n
		}
		return nil
	})
	return out, err
}

// update applies fn to the ledger inside one synced batch: fn gets the
// current balance of peer and returns the new one plus extra writes.
func (l *ledger) update(peer string, fn func(bal *big.Int, b *kv.Batch) (*big.Int, error)) (*big.Int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	bal, err := getInt(l.db, balKey(peer))
	if err != nil {
		return nil, err
	}
	b := l.db.NewBatch()
	nb, err := fn(bal, b)
	if err != nil {
		return nil, err
	}
	b.Set(balKey(peer), []byte(nb.String()))
	if err := b.Commit(); err != nil {
		return nil, err
	}
	return nb, nil
}

// usageCounters reads the last priced counters of every peer for epoch.
func (l *ledger) usageCounters(epoch int64) (map[string][2]uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[string][2]uint64{}
	b, err := l.db.Get([]byte("usage/epoch"))
	if err != nil || string(b) != fmt.Sprint(epoch) {
		return out, nil // another run of mf-route: counting starts again
	}
	err = l.db.Scan([]byte("usage/p/"), func(k, v []byte) error {
		var in, outB uint64
		if _, err := fmt.Sscanf(string(v), "%d,%d", &in, &outB); err == nil {
			out[strings.TrimPrefix(string(k), "usage/p/")] = [2]uint64{in, outB}
		}
		return nil
	})
	return out, err
}
