package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/court/courtcmd"
)

// TestManPages fails when man/ does not match the commands. Regenerate with
// go run ./cmd/mf-court gen-man man
func TestManPages(t *testing.T) {
	dir := t.TempDir()
	if err := cli.GenMan(courtcmd.NewRoot(cli.Streams{}), dir); err != nil {
		t.Fatal(err)
	}
	gen, _ := filepath.Glob(filepath.Join(dir, "mf-court*.1"))
	if len(gen) == 0 {
		t.Fatal("no pages generated")
	}
	for _, g := range gen {
		want, _ := os.ReadFile(g)
		got, err := os.ReadFile(filepath.Join("..", "..", "man", filepath.Base(g)))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("man/%s is stale or missing; run: go run ./cmd/mf-court gen-man man", filepath.Base(g))
		}
	}
	have, _ := filepath.Glob(filepath.Join("..", "..", "man", "mf-court*.1"))
	if len(have) != len(gen) {
		t.Errorf("man/ has %d mf-court pages, the commands make %d; run: go run ./cmd/mf-court gen-man man", len(have), len(gen))
	}
}
