package routecmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/route"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

type initOptions struct {
	dev          bool
	passwordFile string
	listen       []string
	json         bool
}

func newInitCmd(g *globals) *cobra.Command {
	var o initOptions
	cmd := &cobra.Command{
		Use:   "init",
		Short: "Create a node: identity key, encryption key and configuration",
		Long: `Create a new node in the home directory.

It generates a secp256k1 identity key (stored in go-ethereum's encrypted
keystore format under keystore/), derives the X25519 encryption key from it,
and writes config.toml. The keystore is encrypted with the password in
--password-file; --dev uses an empty password and cheap key stretching, for
development nodes only. An existing node is never overwritten.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runInit(g, o) },
	}
	cmd.Flags().BoolVar(&o.dev, "dev", false, "development node: empty keystore password")
	cmd.Flags().StringVar(&o.passwordFile, "password-file", "", "file whose first line is the keystore password")
	cmd.Flags().BoolVar(&o.json, "json", false, "print the new node's identity as JSON (as id --json)")
	cmd.Flags().StringArrayVar(&o.listen, "listen", nil, fmt.Sprintf("multiaddr to listen on (repeatable; default TCP and QUIC on port %d)", config.DefaultPort))
	return cmd
}

func runInit(g *globals, o initOptions) error {
	if o.dev == (o.passwordFile != "") {
		return cli.Usagef("give exactly one of --dev and --password-file")
	}
	password := ""
	if o.passwordFile != "" {
		var err error
		password, err = config.Route{PasswordFile: o.passwordFile}.Password()
		if err != nil {
			return err
		}
		if password == "" {
			return errors.New("the password file is empty; use --dev for a node without a password")
		}
	}
	home := g.home()
	id, err := route.Init(home, route.InitOptions{Password: password, Dev: o.dev, Listen: o.listen})
	if errors.Is(err, route.ErrNodeExists) {
		return cli.WithHint(fmt.Errorf("a node already exists in %s; refusing to overwrite it", home), "use another --home, or remove %s by hand if you really mean to lose that identity", home)
	}
	if err != nil {
		return err
	}
	pub := id.Public()
	fmt.Fprintf(g.streams.Err, "created node in %s\n", home)
	if o.json {
		c, err := route.ReadCard(home)
		if err != nil {
			return err
		}
		return cli.WriteJSON(g.streams.Out, cardInfo(c))
	}
	fmt.Fprintf(g.streams.Out, "overlay  %s\npeer     %s\naddress  %s\n", pub.Overlay(), pub.PeerID(), pub.Address().Hex())
	return nil
}

type idOptions struct {
	json bool
	card bool
}

func newIDCmd(g *globals) *cobra.Command {
	var o idOptions
	cmd := &cobra.Command{
		Use:   "id",
		Short: "Print this node's addresses, keys and contact card",
		Long: `Print the overlay address, peer ID, Ethereum address, encryption key and
signed contact card of this node.

The card is one word (mfc1...) that another node imports with
'mf-route contacts add NAME CARD' or uses directly as a send target. It is
signed by the identity key: an altered card is rejected. When the daemon
runs, the card lists the addresses it actually listens on.
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error { return runID(cmd, g, o) },
	}
	cmd.Flags().BoolVar(&o.json, "json", false, "print JSON")
	cmd.Flags().BoolVar(&o.card, "card", false, "print only the contact card")
	return cmd
}

func runID(cmd *cobra.Command, g *globals, o idOptions) error {
	home := g.home()
	var info routeapi.IDInfo
	st, err := g.client().Status(cmd.Context())
	if err == nil {
		info = st.IDInfo
	} else {
		if _, err := loadConfig(home); err != nil {
			return err
		}
		c, err := route.ReadCard(home)
		if err != nil {
			return fmt.Errorf("cannot read this node's card in %s: %v", home, err)
		}
		info = cardInfo(c)
	}
	switch {
	case o.json:
		return cli.WriteJSON(g.streams.Out, info)
	case o.card:
		fmt.Fprintln(g.streams.Out, info.Card)
	default:
		fmt.Fprintf(g.streams.Out, "overlay  %s\npeer     %s\naddress  %s\nenc key  %s\n", info.Overlay, info.PeerID, info.Address, info.EncKey)
		if len(info.Addrs) > 0 {
			fmt.Fprintf(g.streams.Out, "listen   %s\n", strings.Join(info.Addrs, "\n         "))
		}
		fmt.Fprintf(g.streams.Out, "card     %s\n", info.Card)
	}
	return nil
}

// cardInfo is what id prints for a node whose daemon is not running: what
// its card says.
func cardInfo(c *identity.Card) routeapi.IDInfo {
	info := routeapi.IDInfo{Overlay: c.Overlay(), PeerID: c.PeerID().String(), Address: c.Address().Hex(), EncKey: fmt.Sprintf("%x", c.Enc[:]), Card: c.String()}
	for _, a := range c.Addrs {
		info.Addrs = append(info.Addrs, a.String())
	}
	return info
}

func newConfigCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "config",
		Short: "Print the effective configuration (file, MF_* variables and defaults)",
		Args:  cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadConfig(g.home())
			if err != nil {
				return err
			}
			return toml.NewEncoder(g.streams.Out).Encode(c)
		},
	}
}
