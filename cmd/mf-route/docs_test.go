package main

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/court/courtapi"
	"github.com/mainframe/mf/pkg/devnet"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/route"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/swap/swapapi"
)

// markdownLink is the target of [text](target).
var markdownLink = regexp.MustCompile(`\]\(([^)\s]+)\)`)

// TestDocsStandAlone: the README, docs/ and man/ must make sense in a fresh
// clone, so every link stays inside the repository and points at something
// that is there. (http://mf/... in examples is the daemon's Unix socket, not
// a link.)
func TestDocsStandAlone(t *testing.T) {
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	files := []string{filepath.Join(root, "README.md")}
	for _, dir := range []string{"docs", "man"} {
		entries, err := os.ReadDir(filepath.Join(root, dir))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			files = append(files, filepath.Join(root, dir, e.Name()))
		}
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		name, _ := filepath.Rel(root, f)
		text := string(b)
		if strings.Contains(text, "../shared") {
			t.Errorf("%s refers to ../shared, which a clone does not have", name)
		}
		for _, m := range markdownLink.FindAllStringSubmatch(text, -1) {
			target := m[1]
			if strings.Contains(target, "://") {
				t.Errorf("%s links outside the repository: %s", name, target)
				continue
			}
			target, _, _ = strings.Cut(target, "#")
			if target == "" {
				continue
			}
			path := filepath.Join(filepath.Dir(f), target)
			if rel, err := filepath.Rel(root, path); err != nil || strings.HasPrefix(rel, "..") {
				t.Errorf("%s links outside the repository: %s", name, m[1])
			} else if _, err := os.Stat(path); err != nil {
				t.Errorf("%s links to %s, which is not in the repository", name, m[1])
			}
		}
	}
}

// readmeBlock is one fenced sh block of the README.
type readmeBlock struct {
	line    int    // where it starts in README.md
	text    string // its lines
	asAlice bool   // marked <!-- readme-test: as alice --> just before
}

// readmeBlocks returns the README's ```sh blocks in order. A block just
// after the HTML comment "<!-- readme-test: as alice -->" (invisible when
// rendered) is one the README tells the reader's peer to run.
func readmeBlocks(readme string) []readmeBlock {
	var out []readmeBlock
	lines := strings.Split(readme, "\n")
	for i := 0; i < len(lines); i++ {
		if strings.TrimSpace(lines[i]) != "```sh" {
			continue
		}
		b := readmeBlock{line: i + 1}
		for j := i - 1; j >= 0 && j >= i-2; j-- {
			if strings.Contains(lines[j], "<!-- readme-test: as alice -->") {
				b.asAlice = true
			}
		}
		var body []string
		for i++; i < len(lines) && strings.TrimSpace(lines[i]) != "```"; i++ {
			body = append(body, lines[i])
		}
		b.text = strings.Join(body, "\n") + "\n"
		out = append(out, b)
	}
	return out
}

// runsTestSuite: the blocks the README test leaves out, those that run the
// test suite itself (make test, and the Development block with it).
func (b readmeBlock) runsTestSuite() bool {
	return regexp.MustCompile(`(?m)^make test\b`).MatchString(b.text)
}

// TestREADMEBlocks runs every sh block of the README, in the README's
// order, as a reader would: each block is one `bash -e -o pipefail` script,
// in a scratch $HOME (so ~/.mainframe is scratch) and a scratch working
// directory holding a photo.jpg, with every daemon on 127.0.0.1. Only the
// blocks that run the test suite itself are left out.
//
// The README's placeholders are replaced, in the text of each block just
// before it runs, by real values of their kind:
//
//	/tmp/chain, /tmp/mf, /tmp/r, /tmp/line   directories in the scratch area
//	mfc1…                  after "contacts add NAME": NAME's real card
//	0xYOURADDRESS          this node's address (~/.mainframe, once made)
//	0xCLIENT, 0xADDRESS    alice's address
//	0xW1, 0xW2, 0xW3       bob's address and two other distinct addresses
//	PEER                   alice (a contact name, which cash and manifest
//	                       show take)
//
// alice and bob are real nodes the test runs beside the reader's (their
// own homes, on loopback ports), and the reader's node joins them through
// MF_BOOTSTRAP and listens on a free loopback port through MF_LISTEN (both
// documented settings). They act as people on the other end would, so
// that the README's commands have something to talk to:
//   - once the reader's daemon runs, alice and bob add it as a contact,
//     and alice keeps a chat message waiting in its inbox (for each
//     listen --count 1 line and the curl of /v0/listen?topic=chat);
//   - once alice holds the key of a group named team, she sends to it
//     (listen --group team --count 1);
//   - before the block with "mf-swap cash PEER", alice runs mf-swap on the
//     README's chain and sends enough traffic to be invoiced, and pays
//     with a cheque (below the cash threshold, so cash has work to do);
//   - before a block marked "as alice", she runs mf-court on the chain;
//     that block runs with MF_HOME set to her home;
//
// When the README changes, this test changes only if a new placeholder or
// a new kind of counterpart is needed; the blocks themselves are read from
// README.md each run.
func TestREADMEBlocks(t *testing.T) {
	if testing.Short() {
		t.Skip("the README walk-through starts a chain, three devnets and many daemons")
	}
	for _, tool := range []string{"bash", "curl"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Fatalf("the README uses %s: %v", tool, err)
		}
	}
	root, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	w := newReadmeWorld(t)
	ran := 0
	for i, b := range readmeBlocks(string(readme)) {
		if b.runsTestSuite() {
			t.Logf("README.md:%d: left out (runs the test suite)", b.line)
			continue
		}
		w.prepare(b)
		script := w.substitute(b.text)
		home := ""
		if b.asAlice {
			home = w.alice
		}
		out, err := w.run(fmt.Sprintf("block%02d", i), script, home)
		t.Logf("README.md:%d:\n%s\n--- output ---\n%s", b.line, script, out)
		if err != nil {
			t.Fatalf("README.md:%d: the block failed: %v%s", b.line, err, w.helperProblems())
		}
		ran++
	}
	if ran < 8 {
		t.Fatalf("ran only %d README blocks; is the README parsed right?", ran)
	}
}

// readmeWorld is the scratch area and the peers the README talks to.
type readmeWorld struct {
	t                 *testing.T
	dir, home, work   string
	me, alice, bob    string // node homes
	env               []string
	aliceAddr, bobAdr string
	cards             map[string]string
	stop              chan struct{}
	// problems are what the background helpers ran into; they may not
	// call t themselves once the test has ended.
	problems chan string
}

func newReadmeWorld(t *testing.T) *readmeWorld {
	dir, err := os.MkdirTemp("", "mfr")
	if err != nil {
		t.Fatal(err)
	}
	w := &readmeWorld{t: t, dir: dir, home: filepath.Join(dir, "home"), work: filepath.Join(dir, "work"),
		alice: filepath.Join(dir, "alice"), bob: filepath.Join(dir, "bob"), cards: map[string]string{}, stop: make(chan struct{}), problems: make(chan string, 16)}
	w.me = filepath.Join(w.home, ".mainframe")
	t.Cleanup(w.close)
	for _, d := range []string{w.home, w.work} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(w.work, "photo.jpg"), bytes.Repeat([]byte("\xff\xd8 not really a jpeg "), 100), 0o644); err != nil {
		t.Fatal(err)
	}
	// The environment every block and helper runs in: the developer's MF_*
	// settings and $HOME stay out.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MF_") && !strings.HasPrefix(kv, "HOME=") {
			w.env = append(w.env, kv)
		}
	}
	w.env = append(w.env, "HOME="+w.home)

	for _, n := range []struct{ name, home string }{{"alice", w.alice}, {"bob", w.bob}} {
		port := freeLoopbackPort(t)
		w.mf("mf-route", "--home", n.home, "init", "--dev", "--listen", fmt.Sprintf("/ip4/127.0.0.1/tcp/%d", port))
		args := []string{"--home", n.home, "daemon"}
		if n.name == "bob" {
			args = append(args, "--bootstrap", w.cards["alice"])
		}
		w.background("mf-route", n.home, args...)
		w.waitFor(n.name+"'s daemon", func() bool {
			st, err := status(n.home)
			if err == nil {
				w.cards[n.name] = st.Card
			}
			return err == nil
		})
	}
	ca, _ := identity.ParseCard(w.cards["alice"])
	cb, _ := identity.ParseCard(w.cards["bob"])
	w.aliceAddr, w.bobAdr = ca.Address().Hex(), cb.Address().Hex()
	w.env = append(w.env,
		fmt.Sprintf("MF_LISTEN=/ip4/127.0.0.1/tcp/%d", freeLoopbackPort(t)),
		"MF_BOOTSTRAP="+w.cards["alice"])
	go w.aliceChats()
	go w.aliceGroups()
	return w
}

// helperProblems lists what the background helpers ran into, if anything.
func (w *readmeWorld) helperProblems() string {
	var s string
	for {
		select {
		case p := <-w.problems:
			s += "\n(helper: " + p + ")"
		default:
			return s
		}
	}
}

// mf runs an mf command for the world's own set-up, failing the test if it
// fails.
func (w *readmeWorld) mf(args ...string) string {
	w.t.Helper()
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env, cmd.Dir = w.env, w.work
	out, err := cmd.CombinedOutput()
	if err != nil {
		w.t.Fatalf("%s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// background starts a daemon of the world, logging to its home.
func (w *readmeWorld) background(bin, home string, args ...string) {
	w.t.Helper()
	logf, err := os.OpenFile(filepath.Join(home+"-"+filepath.Base(bin)+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		w.t.Fatal(err)
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = w.env, w.work, logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		w.t.Fatal(err)
	}
	go cmd.Wait()
}

func (w *readmeWorld) waitFor(what string, ok func() bool) {
	w.t.Helper()
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if ok() {
			return
		}
	}
	w.t.Fatalf("timed out waiting for %s", what)
}

var tmpDirs = regexp.MustCompile(`/tmp/(chain|mf|r|line)\b`)

// substitute replaces the README's placeholders in a block (see
// TestREADMEBlocks).
func (w *readmeWorld) substitute(s string) string {
	s = tmpDirs.ReplaceAllString(s, w.dir+"/$1")
	s = regexp.MustCompile(`contacts add (\w+) mfc1…`).ReplaceAllStringFunc(s, func(m string) string {
		name := strings.Fields(m)[2]
		card, ok := w.cards[name]
		if !ok {
			w.t.Fatalf("the README adds a contact %s, whom the test does not run", name)
		}
		return "contacts add " + name + " " + card
	})
	if strings.Contains(s, "0xYOURADDRESS") {
		c, err := route.ReadCard(w.me)
		if err != nil {
			w.t.Fatalf("0xYOURADDRESS before the README made a node: %v", err)
		}
		s = strings.ReplaceAll(s, "0xYOURADDRESS", c.Address().Hex())
	}
	r := strings.NewReplacer("0xCLIENT", w.aliceAddr, "0xADDRESS", w.aliceAddr,
		"0xW1", w.bobAdr, "0xW2", "0x00000000000000000000000000000000000000a2", "0xW3", "0x00000000000000000000000000000000000000a3")
	s = r.Replace(s)
	s = regexp.MustCompile(`\bPEER\b`).ReplaceAllString(s, "alice")
	if strings.Contains(s, "…") {
		w.t.Fatalf("a placeholder the test does not know is left in:\n%s", s)
	}
	return s
}

// run runs one block with bash, its output to a log file (a block may
// leave daemons running in the background, which keep the file open).
func (w *readmeWorld) run(name, script, home string) (string, error) {
	logPath := filepath.Join(w.dir, name+".log")
	logf, err := os.Create(logPath)
	if err != nil {
		return "", err
	}
	defer logf.Close()
	// A bound for a block that hangs, not a measure: the devnet block
	// starts three devnets, which under -race on a busy machine takes minutes
	// (over ten once in CI, with mf-chat's race tests on the same two cores).
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", "-e", "-o", "pipefail", "-c", script)
	cmd.Env, cmd.Dir, cmd.Stdout, cmd.Stderr = w.env, w.work, logf, logf
	if home != "" {
		cmd.Env = append(append([]string{}, w.env...), "MF_HOME="+home)
	}
	err = cmd.Run()
	out, _ := os.ReadFile(logPath)
	return string(out), err
}

// prepare plays the other side before a block that needs it (see
// TestREADMEBlocks).
func (w *readmeWorld) prepare(b readmeBlock) {
	switch {
	case strings.Contains(b.text, "mf-swap cash PEER"):
		w.alicePays()
	case b.asAlice:
		w.background("mf-court", w.alice, "--home", w.alice, "daemon", "--chain-dir", filepath.Join(w.dir, "chain"))
		w.waitFor("alice's mf-court", func() bool {
			_, err := courtapi.NewClient(w.alice).Stakes(context.Background())
			return err == nil
		})
	}
}

// aliceChats waits for the reader's daemon, has alice and bob add the
// reader as a contact (a member takes a group key only from a contact),
// and from then on keeps a chat message from alice waiting for the reader:
// she sends one whenever the reader's inbox is empty (or, in case other
// packets sit there, when her last one is 20 seconds old).
func (w *readmeWorld) aliceChats() {
	var card string
	for card == "" {
		select {
		case <-w.stop:
			return
		case <-time.After(200 * time.Millisecond):
		}
		if st, err := status(w.me); err == nil {
			card = st.Card
		}
	}
	for _, home := range []string{w.alice, w.bob} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		_, err := routeapi.NewClient(home).AddContact(ctx, "reader", card)
		cancel()
		if err != nil {
			w.problems <- fmt.Sprintf("adding the reader as a contact of %s: %v", home, err)
		}
	}
	var last time.Time
	for sent := 0; sent < 30; {
		select {
		case <-w.stop:
			return
		case <-time.After(300 * time.Millisecond):
		}
		st, err := status(w.me)
		if err != nil || (st.Inbox > 0 && time.Since(last) < 20*time.Second) {
			continue
		}
		w.sendChat()
		last = time.Now()
		sent++
	}
}

func (w *readmeWorld) sendChat() {
	for i := 0; i < 100; i++ {
		st, err := status(w.me)
		if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_, err = routeapi.NewClient(w.alice).Send(ctx, routeapi.SendRequest{To: st.Card, Topic: "chat", Payload: []byte("hi from alice")})
			cancel()
			if err == nil {
				return
			}
		}
		select {
		case <-w.stop:
			return
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// aliceGroups sends once to the group team when alice holds its key.
func (w *readmeWorld) aliceGroups() {
	for {
		select {
		case <-w.stop:
			return
		case <-time.After(200 * time.Millisecond):
		}
		gs, err := routeapi.NewClient(w.alice).Groups(context.Background())
		if err != nil {
			continue
		}
		for _, g := range gs {
			if g.Name == "team" {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				_, err := routeapi.NewClient(w.alice).Send(ctx, routeapi.SendRequest{Group: "team", Payload: []byte("hi team, alice here")})
				cancel()
				if err == nil {
					return
				}
			}
		}
	}
}

// alicePays runs alice's mf-swap on the README's chain and has her send
// the reader's node enough traffic to be invoiced, then waits for her
// cheque.
func (w *readmeWorld) alicePays() {
	w.t.Helper()
	chainDir := filepath.Join(w.dir, "chain")
	w.mf("mf-swap", "faucet", w.aliceAddr, "10", "--chain-dir", chainDir)
	w.background("mf-swap", w.alice, "--home", w.alice, "daemon", "--chain-dir", chainDir)
	w.waitFor("alice's mf-swap", func() bool {
		_, err := swapapi.NewClient(w.alice).Status(context.Background())
		return err == nil
	})
	w.mf("mf-swap", "--home", w.alice, "deposit", "5")
	st, err := status(w.me)
	if err != nil {
		w.t.Fatal(err)
	}
	alicePeer := mustCard(w.t, w.cards["alice"]).PeerID().String()
	// 160 KiB at the default 0.001 MFT per KiB: past the 0.1 MFT payment
	// threshold, below the 0.5 MFT cash threshold.
	w.mf("mf-route", "--home", w.alice, "bench", "--to", st.Card, "--count", "40", "--size", "4096")
	w.waitFor("alice's cheque", func() bool {
		cs, err := swapapi.NewClient(w.me).Cheques(context.Background())
		if err != nil {
			return false
		}
		for _, c := range cs {
			if c.Peer == alicePeer && c.Direction == "received" {
				return true
			}
		}
		return false
	})
}

func mustCard(t *testing.T, s string) *identity.Card {
	c, err := identity.ParseCard(s)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// close stops everything the README and the world started: the daemons of
// the three homes, the chain, the devnets.
func (w *readmeWorld) close() {
	close(w.stop)
	for _, d := range []string{"mf", "r", "line"} {
		if st, err := devnet.Load(filepath.Join(w.dir, d)); err == nil {
			devnet.Down(st)
		}
	}
	var pids []int
	for _, home := range []string{w.me, w.alice, w.bob} {
		for _, f := range []string{chatapi.PIDName, courtapi.PIDName, swapapi.PIDName, routeapi.PIDName} {
			pids = append(pids, readPID(filepath.Join(home, f)))
		}
	}
	pids = append(pids, readPID(filepath.Join(w.dir, "chain", "chain.pid")))
	// And every daemon that left a pid file anywhere below: a block cut
	// short while a devnet was starting leaves daemons its state file does
	// not list yet.
	_ = filepath.WalkDir(w.dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".pid") {
			if pid := readPID(path); pid > 0 && w.started(pid) {
				pids = append(pids, pid)
			}
		}
		return nil
	})
	for _, pid := range pids {
		if pid > 0 {
			_ = syscall.Kill(pid, syscall.SIGTERM)
		}
	}
	for _, pid := range pids {
		for i := 0; pid > 0 && i < 400 && syscall.Kill(pid, 0) == nil; i++ {
			time.Sleep(25 * time.Millisecond)
		}
	}
	os.RemoveAll(w.dir)
}

// started tells whether pid is a process of this test's world (its command
// line or environment names the world's directory), and not another that
// took the number of one that ended.
func (w *readmeWorld) started(pid int) bool {
	for _, f := range []string{"cmdline", "environ"} {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, f))
		if err == nil && bytes.Contains(b, []byte(w.dir)) {
			return true
		}
	}
	return false
}

func readPID(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	return pid
}

func freeLoopbackPort(t *testing.T) int {
	l, err := net.Listen("tcp4", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
