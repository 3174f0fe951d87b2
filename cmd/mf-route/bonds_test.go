package main

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/route"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/swap/swapapi"
)

// Commands of the scripts about agreed routing prices (mirror.txtar) and
// certified-delivery bonds (bonds.txtar).

// peerOf is the peer ID of the node in home.
func peerOf(ts *testscript.TestScript, home string) string {
	c, err := route.ReadCard(ts.MkAbs(home))
	ts.Check(err)
	return c.PeerID().String()
}

// waitbal HOME PEERHOME AMOUNT: wait up to 90s until HOME's mf-swap holds
// exactly AMOUNT base units as its balance with the node of PEERHOME.
func cmdWaitBal(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: waitbal HOME PEERHOME AMOUNT")
	}
	c := swapapi.NewClient(ts.MkAbs(args[0]))
	p := peerOf(ts, args[1])
	var last string
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		b, err := c.Balance(ctx, p)
		cancel()
		if err == nil && b.Balance == args[2] {
			return
		}
		last = fmt.Sprint(b, err)
	}
	ts.Fatalf("%s's balance with %s never came to %s: %s", args[0], args[1], args[2], last)
}

// scoresplit SELLER BUYER LOW HIGH: the seller's view of the buyer's
// credit score and the buyer's view of its own must differ; the seller's
// manifest then prices routing at LOW MFT per KiB for one of the two
// scores and HIGH for the other (a tier between them), so that a node
// pricing from its own view of the score books another figure than its
// peer.
func cmdScoreSplit(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: scoresplit SELLER BUYER LOW HIGH")
	}
	ctx := context.Background()
	seller, buyer := swapapi.NewClient(ts.MkAbs(args[0])), swapapi.NewClient(ts.MkAbs(args[1]))
	bst, err := buyer.Status(ctx)
	ts.Check(err)
	theirs, err := seller.Score(ctx, bst.Address)
	ts.Check(err)
	own, err := buyer.Score(ctx, bst.Address)
	ts.Check(err)
	if theirs.Score == own.Score {
		ts.Fatalf("the seller and the buyer see the buyer's score alike (%v)", own.Score)
	}
	low, err := amount.Parse(args[2])
	ts.Check(err)
	high, err := amount.Parse(args[3])
	ts.Check(err)
	base, tier := low, high
	if theirs.Score < own.Score {
		base, tier = high, low
	}
	mid := (theirs.Score + own.Score) / 2
	_, err = seller.SetManifest(ctx, swapapi.ManifestEntry{Service: "route", Price: base.String(), Tiers: []swapapi.Tier{{MinScore: mid, Price: tier.String()}}})
	ts.Check(err)
	ts.Logf("the seller sees the buyer at %.4f, the buyer itself at %.4f; tier at %.4f", theirs.Score, own.Score, mid)
}

// swapmirror H1 H2: wait up to 90s until the two nodes' balances with each
// other are exact mirror images (one is minus the other) and stay so for
// two seconds, and each side's terms for what it charges are the other's
// terms for what it pays, countersigned. MINSEQ, when given, is the
// least number of terms H1 must have set for H2.
func cmdSwapMirror(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 && len(args) != 3 {
		ts.Fatalf("usage: swapmirror H1 H2 [MINSEQ]")
	}
	minSeq := 1
	if len(args) == 3 {
		minSeq, _ = strconv.Atoi(args[2])
	}
	c1, c2 := swapapi.NewClient(ts.MkAbs(args[0])), swapapi.NewClient(ts.MkAbs(args[1]))
	p1, p2 := peerOf(ts, args[0]), peerOf(ts, args[1])
	var last string
	var since time.Time
	var lastPair [2]string
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		b1, err1 := c1.Balance(ctx, p2)
		b2, err2 := c2.Balance(ctx, p1)
		t1, err3 := c1.Terms(ctx, p2)
		t2, err4 := c2.Terms(ctx, p1)
		cancel()
		if err1 != nil || err2 != nil || err3 != nil || err4 != nil {
			last = fmt.Sprint(err1, err2, err3, err4)
			continue
		}
		v1, _ := new(big.Int).SetString(b1.Balance, 10)
		v2, _ := new(big.Int).SetString(b2.Balance, 10)
		last = fmt.Sprintf("%s says %s, %s says %s; %d and %d terms agreed", args[0], b1.Balance, args[1], b2.Balance, len(t1.Sell), len(t2.Sell))
		if v1 == nil || v2 == nil || new(big.Int).Add(v1, v2).Sign() != 0 ||
			!sameTerms(t1.Sell, t2.Buy) || !sameTerms(t2.Sell, t1.Buy) || len(t1.Sell) < minSeq {
			since = time.Time{}
			continue
		}
		pair := [2]string{b1.Balance, b2.Balance}
		if since.IsZero() || pair != lastPair {
			since, lastPair = time.Now(), pair
			continue
		}
		if time.Since(since) >= 2*time.Second {
			ts.Logf("mirror: %s", last)
			return
		}
	}
	ts.Fatalf("the balances are not mirror images: %s", last)
}

func sameTerms(a, b []swapapi.Terms) bool {
	if len(a) == 0 || len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] || a[i].BuyerSig == "" || a[i].SellerSig == "" {
			return false
		}
	}
	return true
}

// restartroute HOME [VAR=VALUE...]: stop HOME's mf-route daemon (SIGTERM)
// and start it again detached, with the variables added to its
// environment (a test-only fault such as MF_TEST_DROP_CERTIFIED=1).
func cmdRestartRoute(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 1 {
		ts.Fatalf("usage: restartroute HOME [VAR=VALUE...]")
	}
	home := ts.MkAbs(args[0])
	if b, err := os.ReadFile(filepath.Join(home, routeapi.PIDName)); err == nil {
		if pid, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil {
			_ = syscall.Kill(pid, syscall.SIGTERM)
			for i := 0; i < 400 && syscall.Kill(pid, 0) == nil; i++ {
				time.Sleep(25 * time.Millisecond)
			}
		}
	}
	bin, err := exec.LookPath("mf-route")
	ts.Check(err)
	logf, err := os.OpenFile(filepath.Join(home, "route.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	ts.Check(err)
	defer logf.Close()
	cmd := exec.Command(bin, "--home", home, "daemon")
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = append(os.Environ(), args[1:]...)
	ts.Check(cmd.Start())
	go cmd.Wait()
	for i := 0; i < 600; i++ {
		if _, err := status(home); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	ts.Fatalf("mf-route of %s did not come back", home)
}
