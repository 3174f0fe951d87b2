package chatapi

import (
	"encoding/hex"
	"fmt"
	"path/filepath"
	"time"
)

// Files of mf-chat inside a home that its clients need.
const (
	SocketName = "chat.sock"
	PIDName    = "chat.pid"
)

// SocketPath is the API socket of home's mf-chat daemon.
func SocketPath(home string) string { return filepath.Join(home, SocketName) }

// Message states.
const (
	StateSending = "sending"
	StateSent    = "sent"
	// StateHeld: the contact's mf-hold delegates signed that they hold
	// it for the contact, who is offline; delivered when it fetches it.
	StateHeld      = "held"
	StateDelivered = "delivered"
	StateFailed    = "failed"
	StateReceived  = "received"
)

// Conversation kinds.
const (
	KindContact = "contact"
	KindGroup   = "group"
)

// AdviceCrowd is the crowd mf-chat asks mf-route's luminosity advice for.
const AdviceCrowd = 10

// MaxText bounds a message's text in bytes: a message travels in one
// mf-route packet with room for its envelope.
const MaxText = 16 << 10

// Status answers /v0/status.
type Status struct {
	Overlay       string `json:"overlay"`
	Conversations int    `json:"conversations"`
	Messages      int    `json:"messages"`
	Queued        int    `json:"queued"`
	Index         bool   `json:"index"`
	Route         bool   `json:"route"` // mf-route answers
	Away          string `json:"away,omitempty"`
}

// Conversation is a contact (1:1 over an mf-route session) or a group
// (over an mf-route group).
type Conversation struct {
	ID      string    `json:"id"` // KindContact+":"+name or KindGroup+":"+name
	Kind    string    `json:"kind"`
	Name    string    `json:"name"`
	Unread  int       `json:"unread"`
	Last    time.Time `json:"last,omitzero"`
	Preview string    `json:"preview,omitempty"`
	// Luminosity is the bits of the peer's address the conversation's
	// packets disclose (-1: mf-route's default), and Crowd the number of
	// nodes mf-route estimates share that prefix: the crowd it hides in.
	Luminosity int     `json:"luminosity"`
	Crowd      float64 `json:"crowd,omitempty"`
	// Advice is the luminosity mf-route advises for a crowd of at least
	// AdviceCrowd nodes (-1: not known).
	Advice  int      `json:"advice"`
	Members []string `json:"members,omitempty"`
	Owner   bool     `json:"owner,omitempty"`
	Left    bool     `json:"left,omitempty"`
	// Presence is the peer's last word about itself: "away: TEXT", or
	// "seen" with Seen, when it was last heard from.
	Presence string    `json:"presence,omitempty"`
	Seen     time.Time `json:"seen,omitzero"`
	// TypingAt is when the peer last said it was typing here (a notice
	// lasts TypingFor).
	TypingAt time.Time `json:"typing_at,omitzero"`
}

// TypingFor is how long a typing notice shows; a client that keeps typing
// says so again every TypingEvery.
const (
	TypingFor   = 6 * time.Second
	TypingEvery = 3 * time.Second
)

// TypingResult answers /v0/typing: Sent tells whether a notice went out
// (not when notices are off, one went a moment ago, or no session is open
// yet).
type TypingResult struct {
	Sent bool `json:"sent"`
}

// SettingsRequest changes this node's chat settings; nil leaves one as it
// is.
type SettingsRequest struct {
	// Typing: tell peers when this node is typing.
	Typing *bool `json:"typing,omitempty"`
	// ReadReceipts: tell peers when this node read their messages.
	ReadReceipts *bool `json:"read_receipts,omitempty"`
}

// Settings answers /v0/settings.
type Settings struct {
	Typing       bool   `json:"typing"`
	ReadReceipts bool   `json:"read_receipts"`
	Away         string `json:"away,omitempty"`
}

// Poll is a poll microformat: a question and its options; votes are
// reactions "vote:N".
type Poll struct {
	Question string   `json:"question"`
	Options  []string `json:"options"`
}

// Message is one message of a conversation.
type Message struct {
	ID   string `json:"id"`
	Conv string `json:"conv"`
	// From is the sender's contact name, or the first 12 hex digits of its
	// overlay address for a stranger; "me" for this node.
	From        string    `json:"from"`
	FromOverlay string    `json:"from_overlay,omitempty"`
	Mine        bool      `json:"mine,omitempty"`
	Text        string    `json:"text"`
	Sent        time.Time `json:"sent"` // the sender's clock
	Received    time.Time `json:"received,omitzero"`
	// Clock is the conversation's Lamport clock at the message: messages
	// sort by it (then sender, then id), not by anyone's wall clock.
	Clock       uint64              `json:"clock"`
	State       string              `json:"state"`
	Reason      string              `json:"reason,omitempty"`
	DeliveredTo []string            `json:"delivered_to,omitempty"`
	ReplyTo     string              `json:"reply_to,omitempty"`
	Edited      bool                `json:"edited,omitempty"`
	Reactions   map[string][]string `json:"reactions,omitempty"`
	Poll        *Poll               `json:"poll,omitempty"`
	// Receipt is the recipient node's signed receipt (routeapi.Receipt,
	// hex) of a certified session packet the message went in: to a
	// contact.
	Receipt string `json:"receipt,omitempty"`
	// Receipts are, in a group, each member's signed receipt (by member
	// name) of a certified group packet the message went in; DeliveredTo
	// lists the members that gave one.
	Receipts map[string]string `json:"receipts,omitempty"`
	// Attachment is a file stored with mf-store that the message refers
	// to (/attach); /save fetches it.
	Attachment *Attachment `json:"attachment,omitempty"`
	// Acked lists the group members whose mf-chat acknowledged the
	// message inside the group: it stops the sending again, while the
	// state waits for their receipts.
	Acked []string `json:"acked,omitempty"`
	// ReadBy lists the peers whose mf-chat said they read the
	// conversation up to this message (read receipts; a peer may turn
	// them off).
	ReadBy []string `json:"read_by,omitempty"`
}

// SendRequest queues a message. To is a conversation id, a contact name
// or a group name. ID, if given, makes the request idempotent: a second
// request with the same ID returns the first message.
type SendRequest struct {
	To      string `json:"to"`
	Text    string `json:"text"`
	ID      string `json:"id,omitempty"`
	ReplyTo string `json:"reply_to,omitempty"`
	// Edit replaces the text of an earlier message of this node.
	Edit string `json:"edit,omitempty"`
	// React adds Text as a reaction to message React.
	React string `json:"react,omitempty"`
	Poll  *Poll  `json:"poll,omitempty"`
	// Attach is a file on this machine for the daemon to store with
	// mf-store and send a reference to (Text is then its caption).
	Attach string `json:"attach,omitempty"`
	// Attachment sends a reference to a file already stored.
	Attachment *Attachment `json:"attachment,omitempty"`
}

// ReadRequest names a conversation.
type ReadRequest struct {
	Conv string `json:"conv"`
}

// SearchResult answers /v0/search.
type SearchResult struct {
	Query         string         `json:"query"`
	Total         int            `json:"total"`
	Messages      []Message      `json:"messages"`
	Conversations []Conversation `json:"conversations,omitempty"`
	TookMS        float64        `json:"took_ms"`
}

// Event kinds on /v0/watch.
const (
	EventMessage = "message" // a new message, or a new state or edit of one
	EventConv    = "conversation"
)

// Event is one line of /v0/watch.
type Event struct {
	Kind string `json:"kind"`
	// New: the message just came from a peer (not a new state, edit or
	// reaction of one): what a window notifies of.
	New     bool          `json:"new,omitempty"`
	Message *Message      `json:"message,omitempty"`
	Conv    *Conversation `json:"conversation,omitempty"`
}

// ContactRequest adds a contact to mf-route's book.
type ContactRequest struct {
	Name string `json:"name"`
	Card string `json:"card"`
}

// GroupRequest creates a group.
type GroupRequest struct {
	Name       string   `json:"name"`
	Members    []string `json:"members"`
	Luminosity *int     `json:"luminosity,omitempty"`
}

// GroupChange invites (Add) or kicks (Remove) members.
type GroupChange struct {
	Add    []string `json:"add,omitempty"`
	Remove []string `json:"remove,omitempty"`
}

// LuminosityRequest sets a conversation's luminosity.
type LuminosityRequest struct {
	Conv       string `json:"conv"`
	Luminosity int    `json:"luminosity"`
}

// AwayRequest sets this node's presence: Away empty means back.
type AwayRequest struct {
	Away string `json:"away"`
}

// NameRequest claims or looks up a name in the directory.
type NameRequest struct {
	Name string `json:"name"`
}

// NameInfo is a name in the directory: its owner on the chain (an
// Ethereum address) and the owner's contact card.
type NameInfo struct {
	Name  string `json:"name"`
	Owner string `json:"owner"`
	Card  string `json:"card"`
}

// Attachment is a reference to a file in mf-store, as a message carries
// it: the reference (64 hex digits for a public file, 128 for a private
// one, whose second half is its key), the file's name and its size.
type Attachment struct {
	Ref  string `json:"ref"`
	Name string `json:"name"`
	Size int64  `json:"size"`
}

// Attachment bounds.
const (
	MaxAttachmentName = 255
	MaxAttachmentSize = 1 << 50
)

// CheckAttachment checks an attachment's fields, from a peer or a script.
func CheckAttachment(a *Attachment) error {
	if n := len(a.Ref); n != 64 && n != 128 {
		return fmt.Errorf("an attachment reference is 64 or 128 hex digits (mf-store put prints it), not %d characters", n)
	}
	if _, err := hex.DecodeString(a.Ref); err != nil {
		return fmt.Errorf("an attachment reference is 64 or 128 hex digits (mf-store put prints it): not hex")
	}
	if a.Name == "" || len(a.Name) > MaxAttachmentName {
		return fmt.Errorf("an attachment's name is 1..%d bytes", MaxAttachmentName)
	}
	if a.Size < 0 || a.Size > MaxAttachmentSize {
		return fmt.Errorf("an attachment's size %d is out of range", a.Size)
	}
	return nil
}

// SaveRequest fetches the attachment of message ID of Conv into the
// directory Dir (an absolute path on the daemon's machine; the client
// gives its own working directory).
type SaveRequest struct {
	Conv string `json:"conv"`
	ID   string `json:"id"`
	Dir  string `json:"dir"`
}

// SaveResult is where the file went.
type SaveResult struct {
	Path string `json:"path"`
	Size int64  `json:"size"`
}

// MailboxInfo is this node's mf-db mailbox: the reference contacts open
// it by, also published in the directory.
type MailboxInfo struct {
	Ref string `json:"ref"`
}
