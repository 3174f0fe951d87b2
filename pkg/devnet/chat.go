package devnet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/mainframe/mf/pkg/chat/chatapi"
)

// chatBin finds mf-chat: o.ChatBin, else beside mf-route (make build puts
// them together in bin/); "" when there is none, and the devnet runs
// without chat. $PATH is not searched, so that a devnet started from a
// binary built alone does not pick up an mf-chat of another build.
// (--no-chat, or MF_NO_CHAT=1, leaves chat out where mf-chat is there.)
func chatBin(o Options) string {
	if o.ChatBin != "" {
		return o.ChatBin
	}
	if bin := filepath.Join(filepath.Dir(o.Bin), "mf-chat"); fileExists(bin) {
		return bin
	}
	return ""
}

func fileExists(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir()
}

// startChat starts every node's mf-chat daemon, unless o.NoChat.
func startChat(ctx context.Context, o Options, st *State) error {
	if o.NoChat {
		return nil
	}
	bin := chatBin(o)
	if bin == "" {
		fmt.Fprintln(o.Out, "mf-chat is not beside mf-route: the nodes run without it")
		return nil
	}
	for _, n := range st.Nodes {
		err := launch(ctx, bin, []string{"--home", n.Home, "daemon"}, n.Home, filepath.Join(n.Home, "chat.log"), func(ctx context.Context) error {
			_, err := chatapi.NewClient(n.Home).Status(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("devnet: mf-chat of %s: %w", n.Name, err)
		}
		fmt.Fprintf(o.Out, "mf-chat running for %s\n", n.Name)
	}
	return nil
}

// chatPID is the pid of home's mf-chat daemon, 0 if none runs.
func chatPID(home string) int { return pidIn(filepath.Join(home, chatapi.PIDName), "daemon", home) }
