package routeapi

import (
	"time"

	"github.com/mainframe/mf/pkg/identity"
)

// GroupSentRecord is what the sender of a certified group packet
// (SendRequest{Group, Certify}) knows about it: one signed receipt per
// member, as they come back.
type GroupSentRecord struct {
	ID         string    `json:"id"`
	Group      string    `json:"group"`
	Luminosity int       `json:"luminosity"`
	SentAt     time.Time `json:"sent_at"`
	// Status is "pending" until every member signed a receipt, then
	// "delivered".
	Status  string          `json:"status"`
	DoneAt  *time.Time      `json:"done_at,omitempty"`
	Members []MemberReceipt `json:"members"`
}

// MemberReceipt is one member of a certified group packet: Receipt is its
// signed receipt (kind received, over the packet id), once it came.
type MemberReceipt struct {
	Name    string           `json:"name,omitempty"`
	Overlay identity.Overlay `json:"overlay"`
	Receipt *ReceiptInfo     `json:"receipt,omitempty"`
}

// Delivered counts the members whose receipt came.
func (r *GroupSentRecord) Delivered() int {
	k := 0
	for _, m := range r.Members {
		if m.Receipt != nil {
			k++
		}
	}
	return k
}
