package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mainframe/mf/pkg/chat"
	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/chat/chatcmd"
	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/court/courtcmd"
	"github.com/mainframe/mf/pkg/db/dbcmd"
	"github.com/mainframe/mf/pkg/devnet"
	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/hold/holdcmd"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/route/routecmd"
	"github.com/mainframe/mf/pkg/store/storecmd"
	"github.com/mainframe/mf/pkg/swap/swapcmd"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"mf-route": func() { os.Exit(routecmd.Main(os.Args[1:], cli.System())) },
		"mf-chat":  func() { os.Exit(chatcmd.Main(os.Args[1:], cli.System())) },
		// A devnet with a chain (the directory, attachments, mailboxes)
		// finds these on $PATH.
		"mf-swap":  func() { os.Exit(swapcmd.Main(os.Args[1:], cli.System())) },
		"mf-court": func() { os.Exit(courtcmd.Main(os.Args[1:], cli.System())) },
		"mf-store": func() { os.Exit(storecmd.Main(os.Args[1:], cli.System())) },
		"mf-db":    func() { os.Exit(dbcmd.Main(os.Args[1:], cli.System())) },
		"mf-hold":  func() { os.Exit(holdcmd.Main(os.Args[1:], cli.System())) },
	})
}

// TestScripts runs testdata/script: real mf-route and mf-chat daemons on a
// devnet, the commands as a user types them, and real mf-chat windows in
// tmux.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir: "testdata/script",
		Setup: func(env *testscript.Env) error {
			short, err := os.MkdirTemp("", "mfc")
			if err != nil {
				return err
			}
			env.Setenv("NET", short)
			env.Setenv("MF_HOME", filepath.Join(short, "default-home"))
			env.Setenv("TMUX_SOCK", filepath.Join(short, "tmux.sock"))
			env.Defer(func() {
				_ = exec.Command("tmux", "-S", filepath.Join(short, "tmux.sock"), "kill-server").Run()
				entries, _ := os.ReadDir(short)
				for _, e := range entries {
					if st, err := devnet.Load(filepath.Join(short, e.Name())); err == nil {
						devnet.Down(st)
					}
				}
				os.RemoveAll(short)
			})
			return nil
		},
		Condition: func(cond string) (bool, error) {
			if cond == "tmux" {
				_, err := exec.LookPath("tmux")
				return err == nil, nil
			}
			return false, fmt.Errorf("unknown condition %q", cond)
		},
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"befriend":  cmdBefriend,
			"chatwait":  cmdChatWait,
			"chatonce":  cmdChatOnce,
			"killchat":  cmdKillChat,
			"tui":       cmdTUI,
			"keys":      cmdKeys,
			"screen":    cmdScreen,
			"nocolor":   cmdNoColor,
			"startchat": cmdStartChat,
			"waitconv":  cmdWaitConv,
			"burst":     cmdBurst,
			"mkbig":     cmdMkBig,
			"mkhostile": cmdMkHostile,
			"retry":     cmdRetry,
			"fillchat":  cmdFillChat,
			"nodeenv":   cmdNodeEnv,
			"bell":      cmdBell,
		},
	})
}

func ctx(d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), d)
}

// befriend H1 NAME1 H2 NAME2: H1 adds H2 as NAME2 and H2 adds H1 as NAME1,
// through their mf-chat daemons, with the cards their mf-route daemons
// show.
func cmdBefriend(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: befriend H1 NAME1 H2 NAME2")
	}
	c, cancel := ctx(30 * time.Second)
	defer cancel()
	card := func(home string) string {
		st, err := routeapi.NewClient(ts.MkAbs(home)).Status(c)
		ts.Check(err)
		return st.Card
	}
	_, err := chatapi.NewClient(ts.MkAbs(args[0])).AddContact(c, args[3], card(args[2]))
	ts.Check(err)
	_, err = chatapi.NewClient(ts.MkAbs(args[2])).AddContact(c, args[1], card(args[0]))
	ts.Check(err)
}

// chatwait HOME CONV REGEX [STATE]: wait up to 60 s until a message of
// CONV matches REGEX (and is in STATE, or with STATE receipt, carries
// mf-route's signed receipt, or with receipts=N, N members' signed
// receipts); with !, check that none matches now.
func cmdChatWait(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 3 || len(args) > 4 {
		ts.Fatalf("usage: chatwait HOME CONV REGEX [STATE]")
	}
	re := regexp.MustCompile(args[2])
	cl := chatapi.NewClient(ts.MkAbs(args[0]))
	var last string
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		c, cancel := ctx(5 * time.Second)
		ms, err := cl.Messages(c, args[1], 0)
		cancel()
		if err != nil {
			last = err.Error()
			if neg {
				ts.Fatalf("%v", err)
			}
			continue
		}
		found := false
		for _, m := range ms {
			if re.MatchString(m.Text) && (len(args) == 3 || m.State == args[3] || args[3] == "receipt" && m.Receipt != "" ||
				args[3] == fmt.Sprintf("receipts=%d", len(m.Receipts))) {
				found = true
			}
		}
		if neg {
			if found {
				ts.Fatalf("a message of %s in %s matches %s", args[1], args[0], args[2])
			}
			return
		}
		if found {
			return
		}
		last = fmt.Sprintf("%d messages", len(ms))
	}
	ts.Fatalf("no message of %s in %s matches %s (state %v): %s", args[1], args[0], args[2], args[3:], last)
}

// chatonce HOME CONV PREFIX N: wait up to 60 s until CONV holds messages
// PREFIX1..PREFIXN, then check that each is there exactly once and in
// that order.
func cmdChatOnce(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: chatonce HOME CONV PREFIX N")
	}
	n, _ := strconv.Atoi(args[3])
	cl := chatapi.NewClient(ts.MkAbs(args[0]))
	var got []string
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		c, cancel := ctx(5 * time.Second)
		ms, err := cl.Messages(c, args[1], 0)
		cancel()
		if err != nil {
			continue
		}
		got = got[:0]
		for _, m := range ms {
			if strings.HasPrefix(m.Text, args[2]) {
				got = append(got, m.Text)
			}
		}
		if len(got) >= n {
			break
		}
	}
	var want []string
	for i := 1; i <= n; i++ {
		want = append(want, fmt.Sprintf("%s%d", args[2], i))
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		ts.Fatalf("%s in %s:\n got %v\nwant %v", args[1], args[0], got, want)
	}
}

// killchat [-route|-hold] HOME: SIGKILL HOME's mf-chat (or mf-route, or
// mf-hold) daemon and wait until it is gone.
func cmdKillChat(ts *testscript.TestScript, neg bool, args []string) {
	pidName := chatapi.PIDName
	if len(args) == 2 && args[0] == "-route" {
		pidName, args = routeapi.PIDName, args[1:]
	} else if len(args) == 2 && args[0] == "-hold" {
		pidName, args = holdapi.PIDName, args[1:]
	}
	if len(args) != 1 {
		ts.Fatalf("usage: killchat [-route|-hold] HOME")
	}
	b, err := os.ReadFile(filepath.Join(ts.MkAbs(args[0]), pidName))
	ts.Check(err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	ts.Check(err)
	ts.Check(syscall.Kill(pid, syscall.SIGKILL))
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if err := syscall.Kill(pid, 0); err != nil {
			return
		}
		if st, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid)); err == nil {
			if i := strings.LastIndexByte(string(st), ')'); i > 0 && i+2 < len(st) && st[i+2] == 'Z' {
				return
			}
		}
	}
	ts.Fatalf("mf-chat daemon %d did not die", pid)
}

func tmux(ts *testscript.TestScript, args ...string) string {
	out, err := exec.Command("tmux", append([]string{"-S", ts.Getenv("TMUX_SOCK")}, args...)...).CombinedOutput()
	if err != nil {
		ts.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

// tui NAME HOME [ENV=V...]: open mf-chat's window for HOME in an 80x24
// tmux session NAME and wait until it draws.
func cmdTUI(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: tui NAME HOME [ENV=V...]")
	}
	self, err := exec.LookPath("mf-chat")
	ts.Check(err)
	env := []string{"env", "TERM=xterm-256color", "MF_HOME=" + ts.MkAbs(args[1])}
	env = append(env, args[2:]...)
	// The pane outlives the window, so that a window that stops shows why.
	cmd := strings.Join(append(env, self), " ") + "; echo mf-chat exited: $?; sleep 3600"
	// The window is named as the session (else it takes the name of the
	// shell, and tmux resolves -t b to a window "bash" of another session).
	tmux(ts, "new-session", "-d", "-s", args[0], "-n", args[0], "-x", "80", "-y", "24", cmd)
	waitScreen(ts, args[0], regexp.MustCompile(`INSERT`), false)
}

// keys NAME KEY...: tmux send-keys; a key written "lit:TEXT" is sent as
// literal text.
func cmdKeys(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: keys NAME KEY...")
	}
	for _, k := range args[1:] {
		if t, ok := strings.CutPrefix(k, "lit:"); ok {
			tmux(ts, "send-keys", "-t", args[0], "-l", t)
		} else {
			tmux(ts, "send-keys", "-t", args[0], k)
		}
	}
}

// screen NAME REGEX [FILE]: wait up to 30 s until the window's screen
// matches REGEX (multi-line mode), then write the screen to FILE if given;
// with !, check that the screen does not match now.
func cmdScreen(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: screen NAME REGEX [FILE]")
	}
	scr := waitScreen(ts, args[0], regexp.MustCompile("(?m)"+args[1]), neg)
	if len(args) == 3 {
		ts.Check(os.WriteFile(ts.MkAbs(args[2]), []byte(scr), 0o644))
	}
}

func waitScreen(ts *testscript.TestScript, name string, re *regexp.Regexp, neg bool) string {
	var scr string
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		scr = tmux(ts, "capture-pane", "-p", "-t", name)
		if neg {
			if re.MatchString(scr) {
				ts.Fatalf("screen of %s matches %s:\n%s", name, re, scr)
			}
			return scr
		}
		if re.MatchString(scr) {
			return scr
		}
	}
	out, _ := exec.Command("tmux", "-S", ts.Getenv("TMUX_SOCK"), "list-panes", "-a", "-F", "#{session_name} #{pane_pid} #{pane_current_command}").CombinedOutput()
	ts.Fatalf("screen of %s never matched %s; last:\n%s\npanes:\n%s", name, re, scr, out)
	return ""
}

// waitconv HOME CONV: wait up to 60 s until HOME's mf-chat has CONV.
func cmdWaitConv(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: waitconv HOME CONV")
	}
	cl := chatapi.NewClient(ts.MkAbs(args[0]))
	for deadline := time.Now().Add(60 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		c, cancel := ctx(5 * time.Second)
		cs, _ := cl.Conversations(c)
		cancel()
		for _, x := range cs {
			if x.ID == args[1] || x.Name == args[1] {
				return
			}
		}
	}
	ts.Fatalf("%s has no conversation %s", args[0], args[1])
}

// burst HOME CONV PREFIX N: queue messages PREFIX1..PREFIXN as fast as the
// daemon takes them, each acknowledged (on disk) before the next.
func cmdBurst(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: burst HOME CONV PREFIX N")
	}
	n, _ := strconv.Atoi(args[3])
	cl := chatapi.NewClient(ts.MkAbs(args[0]))
	c, cancel := ctx(60 * time.Second)
	defer cancel()
	for i := 1; i <= n; i++ {
		_, err := cl.Send(c, chatapi.SendRequest{To: args[1], Text: fmt.Sprintf("%s%d", args[2], i)})
		ts.Check(err)
	}
}

// mkbig FILE N: a file of N bytes of text.
func cmdMkBig(ts *testscript.TestScript, neg bool, args []string) {
	n, _ := strconv.Atoi(args[1])
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(strings.Repeat("x", n)), 0o644))
}

// Hostile is a message that would clear the screen, paint it red, retitle
// the window, reverse the text after it and move the cursor, were it
// obeyed.
const Hostile = "evil \x1b[2J\x1b[H\x1b[31mred\x1b]0;owned\x07 \u202eesrever\u202c \u009b5A \x1bP+q\x1b\\ \r\b\x7f end"

// mkhostile FILE: a file holding Hostile.
func cmdMkHostile(ts *testscript.TestScript, neg bool, args []string) {
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(Hostile), 0o644))
}

// nocolor NAME: the window's screen, with its attributes, sets no colour
// (NO_COLOR): bold, faint and reverse only.
func cmdNoColor(ts *testscript.TestScript, neg bool, args []string) {
	scr := tmux(ts, "capture-pane", "-e", "-p", "-t", args[0])
	if m := regexp.MustCompile(`\x1b\[[0-9;]*(3[0-9]|4[0-9]|9[0-7]|10[0-7])[;m]`).FindString(scr); m != "" {
		ts.Fatalf("the screen of %s sets a colour (%q):\n%q", args[0], m, scr)
	}
}

// startchat HOME: start HOME's mf-chat daemon (stopped when the script
// ends) and wait up to 60 s until it answers. If it does not, its
// goroutines (SIGQUIT), kernel stack and log are shown, to say where it
// stands.
func cmdStartChat(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: startchat HOME")
	}
	home := ts.MkAbs(args[0])
	bin, err := exec.LookPath("mf-chat")
	ts.Check(err)
	logPath := ts.MkAbs(filepath.Base(home) + "-chat.log")
	logf, err := os.Create(logPath)
	ts.Check(err)
	cmd := exec.Command(bin, "--home", home, "daemon")
	cmd.Stdout, cmd.Stderr = logf, logf
	// If it never answers, the SIGQUIT below dumps every thread, the
	// goroutine running on one too (plain SIGQUIT shows it as "running on
	// other thread", which is what CI once showed of a start that hung).
	cmd.Env = append(os.Environ(), "GOTRACEBACK=crash")
	ts.Check(cmd.Start())
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); logf.Close(); close(done) }()
	ts.Defer(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
		}
	})
	cl := chatapi.NewClient(home)
	var last error
	// A bound for a start that hangs, not a measure: after a SIGKILL, under
	// -race on two busy cores, a start took over a minute in CI.
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		select {
		case <-done:
			b, _ := os.ReadFile(logPath)
			ts.Fatalf("mf-chat daemon of %s exited:\n%s", home, b)
		default:
		}
		c, cancel := ctx(2 * time.Second)
		_, last = cl.Status(c)
		cancel()
		if last == nil {
			return
		}
	}
	stack, _ := os.ReadFile(fmt.Sprintf("/proc/%d/stack", cmd.Process.Pid))
	wchan, _ := os.ReadFile(fmt.Sprintf("/proc/%d/wchan", cmd.Process.Pid))
	_ = cmd.Process.Signal(syscall.SIGQUIT)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
	}
	b, _ := os.ReadFile(logPath)
	ts.Fatalf("mf-chat daemon of %s does not answer (%v); wchan %s, stack:\n%s\nlog:\n%s", home, last, wchan, stack, b)
}

// retry REGEX PROG ARGS...: run PROG until its output matches REGEX, for up
// to 3 minutes (a devnet's services announce themselves in their own
// time).
func cmdRetry(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) < 2 {
		ts.Fatalf("usage: retry REGEX PROG ARGS...")
	}
	re := regexp.MustCompile(args[0])
	var out []byte
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		cmd := exec.Command(args[1], args[2:]...)
		cmd.Env = os.Environ()
		for _, k := range []string{"PATH", "MF_HOME", "HOME"} {
			cmd.Env = append(cmd.Env, k+"="+ts.Getenv(k))
		}
		out, _ = cmd.CombinedOutput()
		if re.Match(out) {
			return
		}
	}
	ts.Fatalf("output never matched %s; last: %s", args[0], out)
}

// fillchat HOME CONV N NEEDLE: fill the history of HOME's mf-chat (not
// running) with N messages to contact CONV, the middle one NEEDLE.
func cmdFillChat(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: fillchat HOME CONV N NEEDLE")
	}
	home := ts.MkAbs(args[0])
	n, err := strconv.Atoi(args[2])
	ts.Check(err)
	cfg, err := config.LoadFile(home)
	ts.Check(err)
	ts.Check(chat.FillHome(home, cfg, []string{args[1]}, n, args[3]))
}

// nodeenv PREFIX HOME: set PREFIX_PEER and PREFIX_ADDRESS to the peer ID
// and Ethereum address of HOME's node, from its running mf-route.
func cmdNodeEnv(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: nodeenv PREFIX HOME")
	}
	c, cancel := ctx(30 * time.Second)
	defer cancel()
	st, err := routeapi.NewClient(ts.MkAbs(args[1])).Status(c)
	ts.Check(err)
	card, err := identity.ParseCard(st.Card)
	ts.Check(err)
	ts.Setenv(args[0]+"_PEER", card.PeerID().String())
	ts.Setenv(args[0]+"_ADDRESS", card.Address().Hex())
}

// bell NAME: wait up to 30 s until the window rang the terminal's bell
// (tmux's window_bell_flag); with !, check that it has not.
func cmdBell(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: bell NAME")
	}
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		rang := strings.TrimSpace(tmux(ts, "display-message", "-p", "-t", args[0], "#{window_bell_flag}")) == "1"
		if neg {
			if rang {
				ts.Fatalf("window %s rang the bell", args[0])
			}
			return
		}
		if rang {
			return
		}
	}
	ts.Fatalf("window %s never rang the bell", args[0])
}
