package chat

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/mainframe/mf/pkg/chat/chatapi"
)

// A message mf-route took is sent, not delivered: mf-route keeps no copy
// for a node that is offline, or whose mf-chat is not running and whose
// mf-route dropped it. So a message stays in a second list, a/<cid><id>,
// from when mf-route took it until every recipient's mf-chat acknowledged
// it (for a group: every member at that moment), and is sent again, under
// its id, at growing intervals, up to ResendFor: the receiver keeps one
// copy per id, so a message sent twice still shows once, in its place by
// its Lamport clock. To a contact that has mf-hold delegates, mf-route
// sends each session packet to them too; once they signed for one (the
// certified packet's record says held), the message is held: it is sent
// again only hourly, and its receipt comes when the contact fetches it.

// ResendFor is how long an unacknowledged message is sent again.
const ResendFor = 7 * 24 * time.Hour

// heldResendEvery is how often a message the contact's delegates hold is
// sent again all the same: they signed for it, but until a court takes a
// delegate that lost a packet to task, an hourly copy bounds what a lost
// one costs (mf-hold keeps one copy per packet; a copy is a new packet).
const heldResendEvery = time.Hour

type awaitEntry struct {
	Conv    string `json:"conv"`
	ID      string `json:"id"`
	Payload []byte `json:"payload"`
	// Packets are the ids of the certified packets it went in (to a
	// contact), whose receipts mf-route collects.
	Packets []string `json:"packets,omitempty"`
	Tries   int      `json:"tries"`
	// Acked: the recipient's mf-chat acknowledged it; only its receipt
	// is still looked for, until Next.
	Acked bool `json:"acked,omitempty"`
	// Held: the contact's delegates signed for a packet it went in; it
	// is sent again only every heldResendEvery, and its receipt looked
	// for, up to ResendFor.
	Held bool `json:"held,omitempty"`
	// Mailed: it went to the contact's mf-db mailbox too; MailTries
	// counts the tries (a contact that has no mailbox yet, or whose row
	// a provider has not caught up with, is asked again, up to
	// maxMailTries); mailbox.go.
	Mailed    bool      `json:"mailed,omitempty"`
	MailTries int       `json:"mail_tries,omitempty"`
	Next      time.Time `json:"next"`
	First     time.Time `json:"first,omitzero"`
}

func awaitKey(cid []byte, id string) []byte {
	k := idKey(cid, id)
	k[0] = 'a'
	return k
}

// resendAfter is the wait before try n+1: 3 s, doubling, at most a
// minute.
func resendAfter(n int) time.Duration {
	d := 3 * time.Second
	for range min(n, 5) {
		d *= 2
	}
	return min(d, time.Minute)
}

// acked drops message id of c from the waiting list once everyone it went
// to acknowledged it; callers hold mu.
func (s *Service) acked(c *convRecord, id string) {
	m, _, err := s.st.message(c.ID, id)
	if err != nil || !m.Mine || len(m.DeliveredTo)+len(m.Acked) == 0 {
		return
	}
	receipted := c.Kind == chatapi.KindContact && m.Receipt != ""
	if c.Kind == chatapi.KindGroup {
		receipted = true
		for _, member := range c.Members {
			if !slices.Contains(m.DeliveredTo, member) {
				receipted = false
				if !slices.Contains(m.Acked, member) {
					return
				}
			}
		}
	}
	key := awaitKey(s.st.cid(c.ID), id)
	var e awaitEntry
	if !receipted && s.st.getJSON(key, &e) == nil && len(e.Packets) > 0 && !e.Acked {
		// Acknowledged by the recipients' mf-chat: nothing is sent
		// again, but mf-route's signed receipts are looked for a while
		// longer, to keep with the message (and, in a group, to give it
		// its state).
		e.Acked, e.Next = true, time.Now().Add(time.Minute)
		b := s.st.db.NewBatch()
		s.st.setJSON(b, key, e)
		_ = b.Commit()
		return
	}
	if e.Acked && time.Now().Before(e.Next) {
		return
	}
	_ = s.st.db.Delete(key)
}

// resender sends unacknowledged messages again when they are due.
func (s *Service) resender(ctx context.Context) {
	t := time.NewTicker(500 * time.Millisecond)
	defer t.Stop()
	// A message held already when this process first sees it is sent
	// once more: the contact may be back and its acknowledgement lost
	// (sent while this node was away, before the contact's node could
	// reach this node's delegates).
	seen := map[string]bool{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		s.mu.Lock()
		up := s.routeUp
		s.mu.Unlock()
		if !up {
			continue
		}
		now := time.Now()
		var due []awaitEntry
		var keys [][]byte
		_ = s.st.db.Scan([]byte("a/"), func(k, v []byte) error {
			pt, err := s.st.open(k, v)
			if err != nil {
				return nil
			}
			var e awaitEntry
			// Due to be sent again, or with receipts to look for.
			if json.Unmarshal(pt, &e) == nil && (now.After(e.Next) || len(e.Packets) > 0) {
				due = append(due, e)
				keys = append(keys, append([]byte(nil), k...))
			}
			return nil
		})
		for i, e := range due {
			if e.First.IsZero() {
				e.First = now
			}
			s.mu.Lock()
			c, ok := s.convs[e.Conv]
			left := ok && c.Left
			if ok {
				// A kicked member's missing acknowledgement holds up
				// nothing.
				s.acked(c, e.ID)
			}
			// Read again: acked may have changed or removed it.
			first := e.First
			err := s.st.getJSON(keys[i], &e)
			e.First = first
			s.mu.Unlock()
			if err != nil {
				continue
			}
			if !ok || left || now.Sub(e.First) > ResendFor {
				_ = s.st.db.Delete(keys[i])
				continue
			}
			held := e.Held
			if !seen[e.ID] {
				seen[e.ID] = true
				if e.Held {
					e.Next = now.Add(-time.Millisecond)
				}
			}
			if !now.After(e.Next) || e.Acked {
				if !s.receipted(ctx, c, &e) && e.Held != held {
					s.saveAwait(keys[i], &e)
				}
				continue
			}
			if s.receipted(ctx, c, &e) {
				continue
			}
			if e.Held != held {
				s.saveAwait(keys[i], &e)
				continue
			}
			sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			packet, err := s.transmitOnce(sctx, e.Conv, e.Payload)
			cancel()
			if err != nil {
				s.log.Debug("sending again", "err", err)
			}
			e.Packets = append(e.Packets, nonEmpty(packet)...)
			if len(e.Packets) > 16 {
				e.Packets = e.Packets[len(e.Packets)-16:]
			}
			e.Tries++
			e.Next = time.Now().Add(resendAfter(e.Tries))
			if e.Held {
				e.Next = time.Now().Add(heldResendEvery)
			}
			if e.Tries >= mailAfter && !e.Mailed && e.MailTries < maxMailTries && c.Kind == chatapi.KindContact {
				e.MailTries++
				// Still not acknowledged: the contact may be away; its
				// mailbox keeps the message for it.
				mctx, cancel := context.WithTimeout(ctx, 30*time.Second)
				err := s.mail(mctx, c, e.Payload)
				cancel()
				switch {
				case err == nil:
					e.Mailed = true
					s.mu.Lock()
					s.update(c, e.ID, func(m *chatapi.Message) bool {
						if !m.Mine || m.State != chatapi.StateSent {
							return false
						}
						m.Reason = "left in " + c.Name + "'s mf-db mailbox"
						return true
					})
					s.mu.Unlock()
				case errors.Is(err, errNoMailbox):
				default:
					// Tried again with the next try; the reason shows.
					s.log.Info("leaving a message in a mailbox", "to", c.Name, "err", err)
					s.mu.Lock()
					s.update(c, e.ID, func(m *chatapi.Message) bool {
						if !m.Mine || m.State != chatapi.StateSent {
							return false
						}
						m.Reason = "not left in " + c.Name + "'s mf-db mailbox: " + err.Error()
						return true
					})
					s.mu.Unlock()
				}
			}
			s.saveAwait(keys[i], &e)
		}
	}
}

// saveAwait writes e back to the waiting list, only if it is still
// there: an acknowledgement or a receipt may have taken it out.
func (s *Service) saveAwait(key []byte, e *awaitEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := s.st.db.Get(key); err == nil {
		b := s.st.db.NewBatch()
		s.st.setJSON(b, key, *e)
		_ = b.Commit()
	}
}

func nonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// receipted looks for the recipient's signed receipt of any packet e went
// in. With one, the message is delivered on mf-route's proof: the receipt
// is kept with it and e leaves the waiting list. Without one, a packet the
// contact's delegates signed hold receipts for makes the message held
// (e.Held), which stops the sending again.
func (s *Service) receipted(ctx context.Context, c *convRecord, e *awaitEntry) bool {
	if c.Kind == chatapi.KindGroup {
		return s.groupReceipted(ctx, c, e)
	}
	for _, p := range e.Packets {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		rec, err := s.rc.Receipt(rctx, p)
		cancel()
		if err == nil && rec.Status == "held" && len(rec.HeldBy) > 0 && !e.Held {
			e.Held, e.Next = true, time.Now().Add(heldResendEvery)
			s.mu.Lock()
			s.update(c, e.ID, func(m *chatapi.Message) bool {
				if !m.Mine || (m.State != chatapi.StateSent && m.State != chatapi.StateSending) {
					return false
				}
				m.State = chatapi.StateHeld
				m.Reason = fmt.Sprintf("%d of %s's delegates hold it", len(rec.HeldBy), c.Name)
				return true
			})
			s.mu.Unlock()
		}
		if err != nil || rec.Status != "delivered" || rec.Receipt == nil {
			continue
		}
		s.mu.Lock()
		s.update(c, e.ID, func(m *chatapi.Message) bool {
			if !m.Mine {
				return false
			}
			m.Receipt = rec.Receipt.Receipt
			if !slices.Contains(m.DeliveredTo, c.Name) {
				m.DeliveredTo = append(m.DeliveredTo, c.Name)
			}
			m.State, m.Reason = chatapi.StateDelivered, ""
			return true
		})
		_ = s.st.db.Delete(awaitKey(s.st.cid(c.ID), e.ID))
		s.mu.Unlock()
		return true
	}
	return false
}

// groupReceipted is receipted in a group: each member's signed receipt of
// any packet e went in marks the message delivered to it; once every
// member signed, e leaves the waiting list.
func (s *Service) groupReceipted(ctx context.Context, c *convRecord, e *awaitEntry) bool {
	got := map[string]string{}
	for _, p := range e.Packets {
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		rec, err := s.rc.GroupReceipt(rctx, p)
		cancel()
		if err != nil {
			continue
		}
		s.mu.Lock()
		for _, m := range rec.Members {
			if m.Receipt != nil {
				got[s.nameOf(m.Overlay, m.Name)] = m.Receipt.Receipt
			}
		}
		s.mu.Unlock()
	}
	if len(got) == 0 {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	all := false
	s.update(c, e.ID, func(m *chatapi.Message) bool {
		if !m.Mine {
			return false
		}
		changed := false
		for name, rc := range got {
			if m.Receipts[name] != "" {
				continue
			}
			if m.Receipts == nil {
				m.Receipts = map[string]string{}
			}
			m.Receipts[name] = rc
			if !slices.Contains(m.DeliveredTo, name) {
				m.DeliveredTo = append(m.DeliveredTo, name)
			}
			m.State, m.Reason = chatapi.StateDelivered, ""
			changed = true
		}
		all = true
		for _, member := range c.Members {
			all = all && m.Receipts[member] != ""
		}
		return changed
	})
	if all {
		_ = s.st.db.Delete(awaitKey(s.st.cid(c.ID), e.ID))
	}
	return all
}
