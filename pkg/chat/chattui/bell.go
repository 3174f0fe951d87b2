package chattui

import (
	"context"
	"io"
	"os"
	"os/exec"
	"time"

	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/termtext"
)

// notice is a message from a peer to tell the user of: the terminal's
// bell, and the notification command if one is set.
type notice struct {
	conv, from, text string
	bell             bool
}

// notifier returns what rings the bell and runs the notification
// command. The bell is one BEL byte written on its own: the renderer
// writes each frame in one write, so the byte never lands inside an
// escape sequence. The command gets the peer's words only as environment
// variables, made safe to print, never as shell text.
func (o *Options) notifier() func(n notice) {
	out := o.Out
	if out == nil {
		out = os.Stdout
	}
	cmd := o.NotifyCmd
	return func(n notice) {
		if n.bell {
			_, _ = io.WriteString(out, "\a")
		}
		if cmd == "" {
			return
		}
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			c := exec.CommandContext(ctx, "/bin/sh", "-c", cmd)
			c.Env = append(os.Environ(),
				"MF_CHAT_CONV="+termtext.Clean(n.conv, false),
				"MF_CHAT_FROM="+termtext.Clean(n.from, false),
				"MF_CHAT_TEXT="+termtext.Clean(n.text, false))
			_ = c.Run()
		}()
	}
}

// announce tells the user of a new message from a peer.
func (m *model) announce(msg *chatapi.Message) {
	if msg.Mine || m.notify == nil {
		return
	}
	m.notify(notice{conv: msg.Conv, from: msg.From, text: msg.Text, bell: m.bell})
}
