// Package config finds a node's home and reads its configuration.
//
// A node is one directory, $MF_HOME (default ~/.mainframe, flag --home).
// Settings come, in order of precedence, from command-line flags, MF_*
// environment variables, $MF_HOME/config.toml, and built-in defaults. Each
// service has its own table in config.toml ([route], later [swap], ...).
package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
)

// FileName is the configuration file inside a home.
const FileName = "config.toml"

// DefaultPort is where mf-route listens (TCP and QUIC) unless told otherwise.
const DefaultPort = 7700

// ErrNoHome means the home holds no node.
var ErrNoHome = errors.New("config: no node here")

// Home resolves the node directory: the flag if given, else $MF_HOME, else
// ~/.mainframe.
func Home(flag string) string {
	if flag != "" {
		return flag
	}
	if h := os.Getenv("MF_HOME"); h != "" {
		return h
	}
	if d, err := os.UserHomeDir(); err == nil {
		return filepath.Join(d, ".mainframe")
	}
	return ".mainframe"
}

// Route holds mf-route's settings.
type Route struct {
	// Listen lists the multiaddrs the libp2p host listens on (MF_LISTEN,
	// comma-separated).
	Listen []string `toml:"listen"`
	// Bootstrap lists peers (multiaddrs with /p2p/ or contact cards) to join
	// through (MF_BOOTSTRAP).
	Bootstrap []string `toml:"bootstrap"`
	// Dev marks a development node whose keystore has an empty password
	// (MF_DEV).
	Dev bool `toml:"dev"`
	// PasswordFile holds the keystore password (MF_PASSWORD_FILE).
	PasswordFile string `toml:"password_file"`
	// AllowPeers, when not empty, is the only set of peer IDs this node
	// connects to (MF_ALLOW_PEERS): fixed topologies and private networks.
	AllowPeers []string `toml:"allow_peers"`
	// TTL is the hop limit given to packets this node sends (MF_TTL).
	TTL int `toml:"ttl"`
	// LogLevel is debug, info, warn or error (MF_LOG_LEVEL).
	LogLevel string `toml:"log_level"`
	// Luminosity is how many bits of a recipient's overlay address packets
	// disclose unless the contact or the command says otherwise: 256 is
	// direct delivery, fewer hides the recipient in a zone (MF_LUMINOSITY).
	Luminosity int `toml:"luminosity"`
	// Bond is what a certified packet offers its first hop, in token
	// units; BondFee is what this node keeps of a bond it passes on.
	Bond    uint64 `toml:"bond"`
	BondFee uint64 `toml:"bond_fee"`
	// ReceiptFraction is the share of zone members asked for a receipt
	// when a dark packet is certified.
	ReceiptFraction float64 `toml:"receipt_fraction"`
	// CertTimeout is how many seconds a sender waits for proof of delivery.
	CertTimeout int `toml:"cert_timeout_seconds"`
	// HoldMode says when a packet sent also goes to the recipient's
	// delegates (mf-hold): always, unreachable (only when the recipient is
	// not connected) or off (MF_HOLD_MODE).
	HoldMode string `toml:"hold_mode"`
	// RelayService offers circuit relay v2 slots to nodes behind NATs,
	// while AutoNAT finds this node publicly reachable (MF_RELAY_SERVICE).
	RelayService bool `toml:"relay_service"`
	// RelayReservations bounds the relay slots given out at once;
	// RelayCircuitSeconds and RelayCircuitBytes bound each relayed
	// connection, in time and in bytes each way, after which the relay
	// resets it.
	RelayReservations   int   `toml:"relay_reservations"`
	RelayCircuitSeconds int   `toml:"relay_circuit_seconds"`
	RelayCircuitBytes   int64 `toml:"relay_circuit_bytes"`
	// NATPortMap asks the home router for a port mapping through UPnP or
	// NAT-PMP (MF_NAT_PORTMAP).
	NATPortMap bool `toml:"nat_portmap"`
	// MDNS finds mf nodes on the same LAN by multicast DNS (MF_MDNS).
	MDNS bool `toml:"mdns"`
	// Reachability is auto (AutoNAT decides), public or private: an
	// operator who knows may say, for example on the first node of a new
	// network, which has no one to ask (MF_REACHABILITY).
	Reachability string `toml:"reachability"`
}

// Swap holds mf-swap's settings. Amounts are MFT ("0.5") or base units
// ("500wei").
type Swap struct {
	// EthRPC is the chain: an IPC socket path or an http(s)/ws URL
	// (MF_ETH_RPC).
	EthRPC string `toml:"eth_rpc"`
	// Token and Factory are the MFT and checkbook factory contracts.
	Token   string `toml:"token"`
	Factory string `toml:"factory"`
	// PricePerKiB is what this node charges for each KiB of packets a peer
	// hands it.
	PricePerKiB string `toml:"price_per_kib"`
	// A peer owing more than PaymentThreshold is invoiced; one owing more
	// than DisconnectThreshold is refused service until it pays.
	PaymentThreshold    string `toml:"payment_threshold"`
	DisconnectThreshold string `toml:"disconnect_threshold"`
	// CashThreshold: cheques from a peer are cashed once this much is
	// uncashed.
	CashThreshold string `toml:"cash_threshold"`
	// NoticeSeconds is the withdrawal notice period of a new checkbook.
	NoticeSeconds int `toml:"notice_seconds"`
	// Pay: answer invoices with cheques. A node that sets it false never
	// pays, and is cut off (for testing a bad peer).
	Pay bool `toml:"pay"`
	// MaxPrice: peers whose manifest asks more per KiB of routing (for this
	// node's score tier) are refused; empty for no limit.
	MaxPrice string `toml:"max_price"`
	// MinScore: peers whose credit score is lower are refused (0..1).
	MinScore float64 `toml:"min_score"`
}

// Court holds mf-court's settings; the chain is swap.eth_rpc.
type Court struct {
	// Registry and Court are the stake registry and court contracts.
	Registry string `toml:"registry"`
	Court    string `toml:"court"`
}

// Config is the whole config.toml.
type Config struct {
	Route Route `toml:"route"`
	Swap  Swap  `toml:"swap"`
	Court Court `toml:"court"`
	Chat  Chat  `toml:"chat"`
}

// Chat holds the settings of mf-chat's window.
type Chat struct {
	// Bell rings the terminal's bell when a message from a peer comes
	// (MF_CHAT_BELL).
	Bell bool `toml:"bell"`
	// NotifyCmd, when set, is run with /bin/sh -c for each message from a
	// peer, with MF_CHAT_CONV, MF_CHAT_FROM and MF_CHAT_TEXT (made safe to
	// print) in its environment: a desktop notification, for example
	// notify-send "$MF_CHAT_FROM" "$MF_CHAT_TEXT" (MF_CHAT_NOTIFY_CMD).
	NotifyCmd string `toml:"notify_cmd"`
	// Keys binds the window's actions to keys, each a comma-separated
	// list that replaces the action's default keys (docs/chat.md).
	Keys map[string]string `toml:"keys"`
}

// Default is the configuration of a new node.
func Default() Config {
	return Config{Route: Route{
		Listen: []string{
			fmt.Sprintf("/ip4/0.0.0.0/tcp/%d", DefaultPort),
			fmt.Sprintf("/ip4/0.0.0.0/udp/%d/quic-v1", DefaultPort),
		},
		TTL:             16,
		LogLevel:        "info",
		Luminosity:      256,
		Bond:            1000,
		BondFee:         10,
		ReceiptFraction: 0.5,
		CertTimeout:     20,
		HoldMode:        "always",
		RelayService:    true,
		// libp2p's defaults (2 minutes, 128 KiB per circuit) end a
		// relayed conversation before a direct connection is made; these
		// carry one, and a circuit that ends is opened again on demand.
		RelayReservations:   128,
		RelayCircuitSeconds: 30 * 60,
		RelayCircuitBytes:   32 << 20,
		Reachability:        "auto",
	}, Swap: Swap{
		PricePerKiB:         "0.001",
		PaymentThreshold:    "0.1",
		DisconnectThreshold: "1",
		CashThreshold:       "0.5",
		NoticeSeconds:       86400,
		Pay:                 true,
	}, Chat: Chat{Bell: true}}
}

// Load reads $home/config.toml over the defaults, then applies MF_*
// variables. Unknown keys are errors so that typos do not pass silently.
func Load(home string) (Config, error) {
	c, err := LoadFile(home)
	if err != nil {
		return c, err
	}
	if err := c.applyEnv(); err != nil {
		return c, err
	}
	return c, c.Validate()
}

// LoadFile reads $home/config.toml over the defaults, without the MF_*
// variables: for a program that edits another node's file (a devnet), which
// must not write its own environment into it.
func LoadFile(home string) (Config, error) {
	c := Default()
	b, err := os.ReadFile(filepath.Join(home, FileName))
	if errors.Is(err, os.ErrNotExist) {
		return c, fmt.Errorf("%w: %s has no %s", ErrNoHome, home, FileName)
	}
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	dec := toml.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		var sme *toml.StrictMissingError
		if errors.As(err, &sme) && len(sme.Errors) > 0 {
			row, col := sme.Errors[0].Position()
			return c, fmt.Errorf("config: %s line %d column %d: unknown key %s", filepath.Join(home, FileName), row, col, strings.Join(sme.Errors[0].Key(), "."))
		}
		var de *toml.DecodeError
		if errors.As(err, &de) {
			row, col := de.Position()
			return c, fmt.Errorf("config: %s line %d column %d: %s", filepath.Join(home, FileName), row, col, de.Error())
		}
		return c, fmt.Errorf("config: %s: %w", filepath.Join(home, FileName), err)
	}
	return c, nil
}

// Validate checks values that the TOML types cannot.
func (c Config) Validate() error {
	if c.Route.TTL < 1 || c.Route.TTL > 255 {
		return fmt.Errorf("config: route.ttl must be 1..255, not %d", c.Route.TTL)
	}
	if c.Route.Luminosity < 0 || c.Route.Luminosity > 256 {
		return fmt.Errorf("config: route.luminosity must be 0..256, not %d", c.Route.Luminosity)
	}
	if c.Route.ReceiptFraction <= 0 || c.Route.ReceiptFraction > 1 {
		return fmt.Errorf("config: route.receipt_fraction must be in (0, 1], not %g", c.Route.ReceiptFraction)
	}
	if c.Route.HoldMode != "always" && c.Route.HoldMode != "unreachable" && c.Route.HoldMode != "off" {
		return fmt.Errorf("config: route.hold_mode must be always, unreachable or off, not %q", c.Route.HoldMode)
	}
	if c.Route.CertTimeout < 1 {
		return fmt.Errorf("config: route.cert_timeout_seconds must be at least 1")
	}
	if c.Route.RelayReservations < 1 || c.Route.RelayCircuitSeconds < 1 || c.Route.RelayCircuitBytes < 1 {
		return fmt.Errorf("config: route.relay_reservations, relay_circuit_seconds and relay_circuit_bytes must be at least 1")
	}
	switch c.Route.Reachability {
	case "auto", "public", "private":
	default:
		return fmt.Errorf("config: route.reachability must be auto, public or private, not %q", c.Route.Reachability)
	}
	switch c.Route.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return fmt.Errorf("config: route.log_level must be debug, info, warn or error, not %q", c.Route.LogLevel)
	}
	return nil
}

func (c *Config) applyEnv() error {
	list := func(name string, dst *[]string) {
		if v, ok := os.LookupEnv(name); ok {
			*dst = splitList(v)
		}
	}
	list("MF_LISTEN", &c.Route.Listen)
	list("MF_BOOTSTRAP", &c.Route.Bootstrap)
	list("MF_ALLOW_PEERS", &c.Route.AllowPeers)
	if v, ok := os.LookupEnv("MF_PASSWORD_FILE"); ok {
		c.Route.PasswordFile = v
	}
	if v, ok := os.LookupEnv("MF_LOG_LEVEL"); ok {
		c.Route.LogLevel = v
	}
	if v, ok := os.LookupEnv("MF_DEV"); ok {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("config: MF_DEV=%q is not a boolean", v)
		}
		c.Route.Dev = b
	}
	if v, ok := os.LookupEnv("MF_CHAT_NOTIFY_CMD"); ok {
		c.Chat.NotifyCmd = v
	}
	for name, dst := range map[string]*bool{"MF_RELAY_SERVICE": &c.Route.RelayService, "MF_NAT_PORTMAP": &c.Route.NATPortMap, "MF_MDNS": &c.Route.MDNS, "MF_CHAT_BELL": &c.Chat.Bell} {
		if v, ok := os.LookupEnv(name); ok {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("config: %s=%q is not a boolean", name, v)
			}
			*dst = b
		}
	}
	if v, ok := os.LookupEnv("MF_REACHABILITY"); ok {
		c.Route.Reachability = v
	}
	if v, ok := os.LookupEnv("MF_LUMINOSITY"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("config: MF_LUMINOSITY=%q is not a number", v)
		}
		c.Route.Luminosity = n
	}
	if v, ok := os.LookupEnv("MF_ETH_RPC"); ok {
		c.Swap.EthRPC = v
	}
	if v, ok := os.LookupEnv("MF_HOLD_MODE"); ok {
		c.Route.HoldMode = v
	}
	if v, ok := os.LookupEnv("MF_TTL"); ok {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("config: MF_TTL=%q is not a number", v)
		}
		c.Route.TTL = n
	}
	return nil
}

func splitList(v string) []string {
	var out []string
	for _, s := range strings.Split(v, ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// Save writes c to $home/config.toml atomically.
func Save(home string, c Config) error {
	b, err := toml.Marshal(c)
	if err != nil {
		return err
	}
	b = append([]byte("# mf node configuration; see mf-config(5)\n"), b...)
	return WriteFileAtomic(filepath.Join(home, FileName), b, 0o600)
}

// WriteFileAtomic writes b to path through a synced temporary file and a
// rename, so a crash leaves either the old or the new file, never half.
func WriteFileAtomic(path string, b []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(b); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Password returns the keystore password for the node: empty on a
// development node, else the first line of the password file.
func (r Route) Password() (string, error) {
	if r.PasswordFile == "" {
		if r.Dev {
			return "", nil
		}
		return "", errors.New("config: this node's keystore needs a password: give --password-file (or MF_PASSWORD_FILE)")
	}
	b, err := os.ReadFile(r.PasswordFile)
	if err != nil {
		return "", fmt.Errorf("config: password file: %w", err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}
