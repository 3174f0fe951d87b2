package main

import (
	"testing"

	"github.com/mainframe/mf/pkg/chat/chatcmd"
	"github.com/mainframe/mf/pkg/cli"
)

// TestManPages fails when man/ does not match the commands. Regenerate with
// go run ./cmd/mf-chat gen-man man
func TestManPages(t *testing.T) {
	stale, err := cli.StaleManPages(chatcmd.NewRoot(cli.Streams{}), "../../man")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range stale {
		t.Errorf("man/%s; run: go run ./cmd/mf-chat gen-man man", s)
	}
}
