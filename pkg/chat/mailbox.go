package chat

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// Offline delivery through mf-db mailboxes (docs/db.md, "Mailboxes"). A
// node that wants messages while it is away makes a mailbox on providers
// (mf-chat mailbox create), tells its reference to its contacts inside
// their sessions, and publishes it in its directory row (directory.go),
// under its own address, which a contact knows from its card. A message a contact has not acknowledged after mailAfter tries is
// also sealed into that mailbox: only the owner can open it, and the row's
// writer (the sender's address, signed) says whom it is from. The daemon
// reads its mailbox when it starts and every mailEvery, takes each message
// as if it had come in the session (one copy per id, acknowledged in the
// session), and deletes the row.

const (
	// mailAfter is the try of a waiting message after which it also goes
	// to the contact's mailbox: about 9 s unacknowledged.
	mailAfter = 2
	// maxMailTries bounds the looks for a contact's mailbox per message.
	maxMailTries = 20
	// mailEvery is how often the daemon reads its mailbox.
	mailEvery = 5 * time.Minute
	// mailboxRedundancy is how many providers keep a mailbox. A message
	// must reach both (quorum R), since the owner reads from one: a
	// message a provider lacks would wait for anti-entropy. A send that
	// fails is tried again at the next try.
	mailboxRedundancy = 2
)

// CreateMailbox makes this node's mailbox on providers, if it has none,
// and publishes its reference in the directory.
func (s *Service) CreateMailbox(ctx context.Context) (*chatapi.MailboxInfo, error) {
	st, err := s.rc.Status(ctx)
	if err != nil {
		return nil, err
	}
	db := dbapi.NewClient(s.home)
	if _, err := db.Ref(ctx, dbapi.MailboxName); err != nil {
		if _, err := db.Create(ctx, dbapi.CreateRequest{Name: dbapi.MailboxName, Kind: dbapi.KindMailbox,
			Read: "owner", Insert: "anyone", Update: "owner", Delete: "owner", Redundancy: mailboxRedundancy, Quorum: mailboxRedundancy}); err != nil {
			return nil, err
		}
	}
	ref, err := db.Ref(ctx, dbapi.MailboxName)
	if err != nil {
		return nil, err
	}
	if err := s.publishCard(ctx, st.Card); err != nil {
		return nil, err
	}
	s.tellMailbox(ref.Ref)
	return &chatapi.MailboxInfo{Ref: ref.Ref}, nil
}

// tellMailbox gives the mailbox's reference to every contact with a
// session open, inside the session: a contact then needs no directory
// lookup, and the reference reaches only contacts.
func (s *Service) tellMailbox(ref string) {
	var convs []string
	s.mu.Lock()
	for _, c := range s.convs {
		if c.Kind == chatapi.KindContact && c.Session != "" && !c.Left {
			convs = append(convs, c.ID)
		}
	}
	s.mu.Unlock()
	e := envelope{V: 1, T: kindMailbox, ID: newID(), Text: ref}
	for _, id := range convs {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		if err := s.transmit(ctx, id, e.marshal()); err != nil {
			s.log.Info("telling a contact of the mailbox", "conv", id, "err", err)
		}
		cancel()
	}
}

func (s *Service) apiCreateMailbox(w http.ResponseWriter, r *http.Request) (any, error) {
	return s.CreateMailbox(r.Context())
}

// errNoMailbox: the contact published no mailbox.
var errNoMailbox = errors.New("no mailbox")

// mail seals payload into the mailbox of contact conv. It reports
// errNoMailbox when the contact has none.
func (s *Service) mail(ctx context.Context, c *convRecord, payload []byte) error {
	s.mu.Lock()
	addr, ok := s.addrs[c.Name]
	ref := c.Mailbox
	s.mu.Unlock()
	if !ok || c.Kind != chatapi.KindContact {
		return errNoMailbox
	}
	if ref == "" {
		// Not told in the session: the contact's directory row.
		// Any failure here (no mf-db, no providers, no row) means no
		// mailbox known: nothing to show on the message.
		row, _, err := s.directoryRowOf(ctx, addr)
		if err != nil || row.Mailbox == "" {
			s.log.Debug("no mailbox known", "contact", c.Name, "err", err)
			return errNoMailbox
		}
		ref = row.Mailbox
	}
	db := dbapi.NewClient(s.home)
	m, err := db.Open(ctx, ref)
	if err != nil {
		return err
	}
	if m.Owner != addr || m.Kind != dbapi.KindMailbox {
		return errNoMailbox // a reference to someone else's dataset
	}
	_, err = db.SendMail(ctx, addr.Hex(), payload)
	return err
}

// pullMailbox takes what waits in this node's mailbox.
func (s *Service) pullMailbox(ctx context.Context) {
	db := dbapi.NewClient(s.home)
	ms, err := db.ReadMail(ctx)
	if err != nil {
		s.log.Debug("reading the mailbox", "err", err)
		return
	}
	var done []string
	for _, m := range ms {
		if m.Error != "" {
			s.log.Debug("a mailbox row that does not open", "key", m.Key, "err", m.Error)
			done = append(done, m.Key)
			continue
		}
		if s.takeMail(ctx, m) {
			done = append(done, m.Key)
		}
	}
	if len(done) == 0 {
		return
	}
	var ws []dbapi.WriteRequest
	for _, k := range done {
		ws = append(ws, dbapi.WriteRequest{Op: dbapi.OpDelete, Key: k})
	}
	id := dbapi.DatasetID(s.id.Public().Address(), dbapi.MailboxName)
	if _, err := db.WriteBatch(ctx, id.String(), dbapi.BatchRequest{Writes: ws}); err != nil {
		s.log.Debug("emptying the mailbox", "err", err)
	}
}

// takeMail stores a message from the mailbox as if it came in the session
// with its sender, and reports whether it is done with (stored, or not
// for this node to take: from a stranger, or not a message). A message
// that could not be stored stays in the mailbox, unacknowledged, for the
// next read: deleting its row would lose it.
func (s *Service) takeMail(ctx context.Context, m dbapi.Mail) bool {
	e, err := decodeEnvelope(m.Message)
	if err != nil || e.T != kindMsg {
		return true
	}
	if !common.IsHexAddress(m.From) {
		return true
	}
	from := common.HexToAddress(m.From)
	s.mu.Lock()
	name, ok := s.byAddr[from]
	var c *convRecord
	if ok {
		c = s.convs[convID(chatapi.KindContact, name)]
	}
	if c == nil {
		s.mu.Unlock()
		return true // only contacts talk to this node
	}
	o := s.overlays[name]
	stored := s.receiveMsg(c, e, &routeapi.Message{From: o}, name)
	conv := c.ID
	s.mu.Unlock()
	if !stored {
		return false
	}
	a := envelope{V: 1, T: kindAck, ID: newID(), Acks: []string{e.ID}}
	actx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if _, err := s.send(actx, conv, a.marshal(), false, false); err != nil {
		s.log.Debug("acknowledging mail", "err", err)
	}
	return true
}

// mailboxLoop reads the mailbox once mf-route answers, then every
// mailEvery.
func (s *Service) mailboxLoop(ctx context.Context) {
	for ctx.Err() == nil {
		s.mu.Lock()
		up := s.routeUp
		s.mu.Unlock()
		if up {
			s.pullMailbox(ctx)
			select {
			case <-ctx.Done():
			case <-time.After(mailEvery):
			}
			continue
		}
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
}

// learnContact records a contact's address and overlay; callers hold mu.
func (s *Service) learnContact(ct routeapi.ContactInfo) {
	if ct.Name == "" || !common.IsHexAddress(ct.Address) {
		return
	}
	a := common.HexToAddress(ct.Address)
	s.addrs[ct.Name], s.byAddr[a] = a, ct.Name
	if ct.Overlay != nil {
		s.overlays[ct.Name] = *ct.Overlay
	}
}
