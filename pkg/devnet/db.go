package devnet

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/mainframe/mf/pkg/db/dbapi"
)

// dbBin is the mf-db binary: Options.DBBin, else beside mf-route, else on
// $PATH.
func dbBin(o Options) (string, error) {
	if o.DBBin != "" {
		return o.DBBin, nil
	}
	bin := filepath.Join(filepath.Dir(o.Bin), "mf-db")
	if _, err := os.Stat(bin); err == nil {
		return bin, nil
	}
	if bin, err := exec.LookPath("mf-db"); err == nil {
		return bin, nil
	}
	return "", fmt.Errorf("devnet: mf-db not found beside %s or on $PATH (or use --no-db)", o.Bin)
}

// startDB starts every node's mf-db daemon (DIR/nodeI/db.log). It sells
// nothing until its operator sets a price (mf-db provide).
func startDB(ctx context.Context, o Options, st *State) error {
	bin, err := dbBin(o)
	if err != nil {
		return err
	}
	for _, n := range st.Nodes {
		c := dbapi.NewClient(n.Home)
		err := launch(ctx, bin, []string{"--home", n.Home, "daemon"}, n.Home, filepath.Join(n.Home, "db.log"), func(ctx context.Context) error {
			_, err := c.Status(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("devnet: mf-db of %s: %w", n.Name, err)
		}
		fmt.Fprintf(o.Out, "mf-db running for %s\n", n.Name)
	}
	return nil
}

// dbPID is the pid of home's mf-db daemon, 0 when none runs.
func dbPID(home string) int { return pidIn(filepath.Join(home, dbapi.PIDName), "daemon", home) }
