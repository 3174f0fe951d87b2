package routecmd

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

func newSessionCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "session",
		Short: "Agree a private topic and key with a contact",
		Long: `A session is a fresh topic and symmetric key agreed with one contact. The
key travels once, sealed to the contact; afterwards packets on the session's
topic are sealed with it and carry no key of either party, and cost no key
agreement. Send inside a session with 'mf-route send --topic TOPIC'.
` + cli.ExitCodesHelp,
	}
	var lum int
	open := &cobra.Command{
		Use:   "open CONTACT",
		Short: "Open a session with a contact and print its topic",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req := routeapi.SessionRequest{With: args[0]}
			if cmd.Flags().Changed("luminosity") {
				if lum < 0 || lum > 256 {
					return cli.Usagef("--luminosity must be 0..256, not %d", lum)
				}
				req.Luminosity = &lum
			}
			s, err := g.client().OpenSession(cmd.Context(), req)
			if err != nil {
				return g.clientErr(err)
			}
			fmt.Fprintln(g.streams.Out, s.Topic)
			return nil
		},
	}
	open.Flags().IntVar(&lum, "luminosity", 256, "destination bits the session's packets disclose (default: the contact's, else route.luminosity)")
	var asJSON bool
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List sessions",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ss, err := g.client().Sessions(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteList(g.streams.Out, asJSON, ss, "TOPIC\tPEER\tLUM\tOPENED HERE", func(s routeapi.SessionInfo) string {
				return fmt.Sprintf("%s\t%s\t%d\t%v", s.Topic, s.Peer, s.Luminosity, s.OpenedHere)
			})
		},
	}
	ls.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(open, ls)
	return cmd
}

// withKey counts the members known to hold the group's current key.
func withKey(gi routeapi.GroupInfo) int {
	k := 0
	for _, m := range gi.Members {
		if m.HasKey {
			k++
		}
	}
	return k
}

func newGroupCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "group",
		Short: "Multicast groups: one key, one encryption, many members",
		Long: `A group has one symmetric key that its creator hands to every member,
sealed to each member's own key. 'mf-route send --group NAME' encrypts a
packet once and addresses all members; relays carry one copy as far as the
members' paths go together and split it where they part. Members read it
with 'mf-route listen --group NAME'. Adding or removing a member makes a new
key that only the members at that moment get: a removed member cannot read
what is sent afterwards. Only the creator changes the members.

A member that takes a key confirms it to the creator: 'group ls' shows, for
a group this node created, how many members hold the current key (KEYS).
A member that was unreachable when the key changed gets it with
'group resend NAME' once it is back.

  mf-route group create team --member alice --member bob
  echo hi | mf-route send --group team
  mf-route group rm team bob
  mf-route group resend team
` + cli.ExitCodesHelp,
	}
	var members []string
	var lum int
	var createJSON bool
	create := &cobra.Command{
		Use:   "create NAME --member CONTACT...",
		Short: "Create a group of contacts",
		Args:  cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(members) == 0 {
				return cli.Usagef("a group needs at least one --member")
			}
			seen := map[string]bool{}
			for _, m := range members {
				if seen[m] {
					return cli.Usagef("member %s is listed twice", m)
				}
				seen[m] = true
			}
			req := routeapi.GroupRequest{Name: args[0], Members: members}
			if cmd.Flags().Changed("luminosity") {
				if lum < 0 || lum > 256 {
					return cli.Usagef("--luminosity must be 0..256, not %d", lum)
				}
				req.Luminosity = &lum
			}
			gi, err := g.client().CreateGroup(cmd.Context(), req)
			if err != nil {
				return g.clientErr(err)
			}
			if createJSON {
				return cli.WriteJSON(g.streams.Out, gi)
			}
			fmt.Fprintf(g.streams.Err, "created group %s with %d member(s)\n", gi.Name, len(gi.Members))
			return nil
		},
	}
	create.Flags().BoolVar(&createJSON, "json", false, "print the group as JSON")
	create.Flags().StringArrayVar(&members, "member", nil, "contact to include (repeatable, at least one)")
	create.Flags().IntVar(&lum, "luminosity", 256, "destination bits each member's address discloses")
	var asJSON bool
	ls := &cobra.Command{
		Use:   "ls",
		Short: "List groups this node created or belongs to",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			gs, err := g.client().Groups(cmd.Context())
			if err != nil {
				return g.clientErr(err)
			}
			return cli.WriteList(g.streams.Out, asJSON, gs, "NAME\tMEMBERS\tEPOCH\tMINE\tKEYS", func(gi routeapi.GroupInfo) string {
				keys := "-"
				if gi.Mine {
					keys = fmt.Sprintf("%d/%d", withKey(gi), len(gi.Members))
				}
				return fmt.Sprintf("%s\t%d\t%d\t%v\t%s", gi.Name, len(gi.Members), gi.Epoch, gi.Mine, keys)
			})
		},
	}
	ls.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	change := func(use, short string, adding bool) *cobra.Command {
		return &cobra.Command{
			Use:   use,
			Short: short,
			Args: func(cmd *cobra.Command, args []string) error {
				if len(args) < 2 {
					return cli.Usagef("%s needs a group name and at least one contact", cmd.CommandPath())
				}
				return nil
			},
			RunE: func(cmd *cobra.Command, args []string) error {
				ch := routeapi.GroupChange{Remove: args[1:]}
				if adding {
					ch = routeapi.GroupChange{Add: args[1:]}
				}
				gi, err := g.client().ChangeGroup(cmd.Context(), args[0], ch)
				if err != nil {
					return g.clientErr(err)
				}
				fmt.Fprintf(g.streams.Err, "group %s: %d member(s), new key (epoch %d)\n", gi.Name, len(gi.Members), gi.Epoch)
				return nil
			},
		}
	}
	resend := &cobra.Command{
		Use:   "resend NAME",
		Short: "Hand a group's current key again to members that have not confirmed it",
		Long: `Send the current key of a group this node created to every member that has
not confirmed it (for example, a node that was down when the key changed).
'group ls' shows the count as confirmations arrive.
` + cli.ExitCodesHelp,
		Args: cli.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			gi, err := g.client().ResendGroup(cmd.Context(), args[0])
			if err != nil {
				return g.clientErr(err)
			}
			fmt.Fprintf(g.streams.Err, "group %s: key of epoch %d sent again to %d member(s)\n", gi.Name, gi.Epoch, len(gi.Members)-withKey(*gi))
			return nil
		},
	}
	cmd.AddCommand(create, ls, resend,
		change("add NAME CONTACT...", "Add members and hand out a new key", true),
		change("rm NAME CONTACT...", "Remove members and hand the others a new key", false))
	return cmd
}
