// Package chat is the mf-chat daemon: the history, the outgoing queue and
// the link to mf-route (whitepaper, "Use Cases → Onyx messaging app").
//
// Conversations are mf-route's: a contact is talked to over an mf-route
// session (its own topic and ratcheted key), a group over an mf-route
// group (one key per epoch, a new epoch when a member is kicked). The
// daemon listens on every session and group topic through routeapi, so
// messages arrive while no window is open, and mf-route keeps what comes
// while this daemon is down in its inbox until it listens again.
//
// Every message typed is written, with its place in the outgoing queue,
// in one synced batch before the caller hears back. The sender loop hands
// queue entries to mf-route in order per conversation and removes each
// only after mf-route took it, so a daemon killed in between sends it
// again after a restart, under the same id, and the receiver keeps one
// message per id: exactly once. Order per conversation follows Lamport
// clocks, never a wall clock, so a peer whose clock is wrong cannot move
// its messages before others'.
package chat

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// Options tune the service.
type Options struct {
	// NoIndex leaves the full-text index out; search then reads the
	// history.
	NoIndex bool
	// IndexDir is where the index lives (default: beside the database).
	IndexDir string
	// SyncEvery is how often mf-route's sessions, groups and contacts
	// are read again while mf-route cannot say when they change (default
	// 1 s); otherwise they are read when it says so.
	SyncEvery time.Duration
	// Home is the node's directory, where mf-db's socket is.
	Home string
	// EthRPC is the chain, and Names its name registry (directory.go;
	// empty: asked of a development chain).
	EthRPC, Names string
}

// Service is the running daemon.
type Service struct {
	st   *store
	ix   *index
	rc   *routeapi.Client
	id   *identity.Identity
	home string
	self identity.Overlay
	log  *slog.Logger
	opts Options

	mu    sync.Mutex
	convs map[string]*convRecord
	// names maps an overlay address to its contact name.
	names map[identity.Overlay]string
	// addrs, byAddr and overlays are the contacts' Ethereum addresses and
	// overlays, for their mailboxes (mailbox.go).
	addrs    map[string]common.Address
	byAddr   map[common.Address]string
	overlays map[string]identity.Overlay
	// listening maps a route topic to the cancel of its listener.
	listening map[string]context.CancelFunc
	topicConv map[string]string
	outSeq    uint64
	queued    int
	routeUp   bool
	away      string
	noTyping  bool
	noRead    bool // send no read receipts
	// openMu: one session is opened at a time (send).
	openMu  sync.Mutex
	typedAt map[string]time.Time // when a typing notice last went, per conversation
	subs    map[chan chatapi.Event]struct{}

	// ctx is Run's: listeners live as long as the service, whoever
	// started them.
	ctx context.Context

	kick chan struct{} // wakes the sender
	sync chan struct{} // wakes the route sync

	// The indexer (index.go) keeps bleve's work out from under mu.
	ixKick     chan struct{}
	ixMu       sync.Mutex // one flush or rebuild at a time
	rebuilding atomic.Bool
	stopIx     context.CancelFunc
	ixDone     chan struct{}
}

// New opens the service on db for the node id.
func New(db *kv.DB, id *identity.Identity, rc *routeapi.Client, log *slog.Logger, opts Options) (*Service, error) {
	st, err := newStore(db, historyKey(id))
	if err != nil {
		return nil, err
	}
	if opts.SyncEvery == 0 {
		opts.SyncEvery = time.Second
	}
	s := &Service{st: st, rc: rc, id: id, home: opts.Home, self: id.Public().Overlay(), log: log, opts: opts,
		convs: map[string]*convRecord{}, names: map[identity.Overlay]string{},
		addrs: map[string]common.Address{}, byAddr: map[common.Address]string{}, overlays: map[string]identity.Overlay{}, listening: map[string]context.CancelFunc{},
		topicConv: map[string]string{}, subs: map[chan chatapi.Event]struct{}{}, typedAt: map[string]time.Time{},
		kick: make(chan struct{}, 1), sync: make(chan struct{}, 1), ctx: context.Background(),
		ixKick: make(chan struct{}, 1), ixDone: make(chan struct{})}
	err = db.Scan([]byte("c/"), func(k, v []byte) error {
		pt, err := st.open(k, v)
		if err != nil {
			return err
		}
		var c convRecord
		if err := jsonUnmarshal(pt, &c); err != nil {
			return err
		}
		s.convs[c.ID] = &c
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("chat: reading the history: %w", err)
	}
	_ = db.Scan([]byte("o/"), func(k, _ []byte) error {
		s.outSeq = max(s.outSeq, binary.BigEndian.Uint64(k[2:]))
		s.queued++
		return nil
	})
	var away string
	if st.getJSON([]byte("s/away"), &away) == nil {
		s.away = away
	}
	var noTyping bool
	if st.getJSON([]byte("s/notyping"), &noTyping) == nil {
		s.noTyping = noTyping
	}
	var noRead bool
	if st.getJSON([]byte("s/noread"), &noRead) == nil {
		s.noRead = noRead
	}
	if opts.NoIndex {
		close(s.ixDone)
		return s, nil
	}
	ix, fresh, err := openIndex(opts.IndexDir)
	if err != nil {
		return nil, fmt.Errorf("chat: index: %w", err)
	}
	s.ix = ix
	// A new index (none yet, or a damaged one replaced) is filled from
	// the history, which is the record; search reads the history until
	// it is.
	s.rebuilding.Store(fresh)
	ictx, cancel := context.WithCancel(context.Background())
	s.stopIx = cancel
	go s.indexer(ictx, fresh)
	return s, nil
}

// Close stops the indexer and closes the index.
func (s *Service) Close() {
	if s.stopIx != nil {
		s.stopIx()
	}
	<-s.ixDone
	if s.ix != nil {
		_ = s.ix.close()
	}
}

// Run links the service to mf-route and sends the queue until ctx ends.
func (s *Service) Run(ctx context.Context) {
	s.mu.Lock()
	s.ctx = ctx
	s.mu.Unlock()
	go s.sender(ctx)
	go s.resender(ctx)
	go s.mailboxLoop(ctx)
	var version uint64
	for {
		s.syncRoute(ctx)
		var err error
		if version, err = s.waitRoute(ctx, version); err == nil {
			continue
		}
		// mf-route does not answer (or is too old to wait): look again
		// every SyncEvery.
		select {
		case <-ctx.Done():
			return
		case <-time.After(s.opts.SyncEvery):
		case <-s.sync:
		}
	}
}

// waitRoute waits until mf-route's contacts, sessions or groups change
// past version (a long poll of GET /v0/changes), or something here asks
// for a sync, and returns the version then. An idle daemon used to read
// all three every second, and woke mf-route as often.
func (s *Service) waitRoute(ctx context.Context, version uint64) (uint64, error) {
	pctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-s.sync:
			cancel()
		case <-pctx.Done():
		}
	}()
	v, err := s.rc.ChangesAfter(pctx, version, 30*time.Second)
	if err != nil && pctx.Err() != nil && ctx.Err() == nil {
		return version, nil // woken here: sync now
	}
	return v, err
}

func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func wake(c chan struct{}) {
	select {
	case c <- struct{}{}:
	default:
	}
}

// emit hands an event to every watcher; one that cannot keep up is
// dropped (its stream ends and it reconnects and reloads).
func (s *Service) emit(e chatapi.Event) {
	for c := range s.subs {
		select {
		case c <- e:
		default:
			delete(s.subs, c)
			close(c)
		}
	}
}

func (s *Service) subscribe() chan chatapi.Event {
	c := make(chan chatapi.Event, 1024)
	s.mu.Lock()
	s.subs[c] = struct{}{}
	s.mu.Unlock()
	return c
}

func (s *Service) unsubscribe(c chan chatapi.Event) {
	s.mu.Lock()
	if _, ok := s.subs[c]; ok {
		delete(s.subs, c)
		close(c)
	}
	s.mu.Unlock()
}

func convID(kind, name string) string { return kind + ":" + name }

// saveConv adds c's record to b; callers hold mu.
func (s *Service) saveConv(b *kv.Batch, c *convRecord) {
	s.st.setJSON(b, convKey(s.st.cid(c.ID)), c)
}

// ensureConv returns the conversation, creating it; callers hold mu.
func (s *Service) ensureConv(kind, name string) (*convRecord, bool) {
	id := convID(kind, name)
	if c, ok := s.convs[id]; ok {
		return c, false
	}
	c := &convRecord{Conversation: chatapi.Conversation{ID: id, Kind: kind, Name: name, Luminosity: -1}}
	s.convs[id] = c
	return c, true
}

// public is the conversation as the API shows it.
func (c *convRecord) public() chatapi.Conversation {
	out := c.Conversation
	out.Members = slices.Clone(c.Members)
	out.Advice = -1 // mf-route's, filled in by crowds
	return out
}

// syncRoute reads mf-route's contacts, sessions and groups, makes a
// conversation for each contact and group, and listens on every session
// and group topic not yet listened to.
func (s *Service) syncRoute(ctx context.Context) {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	contacts, err := s.rc.Contacts(cctx)
	var sessions []routeapi.SessionInfo
	var groups []routeapi.GroupInfo
	if err == nil {
		sessions, err = s.rc.Sessions(cctx)
	}
	if err == nil {
		groups, err = s.rc.Groups(cctx)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if err != nil {
		if s.routeUp {
			s.log.Warn("mf-route does not answer", "err", err)
		}
		s.routeUp = false
		return
	}
	if !s.routeUp {
		s.log.Info("linked to mf-route")
		s.routeUp = true
		wake(s.kick)
	}
	b := s.st.db.NewBatch()
	changed := false
	for _, ct := range contacts {
		if ct.Overlay == nil {
			continue
		}
		s.names[*ct.Overlay] = ct.Name
		s.learnContact(ct)
		if c, isNew := s.ensureConv(chatapi.KindContact, ct.Name); isNew {
			s.saveConv(b, c)
			changed = true
			s.emit(chatapi.Event{Kind: chatapi.EventConv, Conv: ptr(c.public())})
		}
	}
	for _, x := range sessions {
		name, ok := s.names[x.Peer]
		if !ok {
			continue // sessions are only with contacts; a removed one
		}
		s.listen(x.Topic, convID(chatapi.KindContact, name))
	}
	for _, g := range groups {
		c, isNew := s.ensureConv(chatapi.KindGroup, g.Name)
		var members []string
		for _, m := range g.Members {
			if m.Overlay == s.self {
				continue
			}
			members = append(members, s.nameOf(m.Overlay, m.Name))
		}
		sort.Strings(members)
		if isNew || !slices.Equal(members, c.Members) || c.Owner != g.Mine {
			c.Members, c.Owner = members, g.Mine
			s.saveConv(b, c)
			changed = true
			s.emit(chatapi.Event{Kind: chatapi.EventConv, Conv: ptr(c.public())})
		}
		if !c.Left {
			s.listen(groupTopic(g.Name), c.ID)
		}
	}
	if changed {
		if err := b.Commit(); err != nil {
			s.log.Warn("saving conversations", "err", err)
		}
	}
}

func ptr[T any](v T) *T { return &v }

// nameOf names an overlay: its contact name, else hint, else 12 hex
// digits. Callers hold mu.
func (s *Service) nameOf(o identity.Overlay, hint string) string {
	if o == s.self {
		return "me"
	}
	if n, ok := s.names[o]; ok {
		return n
	}
	if hint != "" {
		return hint
	}
	return o.String()[:12]
}

// listen starts a listener on topic for conversation conv unless one
// runs; callers hold mu.
func (s *Service) listen(topic, conv string) {
	s.topicConv[topic] = conv
	if _, ok := s.listening[topic]; ok {
		return
	}
	lctx, cancel := context.WithCancel(s.ctx)
	s.listening[topic] = cancel
	go func() {
		for lctx.Err() == nil {
			err := s.rc.Listen(lctx, topic, 0, func(m *routeapi.Message) error {
				s.receive(lctx, topic, m)
				return nil
			})
			if lctx.Err() != nil {
				return
			}
			s.log.Debug("listener ended; again in a second", "err", err)
			select {
			case <-lctx.Done():
			case <-time.After(time.Second):
			}
		}
	}()
}

// stopListening ends the listener of topic; callers hold mu.
func (s *Service) stopListening(topic string) {
	if cancel, ok := s.listening[topic]; ok {
		cancel()
		delete(s.listening, topic)
	}
}

// typingStale: a typing notice sent longer ago than this is not shown
// (one held by delegates while this node was away); a minute, not
// TypingFor, so that a peer whose clock is behind still shows typing.
const typingStale = time.Minute

// receive handles a packet from mf-route.
func (s *Service) receive(ctx context.Context, topic string, m *routeapi.Message) {
	e, err := decodeEnvelope(m.Payload)
	if err != nil {
		s.log.Debug("dropping a packet", "from", m.From, "err", err)
		return
	}
	s.mu.Lock()
	conv, ok := s.topicConv[topic]
	c := s.convs[conv]
	if !ok || c == nil || m.From == s.self {
		s.mu.Unlock()
		return
	}
	from := s.nameOf(m.From, "")
	now := time.Now()
	// Last seen when the packet was sent, not when it came: a packet
	// held by this node's delegates while it was away is old news.
	seen := m.Sent
	if seen.IsZero() || seen.After(now) {
		seen = now
	}
	if seen.After(c.Seen) {
		c.Seen = seen
	}
	var ack bool
	switch e.T {
	case kindMsg:
		ack = s.receiveMsg(c, e, m, from)
	case kindAck:
		s.receiveAck(c, e, from)
	case kindEdit, kindReact:
		s.receiveChange(c, e, m.From, from)
	case kindRead:
		s.receiveRead(c, e, from)
	case kindAway:
		c.Presence = "here"
		if e.Text != "" {
			c.Presence = "away: " + e.Text
		}
		s.emit(chatapi.Event{Kind: chatapi.EventConv, Conv: ptr(c.public())})
	case kindMailbox:
		if c.Kind == chatapi.KindContact && c.Mailbox != e.Text {
			c.Mailbox = e.Text
			b := s.st.db.NewBatch()
			s.saveConv(b, c)
			if err := b.Commit(); err != nil {
				s.log.Warn("saving a contact's mailbox", "err", err)
			}
		}
	case kindTyping:
		if now.Sub(seen) > typingStale {
			break // held while this node was away: long stopped
		}
		c.TypingAt = now
		s.emit(chatapi.Event{Kind: chatapi.EventConv, Conv: ptr(c.public())})
	case kindLeave:
		if c.Kind == chatapi.KindGroup && c.Owner {
			go s.kickLeaver(c.Name, m.From)
		}
	}
	s.mu.Unlock()
	if ack {
		// Best effort: a lost acknowledgement leaves the sender's message
		// at "sent", and a copy sent again is acknowledged again.
		a := envelope{V: 1, T: kindAck, ID: newID(), Acks: []string{e.ID}}
		actx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		// Not held for group keys: the listener must not wait.
		if _, err := s.send(actx, conv, a.marshal(), false, false); err != nil {
			s.log.Debug("acknowledging", "err", err)
		}
	}
}

// receiveMsg stores a peer's message once; callers hold mu. It reports
// whether to acknowledge it (also for a copy already stored).
func (s *Service) receiveMsg(c *convRecord, e *envelope, m *routeapi.Message, from string) bool {
	cid := s.st.cid(c.ID)
	if _, err := s.st.db.Get(idKey(cid, e.ID)); err == nil {
		return true // a copy sent again: acknowledged, not shown twice
	}
	// A peer's clock may run ahead but cannot leap: a hostile one would
	// otherwise push every later message of the conversation after its own.
	clock := min(e.Clock, c.Clock+1<<20)
	clock = max(clock, 1)
	c.Clock = max(c.Clock, clock)
	msg := chatapi.Message{ID: e.ID, Conv: c.ID, From: from, FromOverlay: m.From.String(), Text: e.Text, Sent: time.UnixMilli(e.Sent),
		Received: time.Now(), Clock: clock, State: chatapi.StateReceived, ReplyTo: e.Ref, Poll: e.Poll, Attachment: e.File}
	if e.Sent <= 0 {
		msg.Sent = msg.Received
	}
	mk := msgKey(cid, clock, m.From.String(), e.ID)
	b := s.st.db.NewBatch()
	s.st.setJSON(b, mk, msg)
	b.Set(idKey(cid, e.ID), mk)
	c.Unread++
	c.Count++
	c.Last, c.Preview = msg.Received, preview(e.Text)
	s.saveConv(b, c)
	s.noteIndex(b, c.ID, e.ID)
	if err := b.Commit(); err != nil {
		s.log.Warn("storing a message", "err", err)
		return false
	}
	wake(s.ixKick)
	s.emit(chatapi.Event{Kind: chatapi.EventMessage, Message: &msg, New: true})
	s.emit(chatapi.Event{Kind: chatapi.EventConv, Conv: ptr(c.public())})
	return true
}

func preview(t string) string {
	t = strings.ReplaceAll(t, "\n", " ")
	if len(t) > 60 {
		t = t[:60]
	}
	return t
}

// receiveAck marks this node's messages delivered to from; callers hold
// mu.
func (s *Service) receiveAck(c *convRecord, e *envelope, from string) {
	for _, id := range e.Acks {
		s.update(c, id, func(m *chatapi.Message) bool {
			if c.Kind == chatapi.KindGroup {
				// In a group the state comes from the members' signed
				// receipts (resend.go); the acknowledgement only ends
				// the sending again.
				if !m.Mine || slices.Contains(m.Acked, from) {
					return false
				}
				m.Acked = append(m.Acked, from)
				return true
			}
			if !m.Mine || slices.Contains(m.DeliveredTo, from) {
				return false
			}
			m.DeliveredTo = append(m.DeliveredTo, from)
			m.State, m.Reason = chatapi.StateDelivered, ""
			return true
		})
		s.acked(c, id)
	}
}

// receiveChange applies a peer's edit of its own message or its reaction
// to any message; callers hold mu.
func (s *Service) receiveChange(c *convRecord, e *envelope, sender identity.Overlay, from string) {
	s.update(c, e.Ref, func(m *chatapi.Message) bool {
		if e.T == kindEdit {
			if m.FromOverlay != sender.String() {
				return false // only a message's author edits it
			}
			m.Text, m.Edited = e.Text, true
			return true
		}
		return addReaction(m, e.Text, from)
	})
}

// maxReadBy bounds the names a message keeps as having read it.
const maxReadBy = 256

// receiveRead marks this node's message e.Ref as read by from (a read
// receipt); callers hold mu.
func (s *Service) receiveRead(c *convRecord, e *envelope, from string) {
	s.update(c, e.Ref, func(m *chatapi.Message) bool {
		if !m.Mine || slices.Contains(m.ReadBy, from) || len(m.ReadBy) >= maxReadBy {
			return false
		}
		m.ReadBy = append(m.ReadBy, from)
		return true
	})
}

func addReaction(m *chatapi.Message, r, from string) bool {
	if r == "" {
		return false
	}
	if m.Reactions == nil {
		m.Reactions = map[string][]string{}
	}
	if slices.Contains(m.Reactions[r], from) {
		return false
	}
	if len(m.Reactions) >= 32 && m.Reactions[r] == nil {
		return false
	}
	m.Reactions[r] = append(m.Reactions[r], from)
	return true
}

// update changes message id of c with fn, stores it and tells watchers;
// callers hold mu.
func (s *Service) update(c *convRecord, id string, fn func(*chatapi.Message) bool) {
	m, mk, err := s.st.message(c.ID, id)
	if err != nil || !fn(m) {
		return
	}
	b := s.st.db.NewBatch()
	s.st.setJSON(b, mk, m)
	if m.Edited {
		s.noteIndex(b, c.ID, m.ID)
	}
	if err := b.Commit(); err != nil {
		s.log.Warn("updating a message", "err", err)
		return
	}
	wake(s.ixKick)
	s.emit(chatapi.Event{Kind: chatapi.EventMessage, Message: m})
}

// kickLeaver takes a member who left out of a group this node owns.
func (s *Service) kickLeaver(group string, who identity.Overlay) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	gs, err := s.rc.Groups(ctx)
	if err != nil {
		return
	}
	for _, g := range gs {
		if g.Name != group {
			continue
		}
		for _, m := range g.Members {
			if m.Overlay == who && m.Name != "" {
				if _, err := s.rc.ChangeGroup(ctx, group, routeapi.GroupChange{Remove: []string{m.Name}}); err != nil {
					s.log.Warn("removing a member who left", "group", group, "err", err)
				}
				wake(s.sync)
			}
		}
	}
}

// transmit hands one payload to mf-route for conversation conv: on the
// contact's session (opened or reopened as needed) or to the group.
func (s *Service) transmit(ctx context.Context, conv string, payload []byte) error {
	_, err := s.send(ctx, conv, payload, true, false)
	return err
}

// transmitMessage is transmit for a message: to a contact it asks mf-route
// for a signed receipt (certified delivery) and returns the packet's id,
// whose receipt the resender looks for.
func (s *Service) transmitMessage(ctx context.Context, conv string, payload []byte) (string, error) {
	return s.send(ctx, conv, payload, true, true)
}

// transmitOnce is transmit for a packet sent again: it does not wait for
// group members to confirm a key (one that is offline holds up nothing).
func (s *Service) transmitOnce(ctx context.Context, conv string, payload []byte) (string, error) {
	return s.send(ctx, conv, payload, false, true)
}

func (s *Service) send(ctx context.Context, conv string, payload []byte, waitKeys, certify bool) (string, error) {
	s.mu.Lock()
	c := s.convs[conv]
	if c == nil {
		s.mu.Unlock()
		return "", permanent(fmt.Errorf("no conversation %s", conv))
	}
	kind, name, topic, lum := c.Kind, c.Name, c.Session, c.Luminosity
	s.mu.Unlock()
	if kind == chatapi.KindGroup {
		if waitKeys {
			s.awaitKeys(ctx, name)
		}
		// A message asks every member for a signed receipt (mf-route's
		// certified group packets), which gives it its state.
		res, err := s.rc.Send(ctx, routeapi.SendRequest{Group: name, Payload: payload, Certify: certify})
		if err != nil || !certify {
			return "", err
		}
		return res.ID, nil
	}
	for try := 0; ; try++ {
		if topic == "" {
			// One session opens at a time: an acknowledgement, a read
			// receipt and a message may all find none at once.
			s.openMu.Lock()
			s.mu.Lock()
			topic = c.Session
			s.mu.Unlock()
			if topic != "" && try == 0 {
				s.openMu.Unlock()
				goto send
			}
			req := routeapi.SessionRequest{With: name}
			if lum >= 0 {
				req.Luminosity = &lum
			}
			x, err := s.rc.OpenSession(ctx, req)
			if err != nil {
				s.openMu.Unlock()
				return "", err
			}
			topic = x.Topic
			s.mu.Lock()
			c.Session = topic
			b := s.st.db.NewBatch()
			s.saveConv(b, c)
			err = b.Commit()
			s.listen(topic, conv)
			s.mu.Unlock()
			s.openMu.Unlock()
			if err != nil {
				return "", err
			}
		}
	send:
		res, err := s.rc.Send(ctx, routeapi.SendRequest{Topic: topic, Payload: payload, Certify: certify})
		var le *localapi.Error
		if try == 0 && errors.As(err, &le) && le.Status == http.StatusBadRequest && strings.Contains(le.Message, "reserved") {
			// The session is gone (removed or expired): open another.
			topic = ""
			continue
		}
		if err != nil {
			return "", err
		}
		return res.ID, nil
	}
}

type permanentErr struct{ error }

func permanent(err error) error { return permanentErr{err} }

// isPermanent tells an error that trying again will not cure (a refusal
// by mf-route) from one that may pass (mf-route down, no route yet).
func isPermanent(err error) bool {
	var p permanentErr
	if errors.As(err, &p) {
		return true
	}
	var le *localapi.Error
	if errors.As(err, &le) {
		return le.Status >= 400 && le.Status < 500 && le.Status != http.StatusTooManyRequests && le.Status != http.StatusConflict
	}
	return false
}

// groupTopic is the topic mf-route delivers a group's packets on.
func groupTopic(name string) string { return "group/" + name }

// awaitKeys holds a packet to a group this node owns for a few seconds
// while members have not confirmed its current key (just after it was
// made, or rekeyed by an invite or a kick): a member without the key
// cannot open the packet, and mf-route keeps no copy for it.
func (s *Service) awaitKeys(ctx context.Context, group string) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && ctx.Err() == nil {
		gs, err := s.rc.Groups(ctx)
		if err != nil {
			return
		}
		all := true
		for _, g := range gs {
			if g.Name != group {
				continue
			}
			if !g.Mine {
				return
			}
			for _, m := range g.Members {
				if m.Overlay != s.self && !m.HasKey {
					all = false
				}
			}
		}
		if all {
			return
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
}
