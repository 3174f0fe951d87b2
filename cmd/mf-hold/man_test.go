package main

import (
	"testing"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/hold/holdcmd"
)

// TestManPages fails when man/ does not match the commands. Regenerate with
// go run ./cmd/mf-hold gen-man man
func TestManPages(t *testing.T) {
	stale, err := cli.StaleManPages(holdcmd.NewRoot(cli.Streams{}), "../../man")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stale {
		t.Errorf("man/%s; run: go run ./cmd/mf-hold gen-man man", s)
	}
}
