// Command mf-court is a Mainframe node's swear-and-swindle agent.
package main

import (
	"os"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/court/courtcmd"
)

func main() { os.Exit(courtcmd.Main(os.Args[1:], cli.System())) }
