package chat

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/ethereum/go-ethereum/crypto"
	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/hkdf"

	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
)

// The history is kept in Pebble (data/chat), every value sealed with
// XChaCha20-Poly1305 under a key derived from the node's identity key, and
// bound to its key in the database, so that values cannot be swapped
// between keys. What the keys show is the shape of the history, never its
// words or its people:
//
//	c/<cid>                          conversation record (convRecord)
//	m/<cid><clock:8><from:4><id:16>  message (chatapi.Message)
//	i/<cid><id:16>                   the m/ key of a message id (dedup)
//	o/<seq:8>                        outgoing queue entry (outEntry)
//	a/<cid><id:16>                   a sent message waiting for its recipients (awaitEntry)
//	x/<cid><id:16>                   a message to index (ixEntry, index.go)
//	s/<name>                         settings (away)
//
// cid is 8 bytes of HMAC-SHA256 of the conversation id under the history
// key: a conversation's name never reaches the disk in clear.

type store struct {
	db   *kv.DB
	aead interface {
		Seal(dst, nonce, plaintext, ad []byte) []byte
		Open(dst, nonce, ciphertext, ad []byte) ([]byte, error)
		NonceSize() int
	}
	mac []byte
	// aeadKey is the history key, kept to reopen the store in tests.
	aeadKey []byte
}

// historyKey derives the history key from the identity key: the keystore
// stays the node's only secret.
func historyKey(id *identity.Identity) []byte {
	k := make([]byte, 32)
	r := hkdf.New(sha256.New, crypto.FromECDSA(id.Key), nil, []byte("mf/chat/history/v1"))
	_, _ = io.ReadFull(r, k)
	return k
}

func newStore(db *kv.DB, key []byte) (*store, error) {
	a, err := chacha20poly1305.NewX(key)
	if err != nil {
		return nil, err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte("mf/chat/names/v1"))
	return &store{db: db, aead: a, mac: m.Sum(nil), aeadKey: key}, nil
}

var errSealed = errors.New("chat: a history record does not open with this node's key")

func (s *store) seal(key, v []byte) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(v)+16)
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, v, key)
}

func (s *store) open(key, v []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(v) < n {
		return nil, errSealed
	}
	pt, err := s.aead.Open(nil, v[:n], v[n:], key)
	if err != nil {
		return nil, errSealed
	}
	return pt, nil
}

func (s *store) cid(conv string) []byte {
	m := hmac.New(sha256.New, s.mac)
	m.Write([]byte(conv))
	return m.Sum(nil)[:8]
}

func convKey(cid []byte) []byte { return append([]byte("c/"), cid...) }

func msgKey(cid []byte, clock uint64, from string, id string) []byte {
	k := append([]byte("m/"), cid...)
	k = binary.BigEndian.AppendUint64(k, clock)
	f, _ := hex.DecodeString(from)
	k = append(k, (append(f, 0, 0, 0, 0))[:4]...)
	raw, _ := hex.DecodeString(id)
	return append(k, raw...)
}

func idKey(cid []byte, id string) []byte {
	raw, _ := hex.DecodeString(id)
	return append(append([]byte("i/"), cid...), raw...)
}

func outKey(seq uint64) []byte { return binary.BigEndian.AppendUint64([]byte("o/"), seq) }

// setJSON adds a sealed JSON value to b.
func (s *store) setJSON(b *kv.Batch, key []byte, v any) {
	raw, _ := json.Marshal(v)
	b.Set(key, s.seal(key, raw))
}

func (s *store) getJSON(key []byte, v any) error {
	raw, err := s.db.Get(key)
	if err != nil {
		return err
	}
	pt, err := s.open(key, raw)
	if err != nil {
		return err
	}
	return json.Unmarshal(pt, v)
}

// convRecord is what the store keeps of a conversation.
type convRecord struct {
	chatapi.Conversation
	// Clock is the conversation's Lamport clock: the highest clock seen.
	Clock uint64 `json:"clock"`
	// Session is the mf-route session topic messages to the contact go
	// on.
	Session string `json:"session,omitempty"`
	Count   int    `json:"count"`
	// Mailbox is the reference of the contact's mf-db mailbox, as it
	// told this node in the session (mailbox.go).
	Mailbox string `json:"mailbox,omitempty"`
}

// outEntry is a packet waiting in the outgoing queue.
type outEntry struct {
	Seq     uint64 `json:"seq"`
	Conv    string `json:"conv"`
	ID      string `json:"id"`      // the message it carries, if a message
	Payload []byte `json:"payload"` // the envelope
	// Msg: the entry is a message (not an edit, reaction or notice), so
	// its delivery is followed.
	Msg bool `json:"msg,omitempty"`
}

// message reads the message id of conversation conv.
func (s *store) message(conv, id string) (*chatapi.Message, []byte, error) {
	if !validID(id) {
		return nil, nil, kv.ErrNotFound
	}
	cid := s.cid(conv)
	mk, err := s.db.Get(idKey(cid, id))
	if err != nil {
		return nil, nil, err
	}
	var m chatapi.Message
	if err := s.getJSON(mk, &m); err != nil {
		return nil, nil, err
	}
	return &m, mk, nil
}

// lastMessages returns the last limit messages of conv, oldest first
// (limit 0: all). Only those are opened.
func (s *store) lastMessages(conv string, limit int) ([]chatapi.Message, error) {
	type kvp struct{ k, v []byte }
	var ring []kvp
	n := 0
	err := s.db.Scan(append([]byte("m/"), s.cid(conv)...), func(k, v []byte) error {
		e := kvp{append([]byte(nil), k...), append([]byte(nil), v...)}
		if limit > 0 && len(ring) == limit {
			ring[n%limit] = e
		} else {
			ring = append(ring, e)
		}
		n++
		return nil
	})
	if err != nil {
		return nil, err
	}
	if limit > 0 && n > limit {
		start := n % limit
		ring = append(ring[start:], ring[:start]...)
	}
	out := make([]chatapi.Message, 0, len(ring))
	for _, e := range ring {
		pt, err := s.open(e.k, e.v)
		if err != nil {
			return nil, err
		}
		var m chatapi.Message
		if err := json.Unmarshal(pt, &m); err != nil {
			return nil, fmt.Errorf("chat: damaged message record: %w", err)
		}
		out = append(out, m)
	}
	return out, nil
}
