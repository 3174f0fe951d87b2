package route

import (
	"crypto/rand"
	"crypto/sha256"
	mathrand "math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/crypto"

	"github.com/mainframe/mf/pkg/identity"
)

// Fuzz targets build their seeds with real keys and real sealing, which draw
// on crypto/rand. The fuzzing engine runs each target in several processes
// (a coordinator and its workers), each building the seeds again: random
// seeds differ from process to process, so a worker can be handed a seed it
// would not have made, and a target that checks "only my own seed opens"
// fails on it. Seeds are therefore built from fixed identities
// (seededIdentity), under a fixed crypto/rand and clock (deterministicSeeds).

// deterministicSeeds replaces crypto/rand.Reader and the clock with fixed
// ones, seeded by the target's name, until the returned function is called:
// call it before building seeds, and the returned function before f.Fuzz.
// crypto/rand.Read, seal's keys and nonces read the replaced Reader; key
// generation in the crypto packages ignores it, hence seededIdentity. Like
// testing/cryptotest.SetGlobalRandom (which needs a *testing.T), it changes
// the whole process, so it must not run beside parallel tests; fuzz targets
// run after them.
func deterministicSeeds(f *testing.F) (restore func()) {
	var seed [32]byte
	copy(seed[:], f.Name())
	prevReader, prevNow := rand.Reader, nowFunc
	rand.Reader = &lockedReader{r: mathrand.NewChaCha8(seed)}
	nowFunc = func() time.Time { return time.UnixMilli(1_700_000_000_000) }
	return func() { rand.Reader, nowFunc = prevReader, prevNow }
}

type lockedReader struct {
	mu sync.Mutex
	r  *mathrand.ChaCha8
}

func (l *lockedReader) Read(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(b)
}

// seededIdentity is an identity derived from name, the same in every process.
func seededIdentity(t testing.TB, name string) *identity.Identity {
	t.Helper()
	h := sha256.Sum256([]byte("mf route fuzz seed " + name))
	k, err := crypto.ToECDSA(h[:])
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.FromKey(k)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
