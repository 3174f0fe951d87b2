package cli

import (
	"os"
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
