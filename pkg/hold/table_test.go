package hold

import (
	"testing"

	"github.com/mainframe/mf/pkg/hold/holdapi"
)

// TestHoldersTableID keeps holdapi's constant the id mf-db gives the
// table's definition: senders look rows up by the constant.
func TestHoldersTableID(t *testing.T) {
	m, err := holdersMeta()
	if err != nil {
		t.Fatal(err)
	}
	if m.ID.String() != holdapi.HoldersTableID {
		t.Fatalf("holdapi.HoldersTableID = %s, but mf-db makes the table %s", holdapi.HoldersTableID, m.ID)
	}
}
