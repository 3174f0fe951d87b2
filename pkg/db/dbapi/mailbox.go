package dbapi

import (
	"fmt"
	"strings"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/seal"
)

// A mailbox is a dataset anyone (or the owner's contacts) may insert into
// and only its owner may read, update or delete, whose rows are sealed to
// the owner's X25519 key (from the card in the metadata), so its providers
// store only ciphertext. Who sent a row is its change's writer, signed.
//
// A sealed row value:
//
//	version  byte 1
//	eph      32 bytes, the sender's ephemeral X25519 key
//	body     ChaCha20-Poly1305 ciphertext (pkg/seal), with associated
//	         data "mf/db/mail/v1" || dataset id || row key
//
// The associated data binds the ciphertext to its row: a provider that
// moves it to another row or dataset makes it fail to open.

const mailVersion = 1

// MaxMail is the largest plaintext a mailbox row can hold.
const MaxMail = MaxValue - 1 - seal.KeySize - seal.Overhead

// MailboxName is the name of a node's mailbox dataset.
const MailboxName = "mailbox"

// MailboxMeta is the unsigned metadata of a mailbox owned by card's
// address: read, update and delete by the owner, insert by insert (Anyone,
// or a List of the owner's contacts). The owner signs it with Meta.Sign.
func MailboxMeta(card *identity.Card, name string, insert Rule) *Meta {
	return &Meta{
		Owner: card.Address(), Name: name, Card: card.String(), Kind: KindMailbox,
		ACL:     ACL{Read: Owner, Insert: insert, Update: Owner, Delete: Owner},
		Indexes: []string{}, Version: 1,
	}
}

// MailKey is the key of a row that sender puts in a mailbox: its address
// in lower-case hex, '/', and an id of the sender's choice (unique among
// its rows, for example a time and a random number).
func MailKey(sender common.Address, id string) string {
	return strings.ToLower(sender.Hex()) + "/" + id
}

func mailAD(ds ID, key string) []byte {
	ad := append([]byte("mf/db/mail/v1"), ds[:]...)
	return append(ad, key...)
}

// SealMail seals plaintext for the owner of mailbox m, as the value of row
// key.
func SealMail(m *Meta, key string, plaintext []byte) ([]byte, error) {
	if m.Kind != KindMailbox {
		return nil, fmt.Errorf("%w: dataset %s is not a mailbox", ErrInvalid, m.Name)
	}
	if len(plaintext) > MaxMail {
		return nil, fmt.Errorf("%w: message of %d bytes, at most %d", ErrTooLarge, len(plaintext), MaxMail)
	}
	card, err := identity.ParseCard(m.Card)
	if err != nil {
		return nil, fmt.Errorf("%w: mailbox owner's card: %v", ErrInvalid, err)
	}
	out := []byte{mailVersion}
	eph, ct, err := seal.Seal(nil, &card.Enc, plaintext, mailAD(m.ID, key))
	if err != nil {
		return nil, err
	}
	out = append(out, eph[:]...)
	return append(out, ct...), nil
}

// LooksSealed reports whether value has the form of a sealed row (only the
// owner can tell whether it opens).
func LooksSealed(value []byte) bool {
	return len(value) >= 1+seal.KeySize+seal.Overhead && value[0] == mailVersion
}

// OpenMail opens a sealed row value of row key in mailbox ds with the
// owner's opener (seal.NewOpener of the identity's Enc key).
func OpenMail(o *seal.Opener, ds ID, key string, value []byte) ([]byte, error) {
	if !LooksSealed(value) {
		return nil, fmt.Errorf("%w: row is not a sealed mailbox row", ErrInvalid)
	}
	eph := seal.PublicKey(value[1 : 1+seal.KeySize])
	pt, err := o.Open(nil, &eph, value[1+seal.KeySize:], mailAD(ds, key))
	if err != nil {
		return nil, fmt.Errorf("db: mailbox row %q: %w", key, err)
	}
	return pt, nil
}
