package devnet

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/hold/holdapi"
	"github.com/mainframe/mf/pkg/swap/swapapi"
)

// holdBin finds mf-hold: beside mf-route, beside mf-swap, else on $PATH;
// "" when there is none.
func holdBin(o Options) string {
	dirs := []string{filepath.Dir(o.Bin)}
	if sw, err := swapBin(o); err == nil {
		dirs = append(dirs, filepath.Dir(sw))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "mf-hold")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, _ := exec.LookPath("mf-hold")
	return p
}

// holdPID is the pid of home's mf-hold daemon, 0 when none runs.
func holdPID(home string) int { return pidIn(filepath.Join(home, holdapi.PIDName), "daemon", home) }

// startHold starts every node's mf-hold daemon (DIR/nodeI/hold.log),
// after mf-swap and mf-court, whose manifest it joins and through which it
// stakes. A devnet built without mf-hold runs without it, and says so.
func startHold(ctx context.Context, o Options, st *State) error {
	bin := holdBin(o)
	if bin == "" {
		fmt.Fprintf(o.Out, "mf-hold not found beside %s or on $PATH: the nodes run without it (build it, or use --no-hold)\n", o.Bin)
		return nil
	}
	for _, n := range st.Nodes {
		c := holdapi.NewClient(n.Home)
		err := launch(ctx, bin, []string{"--home", n.Home, "daemon"}, n.Home, filepath.Join(n.Home, "hold.log"), func(ctx context.Context) error {
			_, err := c.Status(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("devnet: mf-hold of %s: %w", n.Name, err)
		}
		fmt.Fprintf(o.Out, "mf-hold running for %s\n", n.Name)
	}
	return nil
}

// giveDelegates gives every node k delegates, the k nodes after it (node
// i: i+1 … i+k, wrapping round). The packet holders table lives on db
// providers, so every node first sells db service at a token price; then
// each node agrees with its delegates and publishes its row.
// checkHold refuses --hold-delegates that the devnet cannot give before
// anything starts, rather than minutes later: each node's delegates are
// other nodes, and the packet holders table keeps its copies on mf-db
// providers other than the node that writes its row.
func checkHold(o Options) error {
	switch k := o.HoldDelegates; {
	case k < 0:
		return fmt.Errorf("devnet: --hold-delegates must not be negative, not %d", k)
	case k == 0:
		return nil
	case o.NoDB || o.NoHold || o.NoSwap:
		return errors.New("devnet: --hold-delegates needs the mf-db, mf-hold and mf-swap daemons (leave out --no-db, --no-hold and --no-swap)")
	case k >= o.Nodes:
		return fmt.Errorf("devnet: %d delegates per node need more than %d nodes", k, o.Nodes)
	case o.Nodes <= holdapi.HoldersTableRedundancy:
		return fmt.Errorf("devnet: --hold-delegates needs at least %d nodes: the packet holders table keeps %d copies on nodes other than the one that writes each row",
			holdapi.HoldersTableRedundancy+1, holdapi.HoldersTableRedundancy)
	}
	return nil
}

func giveDelegates(ctx context.Context, o Options, st *State, k int) error {
	if k >= len(st.Nodes) {
		return fmt.Errorf("devnet: %d delegates per node need more than %d nodes", k, len(st.Nodes))
	}
	for _, n := range st.Nodes {
		if _, err := dbapi.NewClient(n.Home).Provide(ctx, dbapi.ProvideRequest{Price: "1"}); err != nil {
			return fmt.Errorf("devnet: mf-db provide on %s: %w", n.Name, err)
		}
	}
	// Wait until the first node finds every node's offers of db and hold
	// (the DHT records and the manifests): the table's placement and the
	// delegates' agreements need them.
	sw := swapapi.NewClient(st.Nodes[0].Home)
	for _, svc := range []string{"db", holdapi.Service} {
		deadline := time.Now().Add(3 * time.Minute)
		for {
			offers, err := sw.Find(ctx, svc, "", 0)
			if err == nil && len(offers) >= len(st.Nodes)-1 {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("devnet: node1 finds %d offers of %s, not %d: %v", len(offers), svc, len(st.Nodes)-1, err)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(2 * time.Second):
			}
		}
	}
	for i, n := range st.Nodes {
		var peers []string
		for j := 1; j <= k; j++ {
			peers = append(peers, st.Nodes[(i+j)%len(st.Nodes)].PeerID)
		}
		var err error
		for try := 0; try < 10; try++ {
			if _, err = holdapi.NewClient(n.Home).AddDelegates(ctx, peers); err == nil {
				break
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(3 * time.Second):
			}
		}
		if err != nil {
			return fmt.Errorf("devnet: delegates of %s: %w", n.Name, err)
		}
		fmt.Fprintf(o.Out, "%s has %d delegates\n", n.Name, k)
	}
	return nil
}
