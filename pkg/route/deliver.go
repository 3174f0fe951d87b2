package route

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
)

// Packets that arrive for a topic nobody listens to wait in the inbox
// (inbox/<topic>\x00<seq>: inboxEntry) until a listener comes; a listener
// drains them first, oldest first. The inbox is bounded so that strangers
// cannot fill the disk, and shared so that they cannot crowd out contacts:
// one sender holds at most maxInboxPerSender entries, and senders who are
// not contacts (identities cost nothing to make) at most maxInboxStrangers
// together. What does not fit is counted as dropped (inbox_full).
const (
	inboxPrefix       = "inbox/"
	maxInbox          = 10000
	maxInboxPerSender = 1000
	maxInboxStrangers = maxInbox / 2
)

// inboxEntry is a message as the inbox stores it: whether its sender was a
// stranger is kept with it, so that the count it was charged to is the one
// it is given back to, whatever the contact book says by then.
type inboxEntry struct {
	*Message
	Stranger bool `json:"stranger,omitempty"`
}

func decodeInboxEntry(b []byte) (inboxEntry, error) {
	e := inboxEntry{Message: &Message{}}
	if err := json.Unmarshal(b, &e); err != nil {
		// A damaged entry still takes room; it is charged to nobody.
		return inboxEntry{Message: &Message{}}, err
	}
	return e, nil
}

// inboxUse counts what the inbox holds, for its quotas.
type inboxUse struct {
	total, strangers int
	bySender         map[identity.Overlay]int
}

// take charges one entry from sender, or reports that it does not fit.
func (u *inboxUse) take(sender identity.Overlay, stranger bool) bool {
	if u.total >= maxInbox || u.bySender[sender] >= maxInboxPerSender || stranger && u.strangers >= maxInboxStrangers {
		return false
	}
	u.add(sender, stranger, 1)
	return true
}

// give returns what v counts.
func (u *inboxUse) give(v *inboxUse) {
	for o, k := range v.bySender {
		u.add(o, false, -k)
	}
	u.strangers -= v.strangers
}

func (u *inboxUse) add(sender identity.Overlay, stranger bool, d int) {
	if u.bySender == nil {
		u.bySender = map[identity.Overlay]int{}
	}
	u.total += d
	if stranger {
		u.strangers += d
	}
	if u.bySender[sender] += d; u.bySender[sender] <= 0 {
		delete(u.bySender, sender)
	}
}

type subscriber struct {
	topic string
	ch    chan *Message
}

type subscriptions struct {
	n     *Node
	mu    sync.Mutex
	subs  map[string][]*subscriber
	ids   map[[4]byte]int
	seq   uint64
	inbox inboxUse
	// watched are the topics this node collects even with nobody
	// listening (watch/<topic> in the store): every topic ever listened
	// to, until `mf-route topics rm`. Dark packets are only tried on
	// watched topics.
	watched map[string]bool
	wids    map[[4]byte]int

	done      chan struct{}
	closeOnce sync.Once

	// consumeMu makes check-and-delete of an inbox entry one step, so that
	// two listeners handed the same stored message count it out once.
	consumeMu sync.Mutex
}

const watchPrefix = "watch/"

func newSubscriptions(n *Node) *subscriptions {
	s := &subscriptions{n: n, subs: map[string][]*subscriber{}, ids: map[[4]byte]int{}, watched: map[string]bool{}, wids: map[[4]byte]int{}, done: make(chan struct{})}
	for _, t := range daemonTopics {
		s.wids[TopicID(t)]++
	}
	_ = n.db.Scan([]byte(watchPrefix), func(k, _ []byte) error {
		t := string(k[len(watchPrefix):])
		s.watched[t] = true
		s.wids[TopicID(t)]++
		return nil
	})
	// Count what earlier runs left in the inbox, and continue its sequence.
	_ = n.db.Scan([]byte(inboxPrefix), func(k, v []byte) error {
		e, _ := decodeInboxEntry(v)
		s.inbox.add(e.From, e.Stranger, 1)
		if len(k) >= 8 {
			s.seq = max(s.seq, binary.BigEndian.Uint64(k[len(k)-8:]))
		}
		return nil
	})
	return s
}

func (s *subscriptions) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, l := range s.subs {
		n += len(l)
	}
	return n
}

// watches reports whether packets with topic id t may be for this node: a
// listener, a watched topic or a daemon topic has that id.
func (s *subscriptions) watches(t [4]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[t] > 0 || s.wids[t] > 0
}

// listening reports whether a live listener has topic id t: a relay that
// listens tries to open packets on it (and shows it cannot).
func (s *subscriptions) listening(t [4]byte) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ids[t] > 0
}

// BenchTopic is the topic mf-route bench sends on.
const BenchTopic = "mf/bench"

// daemonTopics are always watched, so that bench packets, session offers
// and group keys arrive at any luminosity.
var daemonTopics = append([]string{BenchTopic}, controlTopics...)

// controlTopics carry the daemon's own messages: nobody sends on them
// through the API.
var controlTopics = []string{SessionTopic, GroupTopic, GroupAckTopic, GroupReceiptTopic, HoldReceiptTopic}

// watch makes topic watched, durably.
func (s *subscriptions) watch(topic string) error { return s.watchUpTo(topic, 0) }

// errWatchFull: the topic would be one more than the bound.
var errWatchFull = errors.New("route: too many watched topics")

// watchUpTo is watch that refuses a new topic when limit (if not 0) are
// watched already.
func (s *subscriptions) watchUpTo(topic string, limit int) error {
	s.mu.Lock()
	if s.watched[topic] {
		s.mu.Unlock()
		return nil
	}
	if limit > 0 && len(s.watched) >= limit {
		s.mu.Unlock()
		return errWatchFull
	}
	s.watched[topic] = true
	s.wids[TopicID(topic)]++
	s.mu.Unlock()
	return s.n.db.Set([]byte(watchPrefix+topic), nil)
}

// unwatch stops collecting topic and empties its inbox (a topic that was
// never watched may still hold packets that arrived for nobody). It reports
// whether there was anything to drop.
func (s *subscriptions) unwatch(topic string) (bool, error) {
	s.mu.Lock()
	was := s.watched[topic]
	if was {
		delete(s.watched, topic)
		id := TopicID(topic)
		if s.wids[id]--; s.wids[id] <= 0 {
			delete(s.wids, id)
		}
	}
	s.mu.Unlock()
	s.consumeMu.Lock()
	defer s.consumeMu.Unlock()
	var keys [][]byte
	var use inboxUse
	_ = s.n.db.Scan(inboxKeyPrefix(topic), func(k, v []byte) error {
		keys = append(keys, append([]byte(nil), k...))
		e, _ := decodeInboxEntry(v)
		use.add(e.From, e.Stranger, 1)
		return nil
	})
	if !was && len(keys) == 0 {
		return false, nil
	}
	b := s.n.db.NewBatch()
	b.Delete([]byte(watchPrefix + topic))
	for _, k := range keys {
		b.Delete(k)
	}
	if err := b.Commit(); err != nil {
		return true, err
	}
	s.mu.Lock()
	s.inbox.give(&use)
	s.mu.Unlock()
	return true, nil
}

// watchedTopics lists the watched topics.
func (s *subscriptions) watchedTopics() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.watched))
	for t := range s.watched {
		out = append(out, t)
	}
	return out
}

// subscribe registers a listener; packets already waiting in the inbox for
// the topic are returned so the caller hands them out before live ones. A
// topic not yet watched is refused when MaxTopics are (errTooManyTopics).
func (s *subscriptions) subscribe(topic string) (*subscriber, []*Message, [][]byte, error) {
	if err := s.watchUpTo(topic, s.n.opts.MaxTopics); errors.Is(err, errWatchFull) {
		return nil, nil, nil, s.n.errTooManyTopics(topic)
	} else if err != nil {
		s.n.log.Warn("watching topic", "topic", topic, "err", err)
	}
	sub := &subscriber{topic: topic, ch: make(chan *Message, 1024)}
	s.mu.Lock()
	s.subs[topic] = append(s.subs[topic], sub)
	s.ids[TopicID(topic)]++
	s.mu.Unlock()
	var waiting []*Message
	var keys [][]byte
	_ = s.n.db.Scan(inboxKeyPrefix(topic), func(k, v []byte) error {
		if e, err := decodeInboxEntry(v); err == nil {
			waiting = append(waiting, e.Message)
			keys = append(keys, append([]byte(nil), k...))
		}
		return nil
	})
	return sub, waiting, keys, nil
}

// consumed removes a message handed to a listener from the inbox.
func (s *subscriptions) consumed(key []byte) {
	s.consumeMu.Lock()
	defer s.consumeMu.Unlock()
	v, err := s.n.db.Get(key)
	if err != nil {
		return // already taken out by another listener
	}
	// Not waiting for the disk: the listener has the message already, and
	// a crash that undoes the removal hands it out once more, as a crash
	// just before it would. A synced removal per message held a
	// returning node's 10,000 held packets to the disk's pace.
	if err := s.n.db.DeleteLazy(key); err == nil {
		e, _ := decodeInboxEntry(v)
		s.mu.Lock()
		s.inbox.add(e.From, e.Stranger, -1)
		s.mu.Unlock()
	}
}

// unsubscribe removes sub; whatever it had not yet handed out goes back to
// the inbox, so a listener that stops after --count loses nothing.
func (s *subscriptions) unsubscribe(sub *subscriber) {
	s.mu.Lock()
	list := s.subs[sub.topic]
	for i, x := range list {
		if x == sub {
			list = append(list[:i:i], list[i+1:]...)
			break
		}
	}
	if len(list) == 0 {
		delete(s.subs, sub.topic)
	} else {
		s.subs[sub.topic] = list
	}
	id := TopicID(sub.topic)
	if s.ids[id]--; s.ids[id] <= 0 {
		delete(s.ids, id)
	}
	s.mu.Unlock()
	for {
		select {
		case m := <-sub.ch:
			if m != nil && m.InboxKey == nil {
				s.store(m)
			}
		default:
			return
		}
	}
}

// closeAll ends every listener's stream. The channels are never closed (a
// publish may still be sending); listeners watch done instead, and what is
// left in their channels goes back to the inbox when they unsubscribe.
func (s *subscriptions) closeAll() {
	s.closeOnce.Do(func() { close(s.done) })
}

func inboxKeyPrefix(topic string) []byte {
	return []byte(inboxPrefix + topic + "\x00")
}

// store puts m in the inbox durably and returns its key, or nil when it
// did not fit (counted) or could not be written.
func (s *subscriptions) store(m *Message) []byte { return s.storeWith(m, nil) }

// storeWith is store, with also's writes in the same synced batch as the
// inbox entry (hold.go records a fetched packet's id so: a crash cannot
// leave it in the inbox without the record that stops a second delivery).
func (s *subscriptions) storeWith(m *Message, also func(*kv.Batch)) []byte {
	keys, err := s.storeMany([]*Message{m}, func(b *kv.Batch, _ int) {
		if also != nil {
			also(b)
		}
	})
	if err != nil {
		s.n.log.Warn("inbox", "err", err)
		return nil
	}
	return keys[0]
}

// publish hands m to every listener of its topic, or to the inbox when there
// is none. A listener that cannot keep up for a second gets the message
// through the inbox instead of blocking the network. With durable set (a
// certified packet, whose receipt says it arrived) m is stored first and
// handed out from there, so a crash after the receipt loses nothing. It
// reports whether m was taken: false only when the inbox had to drop it.
func (s *subscriptions) publish(m *Message, durable bool) bool {
	return s.publishWith(m, durable, nil)
}

// publishWith is publish, with also (durable only) written with the
// inbox entry (storeWith).
func (s *subscriptions) publishWith(m *Message, durable bool, also func(*kv.Batch)) bool {
	if durable {
		if m.InboxKey = s.storeWith(m, also); m.InboxKey == nil {
			return false
		}
	}
	return s.handOut(m, durable)
}

// storeMany is storeWith for many messages in one synced batch, with
// also(b, i) written beside ms[i]'s entry: a returning node's held
// packets cost one disk sync per page rather than one each. It returns
// each message's inbox key, nil for one the inbox had no room for; once
// a sender's message finds no room, its later ones are not stored
// either, so that none overtakes it.
func (s *subscriptions) storeMany(ms []*Message, also func(b *kv.Batch, i int)) ([][]byte, error) {
	keys := make([][]byte, len(ms))
	strangers := make([]bool, len(ms))
	full := map[identity.Overlay]bool{}
	bt := s.n.db.NewBatch()
	for i, m := range ms {
		if full[m.From] {
			continue
		}
		strangers[i] = !s.n.isContact(m.From)
		s.mu.Lock()
		if !s.inbox.take(m.From, strangers[i]) {
			s.mu.Unlock()
			s.n.stats.InboxFull.Add(1)
			full[m.From] = true
			continue
		}
		s.seq++
		seq := s.seq
		s.mu.Unlock()
		b, _ := json.Marshal(inboxEntry{Message: m, Stranger: strangers[i]})
		keys[i] = binary.BigEndian.AppendUint64(inboxKeyPrefix(m.Topic), seq)
		bt.Set(keys[i], b)
		also(bt, i)
	}
	if err := bt.Commit(); err != nil {
		s.mu.Lock()
		for i, k := range keys {
			if k != nil {
				s.inbox.add(ms[i].From, strangers[i], -1)
			}
		}
		s.mu.Unlock()
		return nil, err
	}
	return keys, nil
}

// handOut gives m to its topic's listeners (publishWith, once m is stored
// when durable).
func (s *subscriptions) handOut(m *Message, durable bool) bool {
	s.mu.Lock()
	list := append([]*subscriber(nil), s.subs[m.Topic]...)
	s.mu.Unlock()
	if len(list) == 0 {
		return durable || s.store(m) != nil
	}
	for _, sub := range list {
		select {
		case sub.ch <- m:
			continue
		default:
		}
		t := time.NewTimer(time.Second)
		select {
		case sub.ch <- m:
		case <-t.C:
			if !durable {
				s.store(m)
			}
		}
		t.Stop()
	}
	return true
}

// deliver hands an opened packet to its listeners, durably first when asked
// to, and reports whether it was taken.
func (n *Node) deliver(id [32]byte, env *Envelope, durable bool) bool {
	return n.deliverWith(id, env, durable, nil)
}

// deliverWith is deliver, with also written in the same batch as the
// inbox entry when there is one (durable, on a topic for listeners);
// also is not called when the packet goes elsewhere.
func (n *Node) deliverWith(id [32]byte, env *Envelope, durable bool, also func(*kv.Batch)) bool {
	n.stats.Delivered.Add(1)
	m := newMessage(id, env)
	if env.Flags&FlagBench != 0 {
		n.bench.ack(id, env, m.Received)
		return true
	}
	if n.takeControl(env) {
		return true
	}
	return n.subs.publishWith(m, durable, also)
}

// newMessage is an opened packet as listeners get it.
func newMessage(id [32]byte, env *Envelope) *Message {
	return &Message{
		ID:       fmt.Sprintf("%x", id),
		From:     env.Sender.Overlay(),
		PeerID:   env.Sender.PeerID().String(),
		Address:  env.Sender.Address().Hex(),
		Topic:    env.Topic,
		Payload:  env.Payload,
		Sent:     env.Sent,
		Received: time.Now(),
	}
}

// forListeners reports whether a packet goes to its topic's listeners
// (and the inbox), not to the node itself (takeControl) or the bench.
func forListeners(env *Envelope) bool {
	if env.Flags&FlagBench != 0 {
		return false
	}
	switch env.Topic {
	case SessionTopic, GroupTopic, GroupAckTopic, GroupReceiptTopic, sessionControlTopic, HoldReceiptTopic:
		return false
	}
	return true
}

// takeControl hands a packet on one of the node's own topics to the part
// of the node it is for, and reports whether it was one.
func (n *Node) takeControl(env *Envelope) bool {
	switch env.Topic {
	case SessionTopic:
		n.sess.accept(env)
		return true
	case GroupTopic:
		n.groups.accept(env)
		return true
	case GroupAckTopic:
		n.groups.acked(env)
		return true
	case GroupReceiptTopic:
		n.grcpts.received(env) // groupreceipt.go
		return true
	case sessionControlTopic:
		return true // a rekey message, taken by the session when it opened
	case HoldReceiptTopic:
		n.hold.takeReceipt(env)
		return true
	}
	return false
}
