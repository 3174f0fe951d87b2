package chat

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/localapi"
)

// errUnknownConv: To names no contact, group or conversation.
var errUnknownConv = errors.New("chat: no such contact or group")

// resolveConv finds the conversation To names: an id (contact:NAME,
// group:NAME) or a name; callers hold mu.
func (s *Service) resolveConv(to string) (*convRecord, error) {
	if c, ok := s.convs[to]; ok {
		return c, nil
	}
	var found *convRecord
	for _, kind := range []string{chatapi.KindContact, chatapi.KindGroup} {
		if c, ok := s.convs[convID(kind, to)]; ok {
			if found != nil {
				return nil, localapi.BadRequest("%q is both a contact and a group: say contact:%s or group:%s", to, to, to)
			}
			found = c
		}
	}
	if found == nil {
		return nil, localapi.NotFound("no contact or group named %q; add one with /add NAME CARD (mf-chat add)", to)
	}
	return found, nil
}

// Send queues a message (or an edit, reaction or poll) and answers with
// it once it is on disk with its place in the queue.
func (s *Service) Send(req chatapi.SendRequest) (*chatapi.Message, error) {
	if len(req.Text) > chatapi.MaxText {
		return nil, localapi.Errorf(http.StatusRequestEntityTooLarge, "too_large", "message of %d bytes is over the %d-byte limit", len(req.Text), chatapi.MaxText)
	}
	if req.ID != "" && !validID(req.ID) {
		return nil, localapi.BadRequest("id must be 32 hex digits")
	}
	if req.ID == "" {
		req.ID = newID()
	}
	req.ID = strings.ToLower(req.ID)
	for _, r := range []string{req.ReplyTo, req.Edit, req.React} {
		if r != "" && !validID(r) {
			return nil, localapi.BadRequest("a message reference must be 32 hex digits, not %q", r)
		}
	}
	if p := req.Poll; p != nil && (len(p.Options) < 2 || len(p.Options) > maxPollOpts || len(p.Question) > maxPollText) {
		return nil, localapi.BadRequest("a poll has a question and 2..%d options", maxPollOpts)
	}
	if req.Attach != "" {
		return nil, localapi.BadRequest("a file to attach goes through the API (POST /v0/send), which stores it first")
	}
	if a := req.Attachment; a != nil {
		if err := chatapi.CheckAttachment(a); err != nil {
			return nil, localapi.BadRequest("%v", err)
		}
		if req.Edit != "" || req.React != "" {
			return nil, localapi.BadRequest("an edit or a reaction carries no attachment")
		}
	}
	if req.Poll == nil && req.Attachment == nil && req.Edit == "" && req.React == "" && strings.TrimSpace(req.Text) == "" {
		return nil, localapi.BadRequest("empty message")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.resolveConv(req.To)
	if err != nil {
		return nil, err
	}
	if c.Left {
		return nil, localapi.BadRequest("you left %s", c.Name)
	}
	cid := s.st.cid(c.ID)
	// Idempotent: the same id is the same message.
	if m, _, err := s.st.message(c.ID, req.ID); err == nil {
		return m, nil
	}
	now := time.Now()
	e := envelope{V: 1, ID: req.ID, Sent: now.UnixMilli(), Text: req.Text}
	b := s.st.db.NewBatch()
	var msg *chatapi.Message
	switch {
	case req.Edit != "" || req.React != "":
		ref := req.Edit
		e.T = kindEdit
		if req.React != "" {
			ref, e.T = req.React, kindReact
			if len(req.Text) > maxReaction || req.Text == "" {
				return nil, localapi.BadRequest("a reaction is 1..%d bytes", maxReaction)
			}
		}
		m, mk, err := s.st.message(c.ID, ref)
		if err != nil {
			return nil, localapi.NotFound("no message %s in %s", ref, c.Name)
		}
		if e.T == kindEdit && !m.Mine {
			return nil, localapi.BadRequest("only your own messages can be edited")
		}
		e.Ref = ref
		if e.T == kindEdit {
			m.Text, m.Edited = req.Text, true
		} else {
			addReaction(m, req.Text, "me")
		}
		s.st.setJSON(b, mk, m)
		// The change has an id of its own, kept so a retry is idempotent.
		b.Set(idKey(cid, req.ID), mk)
		msg = m
	default:
		e.T, e.Ref, e.Poll, e.File = kindMsg, req.ReplyTo, req.Poll, req.Attachment
		c.Clock++
		e.Clock = c.Clock
		msg = &chatapi.Message{ID: req.ID, Conv: c.ID, From: "me", FromOverlay: s.self.String(), Mine: true, Text: req.Text, Sent: now,
			Clock: c.Clock, State: chatapi.StateSending, ReplyTo: req.ReplyTo, Poll: req.Poll, Attachment: req.Attachment}
		mk := msgKey(cid, c.Clock, s.self.String(), req.ID)
		s.st.setJSON(b, mk, msg)
		b.Set(idKey(cid, req.ID), mk)
		c.Count++
		c.Last, c.Preview = now, preview(req.Text)
	}
	s.outSeq++
	s.st.setJSON(b, outKey(s.outSeq), outEntry{Seq: s.outSeq, Conv: c.ID, ID: req.ID, Payload: e.marshal(), Msg: e.T == kindMsg})
	s.saveConv(b, c)
	s.noteIndex(b, c.ID, msg.ID)
	if err := b.Commit(); err != nil {
		return nil, err
	}
	s.queued++
	wake(s.ixKick)
	s.emit(chatapi.Event{Kind: chatapi.EventMessage, Message: msg})
	s.emit(chatapi.Event{Kind: chatapi.EventConv, Conv: ptr(c.public())})
	wake(s.kick)
	return msg, nil
}

// queue reads the outgoing queue in order.
func (s *Service) queue() []outEntry {
	var out []outEntry
	_ = s.st.db.Scan([]byte("o/"), func(k, v []byte) error {
		pt, err := s.st.open(k, v)
		if err != nil {
			return nil
		}
		var e outEntry
		if json.Unmarshal(pt, &e) == nil {
			out = append(out, e)
		}
		return nil
	})
	return out
}

// sender hands the queue to mf-route, in order per conversation: an entry
// that cannot go yet holds back the later ones of its conversation.
func (s *Service) sender(ctx context.Context) {
	wait := 500 * time.Millisecond
	for {
		held := false
		blocked := map[string]bool{}
		for _, e := range s.queue() {
			if ctx.Err() != nil {
				return
			}
			if blocked[e.Conv] {
				continue
			}
			sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			var packet string
			var err error
			if e.Msg {
				packet, err = s.transmitMessage(sctx, e.Conv, e.Payload)
			} else {
				err = s.transmit(sctx, e.Conv, e.Payload)
			}
			cancel()
			switch {
			case err == nil:
				s.done(e, chatapi.StateSent, "", packet)
			case isPermanent(err):
				s.done(e, chatapi.StateFailed, reason(err), "")
			default:
				blocked[e.Conv] = true
				held = true
				s.retrying(e, reason(err))
			}
		}
		if !held {
			wait = 500 * time.Millisecond
		}
		t := time.NewTimer(wait)
		if held {
			// Back off while mf-route cannot take the queue, up to 5 s:
			// a peer coming back gets its messages within seconds.
			wait = min(wait*2, 5*time.Second)
		} else {
			t.Stop()
			t = time.NewTimer(time.Hour)
		}
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-s.kick:
		case <-t.C:
		}
		t.Stop()
	}
}

func reason(err error) string {
	if errors.Is(err, localapi.ErrNotRunning) {
		return "mf-route is not running"
	}
	return strings.TrimPrefix(err.Error(), "route: ")
}

// done takes an entry off the queue and gives its message state, in one
// batch.
func (s *Service) done(e outEntry, state, why, packet string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.st.db.NewBatch()
	b.Delete(outKey(e.Seq))
	m, mk, err := s.st.message(e.Conv, e.ID)
	changed := err == nil && m.Mine && m.State != chatapi.StateDelivered && m.ID == e.ID
	if changed {
		m.State, m.Reason = state, why
		s.st.setJSON(b, mk, m)
		if state == chatapi.StateSent {
			// Sent is not delivered: keep the packet until the recipients
			// acknowledge it (resend.go).
			s.st.setJSON(b, awaitKey(s.st.cid(e.Conv), e.ID), awaitEntry{Conv: e.Conv, ID: e.ID, Payload: e.Payload, Packets: nonEmpty(packet), Next: time.Now().Add(resendAfter(0))})
		}
	}
	if err := b.Commit(); err != nil {
		s.log.Warn("updating the queue", "err", err)
		return
	}
	s.queued--
	if changed {
		s.emit(chatapi.Event{Kind: chatapi.EventMessage, Message: m})
	}
}

// retrying records why an entry waits.
func (s *Service) retrying(e outEntry, why string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, mk, err := s.st.message(e.Conv, e.ID)
	if err != nil || !m.Mine || m.ID != e.ID || m.Reason == why {
		return
	}
	m.Reason = why
	b := s.st.db.NewBatch()
	s.st.setJSON(b, mk, m)
	if b.Commit() == nil {
		s.emit(chatapi.Event{Kind: chatapi.EventMessage, Message: m})
	}
}
