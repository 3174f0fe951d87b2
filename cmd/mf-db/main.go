// Command mf-db is a Mainframe node's data service: datasets with an
// owner-signed ACL, signed rows, queries and subscriptions.
package main

import (
	"os"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/db/dbcmd"
)

func main() { os.Exit(dbcmd.Main(os.Args[1:], cli.System())) }
