package chat

import (
	"context"
	"encoding/json"
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
// its Lamport clock. This is what mf-chat does on its own; mf-hold's
// delegates (offline delivery) will take over the waiting when they land.

// ResendFor is how long an unacknowledged message is sent again.
const ResendFor = 7 * 24 * time.Hour

type awaitEntry struct {
	Conv    string    `json:"conv"`
	ID      string    `json:"id"`
	Payload []byte    `json:"payload"`
	Tries   int       `json:"tries"`
	Next    time.Time `json:"next"`
	First   time.Time `json:"first,omitzero"`
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
	if err != nil || !m.Mine || len(m.DeliveredTo) == 0 {
		return
	}
	if c.Kind == chatapi.KindGroup {
		for _, member := range c.Members {
			if !slices.Contains(m.DeliveredTo, member) {
				return
			}
		}
	}
	_ = s.st.db.Delete(awaitKey(s.st.cid(c.ID), id))
}

// resender sends unacknowledged messages again when they are due.
func (s *Service) resender(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
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
			if json.Unmarshal(pt, &e) == nil && now.After(e.Next) {
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
			_, err := s.st.db.Get(keys[i])
			s.mu.Unlock()
			if err != nil {
				continue
			}
			if !ok || left || now.Sub(e.First) > ResendFor {
				_ = s.st.db.Delete(keys[i])
				continue
			}
			sctx, cancel := context.WithTimeout(ctx, 15*time.Second)
			err = s.transmitOnce(sctx, e.Conv, e.Payload)
			cancel()
			if err != nil {
				s.log.Debug("sending again", "err", err)
			}
			e.Tries++
			e.Next = time.Now().Add(resendAfter(e.Tries))
			s.mu.Lock()
			// Only if still waiting: an acknowledgement may have come.
			if _, err := s.st.db.Get(keys[i]); err == nil {
				b := s.st.db.NewBatch()
				s.st.setJSON(b, keys[i], e)
				_ = b.Commit()
			}
			s.mu.Unlock()
		}
	}
}
