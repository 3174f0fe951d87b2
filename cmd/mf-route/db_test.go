package main

import (
	"context"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"

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
