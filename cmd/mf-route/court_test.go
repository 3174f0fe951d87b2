package main

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/ethereum/go-ethereum/accounts/abi/bind"
	"github.com/ethereum/go-ethereum/common"
	"github.com/ethereum/go-ethereum/ethclient"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/proof"
)

// replay HOME FROM TO: take the answer that won case FROM off the chain
// (the chunks and Merkle paths of its respond transaction, public to all)
// and send it, from HOME's account, as the answer to case TO: the replay
// attack of issue 10. The court's refusal goes to stderr; with ! the
// command expects it, without it expects the answer to be taken.
func cmdReplay(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: replay HOME FROM TO")
	}
	home := ts.MkAbs(args[0])
	from, ok1 := new(big.Int).SetString(args[1], 10)
	to, ok2 := new(big.Int).SetString(args[2], 10)
	if !ok1 || !ok2 {
		ts.Fatalf("replay: case ids are numbers")
	}
	cfg, err := config.Load(home)
	ts.Check(err)
	id, err := identity.Load(home, "")
	ts.Check(err)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	eth, err := ethclient.DialContext(ctx, cfg.Swap.EthRPC)
	ts.Check(err)
	defer eth.Close()
	court := common.HexToAddress(cfg.Court.Court)
	crt, err := chain.NewCourt(court, eth)
	ts.Check(err)

	it, err := crt.FilterVerdict(&bind.FilterOpts{Context: ctx}, []*big.Int{from}, nil, nil)
	ts.Check(err)
	if !it.Next() {
		ts.Fatalf("replay: case %s has no verdict", from)
	}
	tx, _, err := eth.TransactionByHash(ctx, it.Event.Raw.TxHash)
	ts.Check(err)
	it.Close()
	abi, err := chain.CourtMetaData.GetAbi()
	ts.Check(err)
	m, err := abi.MethodById(tx.Data()[:4])
	ts.Check(err)
	if m.Name != "respond" {
		ts.Fatalf("replay: case %s was decided by %s, not respond", from, m.Name)
	}
	in, err := m.Inputs.Unpack(tx.Data()[4:])
	ts.Check(err)
	chunks, paths := in[1].([][]byte), in[2].([][][32]byte)

	// The court takes no answer before the seed block is mined: wait for
	// it, so that what is refused is the answer itself.
	for {
		_, _, err := chain.Challenge(ctx, eth, court, to)
		if err == nil {
			break
		}
		if !errors.Is(err, chain.ErrSeedNotReady) {
			ts.Fatalf("replay: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	chainID, err := eth.ChainID(ctx)
	ts.Check(err)
	auth, err := bind.NewKeyedTransactorWithChainID(id.Key, chainID)
	ts.Check(err)
	auth.Context = ctx
	b := chain.WithGasMargin(eth)
	c, err := chain.NewCourt(court, b)
	ts.Check(err)
	sent, err := c.Respond(auth, to, chunks, paths)
	if err == nil {
		_, err = chain.Wait(ctx, b, sent)
	}
	if err != nil {
		fmt.Fprintf(ts.Stderr(), "replaying case %s's answer (%d chunks) in case %s: %v\n", from, len(chunks), to, err)
		if !neg {
			ts.Fatalf("replay refused: %v", err)
		}
		return
	}
	if neg {
		ts.Fatalf("the court took case %s's answer in case %s", from, to)
	}
}

// corruptdata HOME: flip a byte in every chunk of the data HOME's
// mf-court keeps for its promises, as a failing disk or a provider that
// kept something else would. Stop HOME's mf-court first (its database is
// locked while it runs).
func cmdCorruptData(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: corruptdata HOME")
	}
	dir := filepath.Join(ts.MkAbs(args[0]), "data", "court")
	db, err := kv.Open(dir)
	// The daemon was killed just before; its lock goes with it. If another
	// process still holds it, say which: a second daemon on one home is a
	// bug worth seeing, not a wait to lengthen.
	for i := 0; i < 100 && errors.Is(err, kv.ErrLocked); i++ {
		time.Sleep(100 * time.Millisecond)
		db, err = kv.Open(dir)
	}
	if errors.Is(err, kv.ErrLocked) {
		ts.Fatalf("corruptdata: %v; processes with it open: %s", err, holders(dir))
	}
	ts.Check(err)
	defer db.Close()
	bad := map[string][]byte{}
	ts.Check(db.Scan([]byte("promise/"), func(k, v []byte) error {
		b := append([]byte(nil), v...)
		for i := 0; i < len(b); i += proof.ChunkSize {
			b[i] ^= 0xff
		}
		bad[string(k)] = b
		return nil
	}))
	if len(bad) == 0 {
		ts.Fatalf("corruptdata: %s keeps no promised data", args[0])
	}
	for k, v := range bad {
		ts.Check(db.Set([]byte(k), v))
	}
}

// holders lists the command lines of the processes with a file under dir
// open (from /proc), for a failure message.
func holders(dir string) string {
	var out []string
	fds, _ := filepath.Glob("/proc/[0-9]*/fd/*")
	seen := map[string]bool{}
	for _, fd := range fds {
		target, err := os.Readlink(fd)
		if err != nil || !strings.HasPrefix(target, dir) {
			continue
		}
		proc := filepath.Dir(filepath.Dir(fd))
		if seen[proc] {
			continue
		}
		seen[proc] = true
		cmd, _ := os.ReadFile(filepath.Join(proc, "cmdline"))
		out = append(out, fmt.Sprintf("%s: %s", filepath.Base(proc), strings.ReplaceAll(string(cmd), "\x00", " ")))
	}
	if len(out) == 0 {
		return "none found"
	}
	return strings.Join(out, "; ")
}
