package cli

import (
	"context"
	"time"

	"github.com/spf13/cobra"
)

// WaitCommand is a binary's `wait`: it returns once ready says the thing
// waited for answers, so that a script can start a daemon in the
// background (`mf-route daemon &`) and go on only when it serves. what
// names it in the help; ready gets a short deadline per try and runs after
// the flags are parsed; notReady turns its last error into the one
// reported at the timeout.
func WaitCommand(binary, what string, ready func(context.Context) error, notReady func(error) error) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "wait [--timeout D]",
		Short: "Wait until " + what + " answers (after starting it in the background)",
		Long: `Return as soon as ` + what + ` answers, trying every 100 ms for up to
--timeout: for scripts that start it in the background and then use it, as in

  ` + binary + ` daemon &
  ` + binary + ` wait
` + ExitCodesHelp,
		Args: NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if timeout <= 0 {
				return Usagef("--timeout must be positive")
			}
			ctx, cancel := context.WithTimeout(cmd.Context(), timeout)
			defer cancel()
			for {
				tctx, tcancel := context.WithTimeout(ctx, 2*time.Second)
				err := ready(tctx)
				tcancel()
				if err == nil {
					return nil
				}
				select {
				case <-ctx.Done():
					if cmd.Context().Err() != nil {
						return cmd.Context().Err()
					}
					return notReady(err)
				case <-time.After(100 * time.Millisecond):
				}
			}
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 60*time.Second, "give up after this long")
	return cmd
}
