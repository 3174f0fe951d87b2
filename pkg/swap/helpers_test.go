package swap

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime/pprof"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/core/types"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/chaindir"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/devchain"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// Every test in this package runs against one embedded development chain
// (pkg/devchain: go-ethereum in process, a block per transaction), started
// on first use and shared, so the whole package stays well under a minute.
// Nothing about the chain is mocked: checkbooks are deployed by the factory,
// cheques are cashed by real transactions and balances are read back with
// the MFT binding.
var (
	chainOnce sync.Once
	devChain  *devchain.Chain
	devInfo   *chaindir.Info
	devErr    error
)

func TestMain(m *testing.M) {
	if os.Getenv(crashHelperEnv) != "" {
		crashHelper() // never returns: the parent test kills it
	}
	code := m.Run()
	if devChain != nil {
		closed := make(chan struct{})
		go func() { devChain.Close(); close(closed) }()
		select {
		case <-closed:
		case <-time.After(20 * time.Second):
			// Seen once: report it, with what was running, and exit
			// rather than hang until go test's kill.
			fmt.Fprintln(os.Stderr, "swap tests: the development chain did not close within 20s; its goroutines:")
			_ = pprof.Lookup("goroutine").WriteTo(os.Stderr, 1)
		}
		os.RemoveAll(devChain.Dir)
	}
	os.Exit(code)
}

// testChain starts (once) and returns the shared development chain, with
// MFT and the checkbook factory deployed.
func testChain(tb testing.TB) (*devchain.Chain, *chaindir.Info) {
	tb.Helper()
	chainOnce.Do(func() {
		// Short: the IPC socket lives inside it.
		dir, err := os.MkdirTemp("", "sw")
		if err != nil {
			devErr = err
			return
		}
		c, err := devchain.Start(devchain.Options{Dir: dir})
		if err != nil {
			os.RemoveAll(dir)
			devErr = err
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		info, err := c.Setup(ctx)
		if err != nil {
			c.Close()
			os.RemoveAll(dir)
			devErr = err
			return
		}
		devChain, devInfo = c, info
	})
	if devErr != nil {
		tb.Fatalf("development chain: %v", devErr)
	}
	return devChain, devInfo
}

func testCtx(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	tb.Cleanup(cancel)
	return ctx
}

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

// mft is n whole MFT in base units.
func mft(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), amount.Unit) }

// milli is n thousandths of an MFT.
func milli(n int64) *big.Int { return new(big.Int).Mul(big.NewInt(n), big.NewInt(1e15)) }

// testNode is one mf-swap Service with its own identity, database and
// (short) home directory, whose address holds ether and MFT.
type testNode struct {
	*Service
	t     testing.TB
	id    *identity.Identity
	peer  string // its peer ID, as mf-route names it to others
	home  string // route socket (route.sock) and the database (db)
	cfg   config.Swap
	route *fakeRoute
}

// walletMFT is what every test node's wallet starts with.
var walletMFT = mft(20)

// funded holds identities whose addresses already hold 1 ETH and
// walletMFT. devchain.Faucet funds one address at a time and waits for
// each of its two transactions (a second each, go-ethereum's receipt
// polling); funding a batch with consecutive nonces and waiting once keeps
// the package's tests fast.
var funded struct {
	sync.Mutex
	ids []*identity.Identity
}

func fundedIdentity(tb testing.TB) *identity.Identity {
	tb.Helper()
	funded.Lock()
	defer funded.Unlock()
	if len(funded.ids) == 0 {
		var addrs []common.Address
		for range 8 {
			id, err := identity.Generate()
			if err != nil {
				tb.Fatal(err)
			}
			funded.ids = append(funded.ids, id)
			addrs = append(addrs, id.Public().Address())
		}
		if err := fundAll(testCtx(tb), addrs); err != nil {
			funded.ids = nil
			tb.Fatalf("funding test nodes: %v", err)
		}
	}
	id := funded.ids[0]
	funded.ids = funded.ids[1:]
	return id
}

// fundAll does what devchain.Faucet does for each address (1 ETH for gas,
// walletMFT minted by the faucet, the token's minter), sending every
// transaction before waiting for any.
func fundAll(ctx context.Context, addrs []common.Address) error {
	c, info := devChain, devInfo
	client := c.Client()
	auth := c.FaucetAuth()
	auth.Context = ctx
	nonce, err := client.PendingNonceAt(ctx, auth.From)
	if err != nil {
		return err
	}
	tok, err := chain.NewMFT(common.HexToAddress(info.Token), client)
	if err != nil {
		return err
	}
	tip, err := client.SuggestGasTipCap(ctx)
	if err != nil {
		return err
	}
	head, err := client.HeaderByNumber(ctx, nil)
	if err != nil {
		return err
	}
	feeCap := new(big.Int).Add(tip, new(big.Int).Mul(head.BaseFee, big.NewInt(2)))
	var txs []*types.Transaction
	for _, a := range addrs {
		to := a
		tx, err := types.SignTx(types.NewTx(&types.DynamicFeeTx{ChainID: c.ChainID, Nonce: nonce, GasTipCap: tip, GasFeeCap: feeCap,
			Gas: 21000, To: &to, Value: amount.Unit}), types.LatestSignerForChainID(c.ChainID), c.Faucet)
		if err != nil {
			return err
		}
		if err := client.SendTransaction(ctx, tx); err != nil {
			return err
		}
		auth.Nonce = new(big.Int).SetUint64(nonce + 1)
		mint, err := tok.Mint(auth, a, walletMFT)
		if err != nil {
			return err
		}
		nonce += 2
		txs = append(txs, tx, mint)
	}
	for _, tx := range txs {
		if _, err := chain.Wait(ctx, client, tx); err != nil {
			return err
		}
	}
	return nil
}

// newNode starts a Service for a fresh identity whose wallet holds 1 ETH
// and walletMFT; it deploys its checkbook through the factory. edit, if
// not nil, changes the [swap] section first.
func newNode(tb testing.TB, edit func(*config.Swap)) *testNode {
	tb.Helper()
	_, info := testChain(tb)
	id := fundedIdentity(tb)
	home, err := os.MkdirTemp("", "sn")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { os.RemoveAll(home) })
	cfg := config.Swap{
		EthRPC: info.IPC, Token: info.Token, Factory: info.Factory,
		PricePerKiB: "1wei", PaymentThreshold: "1", DisconnectThreshold: "2", CashThreshold: "0.5",
		NoticeSeconds: 3600, Pay: true,
	}
	if edit != nil {
		edit(&cfg)
	}
	n := &testNode{t: tb, id: id, peer: id.Public().PeerID().String(), home: home, cfg: cfg}
	n.start()
	tb.Cleanup(n.stop)
	return n
}

// start opens the node's database and builds its Service, as the daemon
// does at start.
func (n *testNode) start() {
	n.t.Helper()
	set, err := ParseSettings(n.cfg)
	if err != nil {
		n.t.Fatal(err)
	}
	db, err := kv.Open(filepath.Join(n.home, "db"))
	if err != nil {
		n.t.Fatal(err)
	}
	s, err := NewService(testCtx(n.t), n.id.Key, n.cfg.EthRPC, set, db, routeapi.NewClient(n.home), quiet)
	if err != nil {
		db.Close()
		n.t.Fatal(err)
	}
	n.Service = s
}

// stop closes the Service and its database.
func (n *testNode) stop() {
	if n.Service == nil {
		return
	}
	n.Service.Close()
	n.db.Close()
	n.Service = nil
}

// restart closes and reopens the database and builds a new Service over it.
func (n *testNode) restart() {
	n.t.Helper()
	n.stop()
	n.start()
}

// mftOf reads an address's MFT balance on chain.
func mftOf(tb testing.TB, a common.Address) *big.Int {
	tb.Helper()
	c, info := testChain(tb)
	tok, err := chain.NewMFT(common.HexToAddress(info.Token), c.Client())
	if err != nil {
		tb.Fatal(err)
	}
	v, err := tok.BalanceOf(&bind.CallOpts{Context: testCtx(tb)}, a)
	if err != nil {
		tb.Fatal(err)
	}
	return v
}

// deposit moves amount from the node's wallet into its checkbook through
// POST /v0/deposit.
func (n *testNode) deposit(amount *big.Int) {
	n.t.Helper()
	if code, body := n.do(http.MethodPost, "/v0/deposit", nil, fmt.Sprintf(`{"amount":%q}`, amount.String())); code != http.StatusOK {
		n.t.Fatalf("deposit %s: %d %s", amount, code, body)
	}
}

// do sends one request to the node's Handler and returns the status and
// body.
func (n *testNode) do(method, path string, hdr http.Header, body string) (int, string) {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	req := httptest.NewRequest(method, path, r).WithContext(ctx)
	for k, v := range hdr {
		req.Header[k] = v
	}
	w := httptest.NewRecorder()
	n.Handler().ServeHTTP(w, req)
	return w.Code, w.Body.String()
}

// peerHeaders are the headers mf-route's gateway sets on a request from
// the node n to a peer's service.
func (n *testNode) peerHeaders() http.Header {
	h := http.Header{}
	h.Set(routeapi.HeaderPeerID, n.peer)
	h.Set(routeapi.HeaderPeerAddress, n.self.Hex())
	return h
}

func (n *testNode) bal(peer string) *big.Int {
	n.t.Helper()
	b, err := n.led.balance(peer)
	if err != nil {
		n.t.Fatal(err)
	}
	return b
}

// dump is the node's whole database, to show that something changed
// nothing.
func (n *testNode) dump() map[string]string {
	n.t.Helper()
	out := map[string]string{}
	if err := n.db.Scan(nil, func(k, v []byte) error {
		out[string(k)] = string(v)
		return nil
	}); err != nil {
		n.t.Fatal(err)
	}
	return out
}

func sameDump(tb testing.TB, what string, before, after map[string]string) {
	tb.Helper()
	for k, v := range before {
		if after[k] != v {
			tb.Errorf("%s changed %s: %q → %q", what, k, v, after[k])
		}
	}
	for k, v := range after {
		if _, ok := before[k]; !ok {
			tb.Errorf("%s added %s = %q", what, k, v)
		}
	}
}

// fakeRoute stands in for mf-route on a node's route socket: its gateway
// (/v0/call/{peer}/swap/...) hands the request to the named peer's
// Handler under /remote/, with the X-Mf-Peer-* headers of the caller, as
// the real gateway does over the network; /v0/usage and /v0/blocks are
// recorded. answer, if set, replaces the peer's answer (a misbehaving
// peer).
type fakeRoute struct {
	mu     sync.Mutex
	from   *testNode
	peers  map[string]*testNode
	usage  routeapi.Usage
	blocks map[string]bool
	answer func(path string) (int, any)
}

// serveRoute starts a fakeRoute for n that reaches peers.
func (n *testNode) serveRoute(peers ...*testNode) *fakeRoute {
	n.t.Helper()
	fr := &fakeRoute{from: n, peers: map[string]*testNode{}, blocks: map[string]bool{}}
	for _, p := range peers {
		fr.peers[p.peer] = p
	}
	ln, err := localapi.Listen(routeapi.SocketPath(n.home))
	if err != nil {
		n.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = localapi.Serve(ctx, ln, fr) }()
	n.t.Cleanup(func() { cancel(); <-done })
	n.route = fr
	return fr
}

func (fr *fakeRoute) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	fr.mu.Lock()
	defer fr.mu.Unlock()
	switch {
	case r.URL.Path == "/v0/usage":
		localapi.WriteJSON(w, fr.usage)
	case r.URL.Path == "/v0/blocks":
		var br routeapi.BlockRequest
		if err := localapi.DecodeBody(w, r, &br, localapi.MaxBody); err != nil {
			localapi.WriteError(w, err)
			return
		}
		fr.blocks[br.Peer] = br.Blocked
		localapi.WriteJSON(w, struct{}{})
	case strings.HasPrefix(r.URL.Path, "/v0/call/"):
		parts := strings.SplitN(strings.TrimPrefix(r.URL.Path, "/v0/call/"), "/", 3)
		if len(parts) != 3 || parts[1] != "swap" {
			localapi.WriteError(w, localapi.NotFound("no service at %s", r.URL.Path))
			return
		}
		if fr.answer != nil {
			code, v := fr.answer("/" + parts[2])
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(code)
			_ = json.NewEncoder(w).Encode(v)
			return
		}
		p := fr.peers[parts[0]]
		if p == nil {
			localapi.WriteError(w, localapi.Errorf(http.StatusBadGateway, "unreachable", "peer %s unreachable", parts[0]))
			return
		}
		body, _ := io.ReadAll(r.Body)
		req := httptest.NewRequest(r.Method, "/remote/"+parts[2], bytes.NewReader(body)).WithContext(r.Context())
		req.Header = fr.from.peerHeaders()
		p.Handler().ServeHTTP(w, req)
	default:
		localapi.WriteError(w, localapi.NotFound("no endpoint %s", r.URL.Path))
	}
}

// apiError decodes an error body and checks that it is a 4xx with a JSON
// {error, code}.
func apiError(tb testing.TB, what string, code int, body string) localapi.Error {
	tb.Helper()
	var e localapi.Error
	if code < 400 || code > 499 {
		tb.Errorf("%s: status %d, want 4xx (body %s)", what, code, body)
	}
	if err := json.Unmarshal([]byte(body), &e); err != nil || e.Message == "" || e.Code == "" {
		tb.Errorf("%s: body %q is not a JSON {error, code}", what, body)
	}
	return e
}
