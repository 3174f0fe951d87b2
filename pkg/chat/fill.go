package chat

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/daemon"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// fillWords are the words of the filler messages.
var fillWords = []string{"lunch", "meeting", "tomorrow", "slides", "coffee", "train", "late", "budget", "review", "weekend", "photos", "call", "deploy", "release", "dinner", "ticket"}

// Fill writes n messages of this node, delivered, round-robin over the
// contact conversations convs, straight into the history and the index in
// batches, as Send would have one by one; message n/2 is needle. It is
// the history the benchmarks and the tests of a large history start from
// (docs/benchmarks.md), not something a user does.
func (s *Service) Fill(convs []string, n int, needle string) error {
	self := s.self.String()
	s.mu.Lock()
	defer s.mu.Unlock()
	var cs []*convRecord
	for _, name := range convs {
		c, _ := s.ensureConv(chatapi.KindContact, name)
		cs = append(cs, c)
	}
	start := time.Now().Add(-time.Duration(n) * time.Minute)
	for lo := 0; lo < n; lo += 2000 {
		b := s.st.db.NewBatch()
		docs := map[string]indexDoc{}
		for i := lo; i < min(lo+2000, n); i++ {
			c := cs[i%len(cs)]
			c.Clock++
			c.Count++
			text := fmt.Sprintf("%s %s %s number %d", fillWords[i%len(fillWords)], fillWords[(i/7)%len(fillWords)], fillWords[(i/13)%len(fillWords)], i)
			if i == n/2 {
				text = needle
			}
			id := newID()
			m := chatapi.Message{ID: id, Conv: c.ID, From: "me", FromOverlay: self, Mine: true, Text: text, Sent: start.Add(time.Duration(i) * time.Minute), Clock: c.Clock, State: chatapi.StateDelivered}
			mk := msgKey(s.st.cid(c.ID), c.Clock, self, id)
			s.st.setJSON(b, mk, m)
			b.Set(idKey(s.st.cid(c.ID), id), mk)
			c.Last, c.Preview = m.Sent, preview(text)
			docs[docID(c.ID, id)] = indexDoc{Text: text, From: "me"}
		}
		for _, c := range cs {
			s.saveConv(b, c)
		}
		if err := b.Commit(); err != nil {
			return err
		}
		if s.ix != nil {
			if err := s.ix.batch(docs); err != nil {
				return err
			}
		}
	}
	return nil
}

// FillHome is Fill on the history of the node in home, whose mf-chat
// daemon must not be running.
func FillHome(home string, cfg config.Config, convs []string, n int, needle string) error {
	h, err := daemon.Open(home, "chat", cfg.Route)
	if err != nil {
		return err
	}
	defer h.Close()
	s, err := New(h.DB, h.Identity, routeapi.NewClient(home), slog.New(slog.DiscardHandler), Options{IndexDir: filepath.Join(home, IndexDir)})
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Fill(convs, n, needle)
}
