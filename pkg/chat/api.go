package chat

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/store/storeapi"
)

// The endpoints are listed in chatapi's package doc.

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

// Handler is the local API.
func (s *Service) Handler() http.Handler {
	m := http.NewServeMux()
	m.Handle("GET /v0/status", localapi.Handle(s.apiStatus))
	m.Handle("GET /v0/conversations", localapi.Handle(s.apiConversations))
	m.Handle("GET /v0/messages", localapi.Handle(s.apiMessages))
	m.Handle("POST /v0/send", localapi.Handle(s.apiSend))
	m.Handle("POST /v0/read", localapi.Handle(s.apiRead))
	m.Handle("GET /v0/search", localapi.Handle(s.apiSearch))
	m.HandleFunc("GET /v0/watch", s.apiWatch)
	m.Handle("POST /v0/contacts", localapi.Handle(s.apiAddContact))
	m.Handle("POST /v0/names", localapi.Handle(s.apiClaimName))
	m.Handle("GET /v0/names/{name}", localapi.Handle(s.apiLookupName))
	m.Handle("POST /v0/save", localapi.Handle(s.apiSave))
	m.Handle("POST /v0/mailbox", localapi.Handle(s.apiCreateMailbox))
	m.Handle("POST /v0/groups", localapi.Handle(s.apiCreateGroup))
	m.Handle("POST /v0/groups/{name}/members", localapi.Handle(s.apiChangeGroup))
	m.Handle("POST /v0/leave", localapi.Handle(s.apiLeave))
	m.Handle("POST /v0/luminosity", localapi.Handle(s.apiLuminosity))
	m.Handle("POST /v0/away", localapi.Handle(s.apiAway))
	m.Handle("POST /v0/typing", localapi.Handle(s.apiTyping))
	m.Handle("POST /v0/settings", localapi.Handle(s.apiSettings))
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		localapi.WriteError(w, localapi.NotFound("no endpoint %s %s", r.Method, r.URL.Path))
	})
	return m
}

func (s *Service) apiStatus(w http.ResponseWriter, r *http.Request) (any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := chatapi.Status{Overlay: s.self.String(), Conversations: len(s.convs), Queued: s.queued, Index: s.ix != nil, Route: s.routeUp, Away: s.away}
	for _, c := range s.convs {
		st.Messages += c.Count
	}
	return st, nil
}

func (s *Service) conversations() []chatapi.Conversation {
	s.mu.Lock()
	out := make([]chatapi.Conversation, 0, len(s.convs))
	for _, c := range s.convs {
		out = append(out, c.public())
	}
	s.mu.Unlock()
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Last.Equal(out[j].Last) {
			return out[i].Last.After(out[j].Last)
		}
		return out[i].ID < out[j].ID
	})
	return out
}

func (s *Service) apiConversations(w http.ResponseWriter, r *http.Request) (any, error) {
	out := s.conversations()
	s.crowds(r.Context(), out)
	return out, nil
}

// crowds fills in the crowd each contact conversation hides in, from
// mf-route's estimate at its luminosity.
func (s *Service) crowds(ctx context.Context, cs []chatapi.Conversation) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	advice := -1
	if a, err := s.rc.Luminosity(ctx, chatapi.AdviceCrowd); err == nil {
		advice = a.Luminosity
	}
	for i := range cs {
		cs[i].Advice = advice
		if cs[i].Kind != chatapi.KindContact {
			continue
		}
		req := routeapi.SendRequest{To: cs[i].Name}
		if cs[i].Luminosity >= 0 {
			req.Luminosity = &cs[i].Luminosity
		}
		if est, err := s.rc.Estimate(ctx, req); err == nil {
			cs[i].Crowd = est.ZoneSize
			if cs[i].Luminosity < 0 {
				cs[i].Luminosity = est.Luminosity
			}
		}
	}
}

func (s *Service) apiMessages(w http.ResponseWriter, r *http.Request) (any, error) {
	limit := 0
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return nil, localapi.BadRequest("limit must be a whole number, not %q", v)
		}
		limit = n
	}
	s.syncIfUnknown(r.Context(), r.URL.Query().Get("conv"))
	s.mu.Lock()
	c, err := s.resolveConv(r.URL.Query().Get("conv"))
	var id string
	if c != nil {
		id = c.ID
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	out, err := s.st.lastMessages(id, limit)
	if out == nil {
		out = []chatapi.Message{}
	}
	return out, err
}

func (s *Service) apiSend(w http.ResponseWriter, r *http.Request) (any, error) {
	var req chatapi.SendRequest
	if err := localapi.DecodeBody(w, r, &req, 2*chatapi.MaxText+localapi.MaxBody); err != nil {
		return nil, err
	}
	s.syncIfUnknown(r.Context(), req.To)
	if req.Attach != "" {
		if req.Attachment != nil {
			return nil, localapi.BadRequest("a message attaches a file or a reference, not both")
		}
		// Stored before the message is queued: the message then only
		// carries the reference (attach.go).
		a, err := s.storeFile(r.Context(), req.Attach)
		if err != nil {
			return nil, err
		}
		req.Attach, req.Attachment = "", a
	} else if a := req.Attachment; a != nil && a.Size == 0 && chatapi.CheckAttachment(a) == nil {
		// A reference sent as it is: its size from mf-store, if it knows
		// the file.
		if st, err := storeapi.NewClient(s.home).Stat(r.Context(), a.Ref); err == nil {
			a.Size = int64(st.Size)
		}
	}
	return s.Send(req)
}

// syncIfUnknown asks mf-route again when to names no conversation yet:
// a contact added with mf-route contacts add since the last sync is
// there to talk to at once, not at the next periodic sync.
func (s *Service) syncIfUnknown(ctx context.Context, to string) {
	s.mu.Lock()
	_, err := s.resolveConv(to)
	s.mu.Unlock()
	if err != nil {
		s.syncRoute(ctx)
	}
}

func (s *Service) apiRead(w http.ResponseWriter, r *http.Request) (any, error) {
	var req chatapi.ReadRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	s.syncIfUnknown(r.Context(), req.Conv)
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.resolveConv(req.Conv)
	if err != nil {
		return nil, err
	}
	if c.Unread != 0 {
		c.Unread = 0
		b := s.st.db.NewBatch()
		s.saveConv(b, c)
		if err := b.Commit(); err != nil {
			return nil, err
		}
		s.emit(chatapi.Event{Kind: chatapi.EventConv, Conv: ptr(c.public())})
		s.sendRead(c)
	}
	return c.public(), nil
}

// sendRead tells c's peers that this node read it up to the last message
// from others, unless read receipts are off; callers hold mu. To a
// contact it goes in this node's session, which the acknowledgement of
// the message read opens if none was.
func (s *Service) sendRead(c *convRecord) {
	if s.noRead || c.Left {
		return
	}
	ms, err := s.st.lastMessages(c.ID, 64)
	if err != nil {
		return
	}
	last := ""
	for i := len(ms) - 1; i >= 0 && last == ""; i-- {
		if !ms[i].Mine {
			last = ms[i].ID
		}
	}
	if last == "" {
		return
	}
	id := c.ID
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		e := envelope{V: 1, T: kindRead, ID: newID(), Ref: last}
		if _, err := s.send(ctx, id, e.marshal(), false, false); err != nil {
			s.log.Debug("read receipt not sent", "conv", id, "err", err)
		}
	}()
}

func (s *Service) apiSearch(w http.ResponseWriter, r *http.Request) (any, error) {
	q := strings.TrimSpace(r.URL.Query().Get("q"))
	if q == "" {
		return nil, localapi.BadRequest("an empty search (q) finds nothing")
	}
	if len(q) > 1024 {
		return nil, localapi.BadRequest("a search of %d bytes is over 1024", len(q))
	}
	limit := 20
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			return nil, localapi.BadRequest("limit must be 1..1000, not %q", v)
		}
		limit = n
	}
	return s.Search(q, limit)
}

// Search finds messages (through the index, or by reading the history
// when there is none) and contacts and groups whose names hold q.
func (s *Service) Search(q string, limit int) (*chatapi.SearchResult, error) {
	start := time.Now()
	res := &chatapi.SearchResult{Query: q, Messages: []chatapi.Message{}}
	lq := strings.ToLower(q)
	for _, c := range s.conversations() {
		if strings.Contains(strings.ToLower(c.Name), lq) {
			res.Conversations = append(res.Conversations, c)
		}
	}
	if s.ix != nil && !s.rebuilding.Load() {
		// What was noted and not yet indexed goes in first: a search
		// finds every message the daemon took.
		if err := s.flushIndex(context.Background()); err != nil {
			return nil, err
		}
		ids, total, err := s.ix.search(q, limit)
		if err != nil {
			return nil, err
		}
		res.Total = total
		for _, d := range ids {
			conv, id, _ := strings.Cut(d, "\x00")
			if m, _, err := s.st.message(conv, id); err == nil {
				res.Messages = append(res.Messages, *m)
			}
		}
	} else {
		words := strings.Fields(lq)
		for _, c := range s.conversations() {
			ms, err := s.st.lastMessages(c.ID, 0)
			if err != nil {
				return nil, err
			}
			for _, m := range ms {
				t := strings.ToLower(m.Text)
				all := true
				for _, w := range words {
					all = all && strings.Contains(t, w)
				}
				if all {
					res.Total++
					if len(res.Messages) < limit {
						res.Messages = append(res.Messages, m)
					}
				}
			}
		}
	}
	res.TookMS = float64(time.Since(start).Microseconds()) / 1000
	return res, nil
}

func (s *Service) apiWatch(w http.ResponseWriter, r *http.Request) {
	c := s.subscribe()
	defer s.unsubscribe(c)
	st := localapi.NewStream(w)
	// The head goes at once, so the client knows it is subscribed.
	if f, ok := w.(http.Flusher); ok {
		f.Flush()
	}
	for {
		select {
		case <-r.Context().Done():
			return
		case e, ok := <-c:
			if !ok || st.Send(e) != nil {
				return
			}
		}
	}
}

func (s *Service) apiAddContact(w http.ResponseWriter, r *http.Request) (any, error) {
	var req chatapi.ContactRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	if req.Name == "" {
		return nil, localapi.BadRequest("a contact needs a name, and a card (mf-route id --card on the other node) unless the name is in the directory")
	}
	if req.Card == "" {
		// A name alone is looked up in the directory (directory.go).
		info, err := s.LookupName(r.Context(), req.Name)
		if err != nil {
			return nil, err
		}
		req.Card = info.Card
	}
	if _, err := s.rc.AddContact(r.Context(), req.Name, req.Card); err != nil {
		return nil, err
	}
	s.syncRoute(r.Context())
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.resolveConv(convID(chatapi.KindContact, req.Name))
	if err != nil {
		return nil, err
	}
	return c.public(), nil
}

func (s *Service) apiCreateGroup(w http.ResponseWriter, r *http.Request) (any, error) {
	var req chatapi.GroupRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	if _, err := s.rc.CreateGroup(r.Context(), routeapi.GroupRequest{Name: req.Name, Members: req.Members, Luminosity: req.Luminosity}); err != nil {
		return nil, err
	}
	s.syncRoute(r.Context())
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.resolveConv(convID(chatapi.KindGroup, req.Name))
	if err != nil {
		return nil, err
	}
	return c.public(), nil
}

func (s *Service) apiChangeGroup(w http.ResponseWriter, r *http.Request) (any, error) {
	var req chatapi.GroupChange
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	name := r.PathValue("name")
	if _, err := s.rc.ChangeGroup(r.Context(), name, routeapi.GroupChange{Add: req.Add, Remove: req.Remove}); err != nil {
		return nil, err
	}
	s.syncRoute(r.Context())
	s.mu.Lock()
	defer s.mu.Unlock()
	c, err := s.resolveConv(convID(chatapi.KindGroup, name))
	if err != nil {
		return nil, err
	}
	return c.public(), nil
}

func (s *Service) apiLeave(w http.ResponseWriter, r *http.Request) (any, error) {
	var req chatapi.ReadRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	s.mu.Lock()
	c, err := s.resolveConv(req.Conv)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	if c.Kind != chatapi.KindGroup {
		s.mu.Unlock()
		return nil, localapi.BadRequest("%s is a contact, not a group: there is nothing to leave", c.Name)
	}
	if c.Owner {
		s.mu.Unlock()
		return nil, localapi.BadRequest("you own %s: kick its members (/kick) instead", c.Name)
	}
	id, name := c.ID, c.Name
	s.mu.Unlock()
	// The owner's mf-chat takes the leaver out, which rekeys the group.
	e := envelope{V: 1, T: kindLeave, ID: newID()}
	if err := s.transmit(r.Context(), id, e.marshal()); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c.Left = true
	s.stopListening(groupTopic(name))
	b := s.st.db.NewBatch()
	s.saveConv(b, c)
	if err := b.Commit(); err != nil {
		return nil, err
	}
	s.emit(chatapi.Event{Kind: chatapi.EventConv, Conv: ptr(c.public())})
	return c.public(), nil
}

func (s *Service) apiLuminosity(w http.ResponseWriter, r *http.Request) (any, error) {
	var req chatapi.LuminosityRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	if req.Luminosity < 0 || req.Luminosity > 256 {
		return nil, localapi.BadRequest("luminosity must be 0..256 bits, not %d", req.Luminosity)
	}
	s.mu.Lock()
	c, err := s.resolveConv(req.Conv)
	if err == nil && c.Kind == chatapi.KindGroup {
		err = localapi.BadRequest("a group's luminosity is set when it is created (mf-chat group --luminosity)")
	}
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	// A session keeps the luminosity it was opened with: the next
	// message opens a new session at the new one.
	c.Luminosity, c.Session = req.Luminosity, ""
	b := s.st.db.NewBatch()
	s.saveConv(b, c)
	err = b.Commit()
	out := []chatapi.Conversation{c.public()}
	s.emit(chatapi.Event{Kind: chatapi.EventConv, Conv: ptr(c.public())})
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	s.crowds(r.Context(), out)
	return out[0], nil
}

func (s *Service) apiAway(w http.ResponseWriter, r *http.Request) (any, error) {
	var req chatapi.AwayRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	if len(req.Away) > 256 {
		return nil, localapi.BadRequest("an away note is at most 256 bytes")
	}
	s.mu.Lock()
	s.away = req.Away
	b := s.st.db.NewBatch()
	s.st.setJSON(b, []byte("s/away"), req.Away)
	err := b.Commit()
	var convs []string
	for _, c := range s.convs {
		if !c.Left {
			convs = append(convs, c.ID)
		}
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	// Presence is best effort and goes only to conversations already
	// open: it opens no session of its own.
	go func() {
		e := envelope{V: 1, T: kindAway, ID: newID(), Text: req.Away}
		for _, id := range convs {
			s.mu.Lock()
			c := s.convs[id]
			skip := c.Kind == chatapi.KindContact && c.Session == ""
			s.mu.Unlock()
			if skip {
				continue
			}
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			_ = s.transmit(ctx, id, e.marshal())
			cancel()
		}
	}()
	return struct{}{}, nil
}

func (s *Service) apiTyping(w http.ResponseWriter, r *http.Request) (any, error) {
	var req chatapi.ReadRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	s.mu.Lock()
	c, err := s.resolveConv(req.Conv)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	now := time.Now()
	// Off, or said a moment ago, or no session yet (a notice opens none):
	// nothing goes out.
	skip := s.noTyping || c.Left || now.Sub(s.typedAt[c.ID]) < chatapi.TypingEvery || c.Kind == chatapi.KindContact && c.Session == ""
	if !skip {
		s.typedAt[c.ID] = now
	}
	id := c.ID
	s.mu.Unlock()
	if !skip {
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			e := envelope{V: 1, T: kindTyping, ID: newID()}
			_, _ = s.send(ctx, id, e.marshal(), false, false)
		}()
	}
	return chatapi.TypingResult{Sent: !skip}, nil
}

func (s *Service) apiSettings(w http.ResponseWriter, r *http.Request) (any, error) {
	var req chatapi.SettingsRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if req.Typing != nil {
		b := s.st.db.NewBatch()
		s.st.setJSON(b, []byte("s/notyping"), !*req.Typing)
		if err := b.Commit(); err != nil {
			return nil, err
		}
		s.noTyping = !*req.Typing
	}
	if req.ReadReceipts != nil {
		b := s.st.db.NewBatch()
		s.st.setJSON(b, []byte("s/noread"), !*req.ReadReceipts)
		if err := b.Commit(); err != nil {
			return nil, err
		}
		s.noRead = !*req.ReadReceipts
	}
	return chatapi.Settings{Typing: !s.noTyping, ReadReceipts: !s.noRead, Away: s.away}, nil
}

func (s *Service) apiClaimName(w http.ResponseWriter, r *http.Request) (any, error) {
	var req chatapi.NameRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	return s.ClaimName(r.Context(), req.Name)
}

func (s *Service) apiLookupName(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.LookupName(r.Context(), r.PathValue("name"))
}
