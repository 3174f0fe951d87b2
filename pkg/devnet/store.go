package devnet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/mainframe/mf/pkg/store/storeapi"
)

// storeBin finds mf-store: beside mf-route, beside mf-swap, else on $PATH;
// "" when there is none.
func storeBin(o Options) string {
	dirs := []string{filepath.Dir(o.Bin)}
	if sw, err := swapBin(o); err == nil {
		dirs = append(dirs, filepath.Dir(sw))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "mf-store")
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, _ := exec.LookPath("mf-store")
	return p
}

// startStore starts every node's mf-store daemon, after mf-swap and
// mf-court, whose manifest it joins and through which it stakes. A devnet
// built without mf-store runs without it, and says so.
func startStore(ctx context.Context, o Options, st *State) error {
	bin := storeBin(o)
	if bin == "" {
		fmt.Fprintf(o.Out, "mf-store not found beside %s or on $PATH: the nodes run without it (build it, or use --no-store)\n", o.Bin)
		return nil
	}
	for _, n := range st.Nodes {
		c := storeapi.NewClient(n.Home)
		err := launch(ctx, bin, []string{"--home", n.Home, "daemon"}, n.Home, filepath.Join(n.Home, "store.log"), func(ctx context.Context) error {
			_, err := c.Status(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("devnet: mf-store of %s: %w", n.Name, err)
		}
		fmt.Fprintf(o.Out, "mf-store running for %s\n", n.Name)
	}
	return nil
}
