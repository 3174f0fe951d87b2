package chat

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// newTestService opens a service on a real Pebble in a temporary home,
// with no mf-route (its socket does not exist): the queue fills, nothing
// leaves.
func newTestService(t testing.TB, noIndex bool) (*Service, func(), string) {
	var closeDB func()
	t.Helper()
	home := t.TempDir()
	db, err := kv.Open(filepath.Join(home, DataDir))
	if err != nil {
		t.Fatal(err)
	}
	id, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(db, id, routeapi.NewClient(home), slog.New(slog.NewTextHandler(io.Discard, nil)), Options{NoIndex: noIndex, IndexDir: filepath.Join(home, IndexDir)})
	if err != nil {
		t.Fatal(err)
	}
	closed := false
	t.Cleanup(func() {
		s.Close()
		if !closed {
			db.Close()
		}
	})
	closeDB = func() { closed = true; db.Close() }
	s.mu.Lock()
	c, _ := s.ensureConv(chatapi.KindContact, "bob")
	b := db.NewBatch()
	s.saveConv(b, c)
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	s.mu.Unlock()
	return s, closeDB, home
}

func peer(t testing.TB) identity.Overlay {
	id, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	return id.Public().Overlay()
}

// TestHistoryEncrypted: neither a message's words nor a contact's name
// reach the history's files in clear.
func TestHistoryEncrypted(t *testing.T) {
	s, closeDB, home := newTestService(t, true)
	if _, err := s.Send(chatapi.SendRequest{To: "bob", Text: "xylophone-secret-word"}); err != nil {
		t.Fatal(err)
	}
	closeDB()
	err := filepath.Walk(filepath.Join(home, DataDir), func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, w := range []string{"xylophone-secret-word", "contact:bob"} {
			if bytes.Contains(b, []byte(w)) {
				t.Errorf("%s holds %q in clear", p, w)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestHistoryKeyBound: a record does not open under another node's key,
// nor when moved to another key of the database.
func TestHistoryKeyBound(t *testing.T) {
	s, _, _ := newTestService(t, true)
	v := s.st.seal([]byte("m/a"), []byte("hello"))
	if _, err := s.st.open([]byte("m/b"), v); !errors.Is(err, errSealed) {
		t.Errorf("moved record opened: %v", err)
	}
	other, _, _ := newTestService(t, true)
	if _, err := other.st.open([]byte("m/a"), v); !errors.Is(err, errSealed) {
		t.Errorf("another node's key opened it: %v", err)
	}
}

func recv(t *testing.T, s *Service, from identity.Overlay, e envelope) bool {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.receiveMsg(s.convs["contact:bob"], &e, &routeapi.Message{From: from}, "bob")
}

// TestOrderDespiteSkew: messages sort by the conversation's Lamport clock,
// so a peer whose clock is a century ahead does not jump the queue, and a
// hostile clock cannot push every later message behind its own for good.
func TestOrderDespiteSkew(t *testing.T) {
	s, _, _ := newTestService(t, true)
	bob := peer(t)
	send := func(text string) {
		if _, err := s.Send(chatapi.SendRequest{To: "bob", Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	send("1 mine")
	recv(t, s, bob, envelope{V: 1, T: kindMsg, ID: newID(), Clock: 2, Sent: time.Date(2126, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), Text: "2 bob, clock a century ahead"})
	send("3 mine")
	recv(t, s, bob, envelope{V: 1, T: kindMsg, ID: newID(), Clock: 1 << 62, Text: "4 bob, hostile clock"})
	send("5 mine")
	ms, err := s.st.lastMessages("contact:bob", 0)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range ms {
		got = append(got, m.Text[:1])
	}
	if strings.Join(got, "") != "12345" {
		t.Errorf("order %v", got)
	}
	if ms[3].Clock > 1<<21 {
		t.Errorf("hostile clock kept: %d", ms[3].Clock)
	}
}

// TestNoDuplicates: a message id is kept once per conversation, however
// often it arrives (a sender that sends again after a crash).
func TestNoDuplicates(t *testing.T) {
	s, _, _ := newTestService(t, true)
	bob := peer(t)
	e := envelope{V: 1, T: kindMsg, ID: newID(), Clock: 1, Text: "once"}
	for range 3 {
		if !recv(t, s, bob, e) {
			t.Fatal("not acknowledged")
		}
	}
	ms, _ := s.st.lastMessages("contact:bob", 0)
	if len(ms) != 1 || s.convs["contact:bob"].Unread != 1 {
		t.Errorf("%d messages, %d unread", len(ms), s.convs["contact:bob"].Unread)
	}
}

// TestSendIdempotent: the same id is the same message, queued once.
func TestSendIdempotent(t *testing.T) {
	s, _, _ := newTestService(t, true)
	id := newID()
	for range 2 {
		if _, err := s.Send(chatapi.SendRequest{To: "bob", Text: "hi", ID: id}); err != nil {
			t.Fatal(err)
		}
	}
	if q := s.queue(); len(q) != 1 {
		t.Errorf("queue holds %d entries", len(q))
	}
}

// TestQueueSurvivesRestart: what was queued is there after the database
// is opened again (as after a SIGKILL: every write was synced).
func TestQueueSurvivesRestart(t *testing.T) {
	s, closeDB, home := newTestService(t, true)
	for _, w := range []string{"a", "b", "c"} {
		if _, err := s.Send(chatapi.SendRequest{To: "bob", Text: w}); err != nil {
			t.Fatal(err)
		}
	}
	closeDB()
	db2, err := kv.Open(filepath.Join(home, DataDir))
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	st, _ := newStore(db2, s.st.aeadKey)
	s.st = st
	s.st.db = db2
	q := s.queue()
	if len(q) != 3 || q[0].Seq >= q[2].Seq {
		t.Fatalf("queue after reopening: %+v", q)
	}
}

func TestBadSend(t *testing.T) {
	s, _, _ := newTestService(t, true)
	tests := []struct {
		name string
		req  chatapi.SendRequest
		want string
	}{
		{"oversized", chatapi.SendRequest{To: "bob", Text: strings.Repeat("x", chatapi.MaxText+1)}, "over the 16384-byte limit"},
		{"unknown contact", chatapi.SendRequest{To: "nobody", Text: "hi"}, `no contact or group named "nobody"`},
		{"empty", chatapi.SendRequest{To: "bob", Text: "  "}, "empty message"},
		{"bad id", chatapi.SendRequest{To: "bob", Text: "hi", ID: "zz"}, "id must be 32 hex digits"},
		{"bad reference", chatapi.SendRequest{To: "bob", Text: "hi", ReplyTo: "nope"}, "must be 32 hex digits"},
		{"edit of nothing", chatapi.SendRequest{To: "bob", Text: "hi", Edit: newID()}, "no message"},
		{"poll of one", chatapi.SendRequest{To: "bob", Poll: &chatapi.Poll{Question: "q", Options: []string{"a"}}}, "2..16 options"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Send(tt.req)
			var le *localapi.Error
			if !errors.As(err, &le) || !strings.Contains(le.Message, tt.want) || le.Status >= 500 {
				t.Errorf("got %v, want a 4xx with %q", err, tt.want)
			}
		})
	}
}

// TestSearchIndex: a message is found by its words among many, through
// the index and, with --no-index, through the history.
func TestSearchIndex(t *testing.T) {
	for _, noIndex := range []bool{false, true} {
		s, _, _ := newTestService(t, noIndex)
		for i := range 200 {
			text := "ordinary chatter number"
			if i == 137 {
				text = "the quokka smiles"
			}
			if _, err := s.Send(chatapi.SendRequest{To: "bob", Text: text}); err != nil {
				t.Fatal(err)
			}
		}
		res, err := s.Search("quokka", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Messages) != 1 || res.Messages[0].Text != "the quokka smiles" {
			t.Errorf("noIndex=%v: %+v", noIndex, res.Messages)
		}
	}
}

func TestDecodeEnvelopeBad(t *testing.T) {
	id := newID()
	tests := []struct{ name, in, want string }{
		{"not json", "hello", "bad payload"},
		{"version", `{"v":2,"t":"msg","id":"` + id + `"}`, "version 2"},
		{"no id", `{"v":1,"t":"msg"}`, "id is not"},
		{"kind", `{"v":1,"t":"boom","id":"` + id + `"}`, "unknown kind"},
		{"ack empty", `{"v":1,"t":"ack","id":"` + id + `"}`, "an ack names"},
		{"edit no ref", `{"v":1,"t":"edit","id":"` + id + `"}`, "without a reference"},
		{"read no ref", `{"v":1,"t":"read","id":"` + id + `"}`, "without a reference"},
		{"read bad ref", `{"v":1,"t":"read","id":"` + id + `","r":"../x"}`, "reference is not 32 hex digits"},
		{"trailing", `{"v":1,"t":"msg","id":"` + id + `"} {}`, "trailing"},
		{"too big", `{"v":1,"t":"msg","id":"` + id + `","x":"` + strings.Repeat("x", MaxPayload) + `"}`, "over"},
		{"file ref", `{"v":1,"t":"msg","id":"` + id + `","f":{"ref":"../../etc","name":"a","size":1}}`, "64 or 128 hex digits"},
		{"file name", `{"v":1,"t":"msg","id":"` + id + `","f":{"ref":"` + strings.Repeat("ab", 32) + `","name":"","size":1}}`, "name is 1..255"},
		{"file size", `{"v":1,"t":"msg","id":"` + id + `","f":{"ref":"` + strings.Repeat("ab", 32) + `","name":"a","size":-1}}`, "out of range"},
		{"file on ack", `{"v":1,"t":"ack","id":"` + id + `","a":["` + id + `"],"f":{"ref":"` + strings.Repeat("ab", 32) + `","name":"a","size":1}}`, "attachment on a ack"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := decodeEnvelope([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want %q", err, tt.want)
			}
		})
	}
}

// FuzzDecodeEnvelope: no payload from a peer panics the decoder, and what
// it accepts keeps its bounds.
func FuzzDecodeEnvelope(f *testing.F) {
	id := "0123456789abcdef0123456789abcdef"
	for _, e := range []envelope{
		{V: 1, T: kindMsg, ID: id, Clock: 3, Text: "hi"},
		{V: 1, T: kindAck, ID: id, Acks: []string{id}},
		{V: 1, T: kindReact, ID: id, Ref: id, Text: "👍"},
		{V: 1, T: kindRead, ID: id, Ref: id},
		{V: 1, T: kindMsg, ID: id, Poll: &chatapi.Poll{Question: "q", Options: []string{"a", "b"}}},
		{V: 1, T: kindMsg, ID: id, File: &chatapi.Attachment{Ref: strings.Repeat("ab", 64), Name: "f.txt", Size: 3}},
	} {
		f.Add(e.marshal())
	}
	f.Add([]byte(`{"v":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEnvelope(b)
		if err != nil {
			return
		}
		if len(e.Text) > chatapi.MaxText || len(e.Acks) > MaxAcks || !validID(e.ID) {
			t.Fatalf("accepted out of bounds: %+v", e)
		}
		if e.File != nil && (chatapi.CheckAttachment(e.File) != nil || e.T != kindMsg) {
			t.Fatalf("accepted a bad attachment: %+v", e.File)
		}
	})
}

// TestIndexCatchesUp: the index never misses a message of the history. A
// message noted but not yet indexed when the daemon stopped (killed) is
// indexed after the restart, and a deleted index is filled again from the
// history. A stalled index holds up neither sending nor the status.
func TestIndexCatchesUp(t *testing.T) {
	home := t.TempDir()
	db, err := kv.Open(filepath.Join(home, DataDir))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	id, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	open := func() *Service {
		s, err := New(db, id, routeapi.NewClient(home), slog.New(slog.NewTextHandler(io.Discard, nil)), Options{IndexDir: filepath.Join(home, IndexDir)})
		if err != nil {
			t.Fatal(err)
		}
		s.mu.Lock()
		c, _ := s.ensureConv(chatapi.KindContact, "bob")
		b := db.NewBatch()
		s.saveConv(b, c)
		err = b.Commit()
		s.mu.Unlock()
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	send := func(s *Service, text string) {
		t.Helper()
		if _, err := s.Send(chatapi.SendRequest{To: "bob", Text: text}); err != nil {
			t.Fatal(err)
		}
	}
	find := func(s *Service, word string) {
		t.Helper()
		res, err := s.Search(word, 10)
		if err != nil || len(res.Messages) != 1 {
			t.Fatalf("search %q: %v %+v", word, err, res)
		}
	}
	s := open()
	for i := range 50 {
		send(s, fmt.Sprintf("chatter %d", i))
	}
	send(s, "the quokka smiles")
	// The indexer stops, as if the daemon were killed: the next message
	// is in the history and noted, not indexed.
	s.stopIx()
	<-s.ixDone
	send(s, "a wombat waves")
	s.Close()

	s = open()
	find(s, "wombat")
	find(s, "quokka")
	s.Close()

	// The index deleted: filled again from the history.
	if err := os.RemoveAll(filepath.Join(home, IndexDir)); err != nil {
		t.Fatal(err)
	}
	s = open()
	defer s.Close()
	for deadline := time.Now().Add(30 * time.Second); s.rebuilding.Load(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the index is not filled after 30 s")
		}
	}
	find(s, "wombat")
	find(s, "quokka")

	// A stalled index (its lock held) does not hold up a send or the
	// status, which take the service's lock.
	s.ixMu.Lock()
	done := make(chan struct{})
	go func() {
		defer close(done)
		send(s, "while the index stalls")
		s.mu.Lock()
		s.mu.Unlock()
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("a send waited for the index")
	}
	s.ixMu.Unlock()
	find(s, "stalls")
}

// TestSaveName: a peer's file name cannot leave the directory it is saved
// into, hide, or carry control characters.
func TestSaveName(t *testing.T) {
	for in, want := range map[string]string{
		"minutes.txt":      "minutes.txt",
		"../../etc/passwd": "passwd",
		"..\\..\\boot.ini": "boot.ini",
		"/abs/x":           "x",
		"..":               "attachment",
		".":                "attachment",
		"":                 "attachment",
		".bashrc":          "bashrc",
		"a\x1b[2Jb":        "a␛[2Jb",
		"tab\there":        "tab here",
	} {
		if got := saveName(in); got != want {
			t.Errorf("saveName(%q) = %q, want %q", in, got, want)
		}
	}
}
