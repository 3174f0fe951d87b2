package route

import (
	"bufio"
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/libp2p/go-libp2p/core/network"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/seal"
	"github.com/mainframe/mf/pkg/wire"
)

// fsNode is a real node with a home: a keystore and a Pebble directory,
// whose incoming streams are recorded (a wiretap on its link).
type fsNode struct {
	*Node
	home string
	dir  string
	db   *kv.DB
	tap  *wiretap
}

const fsPassword = "fs-test"

func startFSNode(t *testing.T, ctx context.Context, bootstrap []string) *fsNode {
	t.Helper()
	home := t.TempDir()
	id, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := id.Save(home, fsPassword, true); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(home, "data", "route")
	db, err := kv.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	n, err := New(ctx, id, db, Options{
		Listen:    []string{"/ip4/127.0.0.1/tcp/0"},
		Bootstrap: bootstrap,
		Logger:    fsLogger(t),
	})
	if err != nil {
		t.Fatal(err)
	}
	f := &fsNode{Node: n, home: home, dir: dir, db: db, tap: &wiretap{}}
	n.host.SetStreamHandler(ProtocolID, func(s network.Stream) {
		n.handleStream(f.tap.wrap(s))
	})
	return f
}

func (f *fsNode) stop(t *testing.T) {
	t.Helper()
	if err := f.Close(); err != nil {
		t.Log(err)
	}
	if err := f.db.Close(); err != nil {
		t.Fatal(err)
	}
}

// wiretap records every byte a node reads from its peers.
type wiretap struct {
	mu      sync.Mutex
	streams []*bytes.Buffer
}

type tappedStream struct {
	network.Stream
	w  *wiretap
	rb *bytes.Buffer
}

func (w *wiretap) wrap(s network.Stream) network.Stream {
	w.mu.Lock()
	defer w.mu.Unlock()
	b := &bytes.Buffer{}
	w.streams = append(w.streams, b)
	return &tappedStream{Stream: s, w: w, rb: b}
}

func (s *tappedStream) Read(p []byte) (int, error) {
	n, err := s.Stream.Read(p)
	s.w.mu.Lock()
	s.rb.Write(p[:n])
	s.w.mu.Unlock()
	return n, err
}

// packets are the packets recorded so far.
func (w *wiretap) packets(t *testing.T) []*Packet {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*Packet
	for _, b := range w.streams {
		r := bufio.NewReader(bytes.NewReader(b.Bytes()))
		for {
			f, err := wire.ReadFrame(r, nil, MaxPacket)
			if err != nil {
				break // the end, or a frame cut off by the recording
			}
			if p, err := UnmarshalPacket(bytes.Clone(f)); err == nil {
				out = append(out, p)
			}
		}
	}
	return out
}

func subscribe(t *testing.T, n *fsNode, topic string) *subscriber {
	t.Helper()
	sub, _, _, err := n.subs.subscribe(topic)
	if err != nil {
		t.Fatal(err)
	}
	return sub
}

func receive(t *testing.T, sub *subscriber, want string) {
	t.Helper()
	select {
	case m := <-sub.ch:
		if string(m.Payload) != want {
			t.Fatalf("received %q, want %q", m.Payload, want)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("%q never arrived", want)
	}
}

// TestForwardSecrecy is the attack of issue 9, item 7: record the packets
// of a session and a group, take a node's keystore and everything its
// daemon reads back from disk after a rekey, the grace that follows it and
// a forced compaction, and try to open the recording. With the keys handed
// over sealed to the static key, as before, the keystore alone opened the
// handover and everything after it.
func TestForwardSecrecy(t *testing.T) {
	ctx := t.Context()
	a := startFSNode(t, ctx, nil)
	b := startFSNode(t, ctx, []string{a.Card().String()})
	defer func() {
		if a.Node != nil {
			a.stop(t)
		}
		if b.Node != nil {
			b.stop(t)
		}
	}()
	// Connected is not enough: a peer is a routing neighbour once identify
	// has shown it speaks /mf/route/1.
	waitFor(t, "the two nodes to take each other as neighbours", func() bool {
		return len(a.neighbours.Load().peers) > 0 && len(b.neighbours.Load().peers) > 0
	})
	if err := a.AddContact("b", b.Card(), nil); err != nil {
		t.Fatal(err)
	}
	if err := b.AddContact("a", a.Card(), nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "a to find b's prekey", func() bool { return a.prekeys.of(ctx, b.pub) != nil })
	bPrekey := b.prekeys.current()
	if got := a.prekeys.of(ctx, b.pub); got.Key != bPrekey.Key {
		t.Fatal("a found another prekey than b's current one")
	}

	// A session: the first packets in epoch 1 (agreed with b's prekey),
	// then in epoch 2 (both sides ephemeral).
	topic, err := a.sess.open(b.Card(), 256)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b to accept the session", func() bool { return b.sess.get(topic) != nil })
	sub := subscribe(t, b, topic)
	// The epoch of a's first packet depends on when b's answer arrives: the
	// recording holds both epochs either way.
	if _, err := a.SendSession(ctx, topic, 0, []byte("session secret 1")); err != nil {
		t.Fatal(err)
	}
	receive(t, sub, "session secret 1")
	waitFor(t, "session epoch 2 on both sides", func() bool {
		return a.sess.get(topic).Send == 2 && b.sess.get(topic).Send == 2
	})
	if _, err := a.SendSession(ctx, topic, 0, []byte("session secret 2")); err != nil {
		t.Fatal(err)
	}
	receive(t, sub, "session secret 2")

	// A group whose key goes to b sealed to its prekey.
	gsub := subscribe(t, b, GroupListenTopic("team"))
	if _, err := a.groups.create("team", []Contact{{Name: "b", Card: b.Card()}}, 256); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "b to take the group key", func() bool { _, err := b.groups.get("team"); return err == nil })
	if _, _, err := a.SendGroup(ctx, "team", 0, []byte("group secret 1")); err != nil {
		t.Fatal(err)
	}
	receive(t, gsub, "group secret 1")

	// The recording so far: b's live keys open its session and group
	// packets (the wiretap works), and one offer and one invite are in it.
	before := b.tap.packets(t)
	var secrets [][]byte // key material that must be gone afterwards
	for _, k := range b.sess.get(topic).keys {
		secrets = append(secrets, bytes.Clone(k.key[:]))
	}
	bg, _ := b.groups.get("team")
	secrets = append(secrets, bytes.Clone(bg.key[:]))
	b.prekeys.mu.Lock()
	for _, o := range b.prekeys.own {
		secrets = append(secrets, bytes.Clone(o.priv[:]))
	}
	b.prekeys.mu.Unlock()
	var nSession, nGroup, nData int
	for _, p := range before {
		switch p.Kind {
		case KindSession:
			if _, err := b.sess.openPacket(p); err != nil {
				t.Fatalf("b's live state does not open a recorded session packet: %v", err)
			}
			nSession++
		case KindGroup:
			if _, err := b.groups.openPacket(p); err != nil {
				t.Fatalf("b's live state does not open a recorded group packet: %v", err)
			}
			nGroup++
		case KindData:
			nData++
		}
	}
	if nSession < 2 || nGroup < 1 || nData < 2 {
		t.Fatalf("recorded %d session, %d group, %d first-contact packets", nSession, nGroup, nData)
	}

	// The rekey: a new session epoch and a new group epoch.
	if err := a.sess.rekey(topic); err != nil {
		t.Fatal(err)
	}
	if _, err := a.groups.change("team", nil, nil); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "session epoch 3 on both sides", func() bool {
		return a.sess.get(topic).Send == 3 && b.sess.get(topic).Send == 3
	})
	waitFor(t, "b to take the group's second epoch", func() bool { x, _ := b.groups.get("team"); return x.Epoch == 2 })
	if _, err := a.SendSession(ctx, topic, 0, []byte("after the rekey")); err != nil {
		t.Fatal(err)
	}
	receive(t, sub, "after the rekey")

	// Time passes: the grace of the replaced keys and b's first prekey's
	// lifetime end, and the daemon's maintenance deletes them; then the
	// database is compacted, as the daemon does after deleting keys.
	later := nowFunc().Add(PrekeyLifetime + KeyGrace + time.Minute)
	for _, n := range []*fsNode{a, b} {
		if _, err := n.prekeys.maintain(later); err != nil {
			t.Fatal(err)
		}
		n.sess.expire(topic, later)
		n.groups.expire("team", later)
		if slices.Contains(n.subs.watchedTopics(), bg.Topic) {
			t.Fatal("the first group epoch's topic is still watched after its key was deleted")
		}
		if err := n.purgeKeys(ctx); err != nil {
			t.Fatal(err)
		}
	}
	a.stop(t)
	b.stop(t)
	a.Node, b.Node = nil, nil

	recording := append(b.tap.packets(t), a.tap.packets(t)...)
	for _, f := range []*fsNode{a, b} {
		attack(t, f.home, f.dir, before, recording, secrets)
	}
}

// attack is what a thief with the node's home does: load the keystore, and
// read the database back the way the daemon does (its own loaders), then
// try to open the packets recorded before the rekey with every key there.
// It also looks for the old keys' bytes in every value and every file.
func attack(t *testing.T, home, dir string, before, recording []*Packet, secrets [][]byte) {
	t.Helper()
	// No old key is in any file, read before Pebble opens them (opening
	// replays and may rewrite the write-ahead log): not in a table, a log,
	// or a file left to delete.
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		defer f.Close()
		b, err := io.ReadAll(f)
		if err != nil {
			return err
		}
		for _, s := range secrets {
			if bytes.Contains(b, s) || bytes.Contains(b, []byte(hex.EncodeToString(s))) {
				return errors.New(filepath.Base(path) + " holds an old key")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(home), err)
	}
	id, err := identity.Load(home, fsPassword)
	if err != nil {
		t.Fatal(err)
	}
	db, err := kv.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{id: id, pub: id.Public(), opener: seal.NewOpener(id.Enc), db: db, log: slog.New(slog.DiscardHandler)}
	n.self = n.pub.Overlay()
	n.prekeys = newPrekeys(n)
	n.sess = newSessions(n)
	n.groups = newGroups(n)
	n.sess.n = nil // opening only: no freshness check, no rekey step

	var offers []*sessionOffer
	for _, p := range recording {
		if p.Kind != KindData {
			continue
		}
		// The static key opens the first-contact layer: that is expected,
		// and is why nothing secret may depend on it alone.
		env, err := OpenPacket(n.opener, p)
		if err != nil {
			continue
		}
		switch env.Topic {
		case SessionTopic:
			if o, err := decodeSessionOffer(env.Payload); err == nil {
				offers = append(offers, o)
			}
		case GroupTopic:
			if inner, err := openInvite(n, env.Payload); err == nil {
				if v, err := decodeGroupInvite(inner); err == nil && v.Epoch == 1 {
					t.Fatalf("%s: the first group key was recovered from disk", filepath.Base(home))
				}
			}
		}
	}
	// An offer's key for epoch 1 needs the private half of the key it was
	// agreed with: the prekey (deleted) or, as before, the static key.
	for _, o := range offers {
		var opener *seal.Opener
		if o.To == n.pub.Enc {
			opener = n.opener
		} else {
			opener = n.prekeys.opener(o.To)
		}
		if opener == nil {
			continue
		}
		secret, err := opener.DH(&o.Eph)
		if err != nil {
			continue
		}
		k1 := sessionKey(secret, nil, o.Topic, 1)
		for _, p := range before {
			if _, err := seal.OpenSym(nil, &k1, p.Eph[:seal.NonceSize], p.Body, p.header()); err == nil {
				t.Fatalf("%s: the session's first key was recomputed from disk", filepath.Base(home))
			}
		}
	}
	for _, p := range before {
		var err error
		switch p.Kind {
		case KindSession:
			_, err = n.sess.openPacket(p)
		case KindGroup:
			_, err = n.groups.openPacket(p)
		default:
			continue
		}
		if !errors.Is(err, seal.ErrOpen) {
			t.Fatalf("%s: a packet recorded before the rekey opens with what is on disk (%v)", filepath.Base(home), err)
		}
	}
	// No old key is in any value the daemon reads, raw or in hex.
	err = db.Scan(nil, func(k, v []byte) error {
		for _, s := range secrets {
			if bytes.Contains(v, s) || bytes.Contains(v, []byte(hex.EncodeToString(s))) {
				return errors.New("a value under " + string(k[:min(len(k), 12)]) + " holds an old key")
			}
		}
		return nil
	})
	if err != nil {
		t.Fatalf("%s: %v", filepath.Base(home), err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
}

func fsLogger(t *testing.T) *slog.Logger {
	if os.Getenv("MF_TEST_LOG") == "" {
		return slog.New(slog.DiscardHandler)
	}
	return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// TestSessionRekeyOrder: both sides propose a rekey at once (the opener's
// proposal wins), and a packet sealed before the rekey but delivered after
// it still opens during the grace, and no longer after it.
func TestSessionRekeyOrder(t *testing.T) {
	ctx := t.Context()
	a := startFSNode(t, ctx, nil)
	defer a.stop(t)
	b := startFSNode(t, ctx, []string{a.Card().String()})
	defer b.stop(t)
	// Connected is not enough: a peer is a routing neighbour once identify
	// has shown it speaks /mf/route/1.
	waitFor(t, "the two nodes to take each other as neighbours", func() bool {
		return len(a.neighbours.Load().peers) > 0 && len(b.neighbours.Load().peers) > 0
	})
	if err := a.AddContact("b", b.Card(), nil); err != nil {
		t.Fatal(err)
	}
	if err := b.AddContact("a", a.Card(), nil); err != nil {
		t.Fatal(err)
	}
	topic, err := a.sess.open(b.Card(), 256)
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "session epoch 2 on both sides", func() bool {
		x := b.sess.get(topic)
		return a.sess.get(topic).Send == 2 && x != nil && x.Send == 2
	})
	// Sealed by b in epoch 2, held back (a slow relay).
	late, err := sealSession(b.sess.get(topic), 16, 256, 0, sessionControl{}, true, []byte("late"))
	if err != nil {
		t.Fatal(err)
	}
	late, _ = UnmarshalPacket(late.Marshal())
	// Both propose before either hears of the other.
	if err := b.sess.rekey(topic); err != nil {
		t.Fatal(err)
	}
	if err := a.sess.rekey(topic); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "session epoch 3 on both sides", func() bool {
		return a.sess.get(topic).Send == 3 && b.sess.get(topic).Send == 3
	})
	if x := b.sess.get(topic); x.Pending != nil {
		t.Fatalf("b still holds its losing proposal for epoch %d", x.Pending.Epoch)
	}
	sub := subscribe(t, a, topic)
	if _, err := b.SendSession(ctx, topic, 0, []byte("in epoch 3")); err != nil {
		t.Fatal(err)
	}
	receive(t, sub, "in epoch 3")
	if env, err := a.sess.openPacket(late); err != nil || string(env.Payload) != "late" {
		t.Fatalf("a packet of the previous epoch, within the grace: %v", err)
	}
	a.sess.expire(topic, nowFunc().Add(KeyGrace+time.Second))
	if _, err := a.sess.openPacket(late); !errors.Is(err, seal.ErrOpen) {
		t.Fatalf("a packet of the previous epoch, after the grace: %v", err)
	}
}
