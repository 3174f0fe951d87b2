// Command mf-store keeps files in a Mainframe network: chunked, encrypted,
// spread over the nearest storers, paid on retrieval and proven in court.
package main

import (
	"os"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/store/storecmd"
)

func main() { os.Exit(storecmd.Main(os.Args[1:], cli.System())) }
