package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mainframe/mf/pkg/db"
	"github.com/mainframe/mf/pkg/db/dbapi"
)

// restartdb HOME: start HOME's mf-db daemon again (after killnode -db) and
// wait until it answers.
func cmdRestartDB(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: restartdb HOME")
	}
	home := ts.MkAbs(args[0])
	restartDaemon(ts, "mf-db", dbapi.PIDName, home, func() error {
		_, err := dbapi.NewClient(home).Status(context.Background())
		return err
	})
}

// lastfield VAR: set VAR to the last tab-separated field of the last line
// of stdout (the version a watch printed last).
func cmdLastField(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: lastfield VAR")
	}
	lines := strings.Split(strings.TrimSpace(ts.ReadFile("stdout")), "\n")
	f := strings.Split(lines[len(lines)-1], "\t")
	ts.Setenv(args[0], f[len(f)-1])
}

// storedrows HOME DATASET: print the value of every change HOME's mf-db
// holds for DATASET, read straight from its Pebble database (the daemon
// must be stopped: Pebble locks its directory), one per line as Go quoted
// text. It is what the provider itself can see of the rows.
func cmdStoredRows(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: storedrows HOME DATASET")
	}
	id, err := dbapi.ParseID(args[1])
	ts.Check(err)
	e, err := db.Open(filepath.Join(ts.MkAbs(args[0]), "data", "db"))
	ts.Check(err)
	defer e.Close()
	cs, err := e.Missing(id, nil, 0)
	ts.Check(err)
	for _, c := range cs {
		fmt.Fprintf(ts.Stdout(), "%s %q\n", c.Key, c.Value)
	}
}

// lower VAR TEXT: set VAR to TEXT in lower case (an address as a network
// table's self rule wants its key).
func cmdLower(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: lower VAR TEXT")
	}
	ts.Setenv(args[0], strings.ToLower(args[1]))
}
