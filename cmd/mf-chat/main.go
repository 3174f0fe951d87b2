// Command mf-chat is a Mainframe node's terminal messenger.
package main

import (
	"os"

	"github.com/mainframe/mf/pkg/chat/chatcmd"
	"github.com/mainframe/mf/pkg/cli"
)

func main() { os.Exit(chatcmd.Main(os.Args[1:], cli.System())) }
