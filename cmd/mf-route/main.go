// Command mf-route is a Mainframe node's network daemon and its client.
package main

import (
	"os"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/route/routecmd"
)

func main() { os.Exit(routecmd.Main(os.Args[1:], cli.System())) }
