// Command mf-hold holds packets for nodes that are offline: delegates paid
// for the time they hold them and staked in court for what they sign for.
package main

import (
	"os"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/hold/holdcmd"
)

func main() { os.Exit(holdcmd.Main(os.Args[1:], cli.System())) }
