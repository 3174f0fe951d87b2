package routecmd

import (
	"context"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/route"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// runGroupReceipts is receipts --group: certified group packets, with the
// receipts of their members.
func runGroupReceipts(cmd *cobra.Command, g *globals, asJSON bool, wait string, timeout time.Duration) error {
	c := g.client()
	var rs []routeapi.GroupSentRecord
	if wait != "" {
		ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
		defer cancel()
		for {
			r, err := c.GroupReceipt(ctx, wait)
			if err != nil {
				return g.clientErr(err)
			}
			if r.Status != route.StatusPending {
				rs = append(rs, *r)
				break
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("still pending after %s: %d of %d members signed", timeout, r.Delivered(), len(r.Members))
			case <-time.After(50 * time.Millisecond):
			}
		}
	} else {
		var err error
		if rs, err = c.GroupReceipts(cmd.Context()); err != nil {
			return g.clientErr(err)
		}
	}
	if asJSON {
		if wait != "" {
			return cli.WriteJSON(g.streams.Out, rs[0])
		}
		return cli.WriteJSON(g.streams.Out, rs)
	}
	w := cli.Table(g.streams.Out)
	fmt.Fprintln(w, "PACKET\tGROUP\tSTATUS\tRECEIPTS")
	for _, r := range rs {
		fmt.Fprintf(w, "%s\t%s\t%s\t%d/%d\n", r.ID[:16], r.Group, r.Status, r.Delivered(), len(r.Members))
	}
	return w.Flush()
}
