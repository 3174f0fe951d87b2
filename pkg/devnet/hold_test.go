package devnet

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUpRefusesHoldDelegatesItCannotGive: --hold-delegates that cannot be
// given is refused before anything is created or started, not after the
// devnet has run for minutes.
func TestUpRefusesHoldDelegatesItCannotGive(t *testing.T) {
	for _, c := range []struct {
		name string
		o    Options
		want string
	}{
		{"negative", Options{Nodes: 5, HoldDelegates: -1}, "must not be negative"},
		{"too few nodes for the table", Options{Nodes: 3, HoldDelegates: 1}, "at least 4 nodes"},
		{"more delegates than other nodes", Options{Nodes: 4, HoldDelegates: 4}, "need more than 4 nodes"},
		{"without mf-db", Options{Nodes: 5, HoldDelegates: 1, NoDB: true}, "needs the mf-db"},
		{"without mf-hold", Options{Nodes: 5, HoldDelegates: 1, NoHold: true}, "needs the mf-db"},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "net")
			c.o.Dir = dir
			_, err := Up(context.Background(), c.o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("Up: %v, want an error saying %q", err, c.want)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				t.Fatalf("the devnet's directory was made: %v", err)
			}
		})
	}
}
