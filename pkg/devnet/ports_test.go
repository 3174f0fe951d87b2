package devnet

import "testing"

// TestFreePortsBelowTheEphemeralRange: a devnet's ports are not ones the
// kernel may hand to any program's outgoing connection before the node
// binds them.
func TestFreePortsBelowTheEphemeralRange(t *testing.T) {
	low := ephemeralLow()
	if low <= minDevnetPort+10 {
		t.Skipf("the ephemeral range starts at %d", low)
	}
	ports, err := freePorts(10)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[int]bool{}
	for _, p := range ports {
		if p < minDevnetPort || p >= low || seen[p] {
			t.Fatalf("port %d: want distinct ports in [%d, %d)", p, minDevnetPort, low)
		}
		seen[p] = true
	}
}
