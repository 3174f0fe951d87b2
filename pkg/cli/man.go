package cli

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// manDate is fixed so that generated pages only change when commands do.
var manDate = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// GenMan writes one man page per command of root into dir.
func GenMan(root *cobra.Command, dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	hdr := &doc.GenManHeader{Title: "", Section: "1", Source: "mf", Manual: "mf manual", Date: &manDate}
	return doc.GenManTree(root, hdr, dir)
}

// ManCommand is the hidden `gen-man DIR` command that regenerates man pages.
func ManCommand(root *cobra.Command) *cobra.Command {
	return &cobra.Command{
		Use:    "gen-man DIR",
		Short:  "Write man pages for every command into DIR",
		Hidden: true,
		Args:   ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return GenMan(root, args[0])
		},
	}
}

// StaleManPages compares the pages root generates with those in manDir and
// lists what differs: stale or missing pages, and pages no command makes
// any more. Each binary's man test calls it.
func StaleManPages(root *cobra.Command, manDir string) ([]string, error) {
	tmp, err := os.MkdirTemp("", "man")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	if err := GenMan(root, tmp); err != nil {
		return nil, err
	}
	prefix := root.Name()
	gen, _ := filepath.Glob(filepath.Join(tmp, prefix+"*.1"))
	if len(gen) == 0 {
		return nil, errors.New("cli: no man pages generated")
	}
	var stale []string
	made := map[string]bool{}
	for _, g := range gen {
		name := filepath.Base(g)
		made[name] = true
		want, _ := os.ReadFile(g)
		got, err := os.ReadFile(filepath.Join(manDir, name))
		if err != nil || !bytes.Equal(got, want) {
			stale = append(stale, name+" is stale or missing")
		}
	}
	have, _ := filepath.Glob(filepath.Join(manDir, prefix+"-*.1"))
	for _, h := range append(have, filepath.Join(manDir, prefix+".1")) {
		if name := filepath.Base(h); !made[name] {
			stale = append(stale, name+" is made by no command")
		}
	}
	return stale, nil
}
