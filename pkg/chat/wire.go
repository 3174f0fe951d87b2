package chat

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/mainframe/mf/pkg/chat/chatapi"
)

// The payload mf-chat puts in an mf-route packet (session or group): one
// JSON object, at most MaxPayload bytes.
//
//	v  1
//	t  kind: msg, ack, edit, react, leave, away, typing, mailbox, read
//	id 32 hex digits, chosen by the sender; a receiver keeps a message id
//	   once per conversation, so a packet sent twice (a sender killed
//	   between mf-route's answer and its own bookkeeping) shows once
//	c  the sender's Lamport clock for the conversation (msg)
//	s  the sender's clock, unix milliseconds (shown, never used to order)
//	x  text (msg, edit: the new text, react: the reaction, away: the note,
//	   mailbox: the reference of the sender's mf-db mailbox)
//	r  the message an edit, reaction, reply or read receipt refers to
//	a  acknowledged message ids (ack), at most MaxAcks
//	p  a poll (msg)
//	f  an attachment: a file in mf-store (msg)
//
// Unknown fields are ignored, so a later version may add some; a higher v
// is refused.
type envelope struct {
	V     int                 `json:"v"`
	T     string              `json:"t"`
	ID    string              `json:"id"`
	Clock uint64              `json:"c,omitempty"`
	Sent  int64               `json:"s,omitempty"`
	Text  string              `json:"x,omitempty"`
	Ref   string              `json:"r,omitempty"`
	Acks  []string            `json:"a,omitempty"`
	Poll  *chatapi.Poll       `json:"p,omitempty"`
	File  *chatapi.Attachment `json:"f,omitempty"`
}

// Envelope kinds.
const (
	kindMsg   = "msg"
	kindAck   = "ack"
	kindEdit  = "edit"
	kindReact = "react"
	kindLeave = "leave"
	kindAway  = "away"
	// kindTyping: the sender is typing in the conversation (when it has
	// not turned typing notices off).
	kindTyping = "typing"
	// kindMailbox: the sender's mf-db mailbox, where to leave messages
	// while it is away (a contact's only).
	kindMailbox = "mailbox"
	// kindRead: the sender read the conversation up to message r, the
	// last one from others (a read receipt, unless it turned them off).
	kindRead = "read"
)

// Bounds of the payload.
const (
	MaxPayload  = chatapi.MaxText + 4<<10
	MaxAcks     = 64
	maxReaction = 64
	maxPollOpts = 16
	maxPollText = 256
)

var errEnvelope = errors.New("chat: bad payload")

func validID(s string) bool {
	if len(s) != 32 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}

func (e *envelope) marshal() []byte {
	b, _ := json.Marshal(e)
	return b
}

// decodeEnvelope parses and checks a payload from a peer.
func decodeEnvelope(b []byte) (*envelope, error) {
	if len(b) > MaxPayload {
		return nil, fmt.Errorf("%w: %d bytes is over %d", errEnvelope, len(b), MaxPayload)
	}
	var e envelope
	d := json.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(&e); err != nil {
		return nil, fmt.Errorf("%w: %v", errEnvelope, err)
	}
	if d.More() {
		return nil, fmt.Errorf("%w: trailing data", errEnvelope)
	}
	if e.V != 1 {
		return nil, fmt.Errorf("%w: version %d", errEnvelope, e.V)
	}
	if !validID(e.ID) {
		return nil, fmt.Errorf("%w: id is not 32 hex digits", errEnvelope)
	}
	if len(e.Text) > chatapi.MaxText {
		return nil, fmt.Errorf("%w: text of %d bytes", errEnvelope, len(e.Text))
	}
	if e.Ref != "" && !validID(e.Ref) {
		return nil, fmt.Errorf("%w: reference is not 32 hex digits", errEnvelope)
	}
	if e.File != nil {
		if e.T != kindMsg {
			return nil, fmt.Errorf("%w: an attachment on a %s", errEnvelope, e.T)
		}
		if err := chatapi.CheckAttachment(e.File); err != nil {
			return nil, fmt.Errorf("%w: %v", errEnvelope, err)
		}
	}
	switch e.T {
	case kindMsg:
		if p := e.Poll; p != nil {
			if len(p.Options) < 2 || len(p.Options) > maxPollOpts || len(p.Question) > maxPollText {
				return nil, fmt.Errorf("%w: a poll has 2..%d options", errEnvelope, maxPollOpts)
			}
			for _, o := range p.Options {
				if len(o) > maxPollText {
					return nil, fmt.Errorf("%w: poll option too long", errEnvelope)
				}
			}
		}
	case kindAck:
		if len(e.Acks) == 0 || len(e.Acks) > MaxAcks {
			return nil, fmt.Errorf("%w: an ack names 1..%d ids", errEnvelope, MaxAcks)
		}
		for _, a := range e.Acks {
			if !validID(a) {
				return nil, fmt.Errorf("%w: acked id is not 32 hex digits", errEnvelope)
			}
		}
	case kindEdit, kindReact, kindRead:
		if e.Ref == "" {
			return nil, fmt.Errorf("%w: %s without a reference", errEnvelope, e.T)
		}
		if e.T == kindReact && len(e.Text) > maxReaction {
			return nil, fmt.Errorf("%w: reaction too long", errEnvelope)
		}
	case kindMailbox:
		if !strings.HasPrefix(e.Text, "mfdb1:") {
			return nil, fmt.Errorf("%w: a mailbox reference starts with mfdb1:", errEnvelope)
		}
	case kindLeave, kindAway, kindTyping:
	default:
		return nil, fmt.Errorf("%w: unknown kind %q", errEnvelope, e.T)
	}
	return &e, nil
}
