// Command mf-swap is a Mainframe node's SWAP accounting daemon and client.
package main

import (
	"os"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/swap/swapcmd"
)

func main() { os.Exit(swapcmd.Main(os.Args[1:], cli.System())) }
