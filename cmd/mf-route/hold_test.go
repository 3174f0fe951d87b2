package main

import (
	"context"
	"path/filepath"
	"slices"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/kv"
)

// drophold HOME: as a delegate that drops what it signed for would, delete
// every packet HOME's mf-hold holds, straight from its Pebble database
// (the packet records only: its index still says it holds them, as a
// careless or lying delegate's would; the daemon must be stopped).
func cmdDropHold(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: drophold HOME")
	}
	d, err := kv.Open(filepath.Join(ts.MkAbs(args[0]), "data", "hold"))
	ts.Check(err)
	defer d.Close()
	var todo [][]byte
	ts.Check(d.Scan([]byte("p/"), func(k, _ []byte) error {
		todo = append(todo, slices.Clone(k))
		return nil
	}))
	if len(todo) == 0 {
		ts.Fatalf("no packet held")
	}
	for _, k := range todo {
		ts.Check(d.Delete(k))
	}
}

// restarthold HOME: start HOME's mf-hold daemon again (after killnode
// -hold) and wait until it answers.
func cmdRestartHold(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: restarthold HOME")
	}
	home := ts.MkAbs(args[0])
	restartDaemon(ts, "mf-hold", holdapi.PIDName, home, func() error {
		_, err := holdapi.NewClient(home).Status(context.Background())
		return err
	})
}
