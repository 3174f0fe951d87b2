package devnet

import (
	"context"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/amount"
	"github.com/mainframe/mf/pkg/chain"
	"github.com/mainframe/mf/pkg/chaindir"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/court/courtapi"
	"github.com/mainframe/mf/pkg/route"
	"github.com/mainframe/mf/pkg/swap/swapapi"
)

// swapBin finds mf-swap: beside mf-route, else on $PATH.
func swapBin(o Options) (string, error) {
	if o.SwapBin != "" {
		return o.SwapBin, nil
	}
	beside := filepath.Join(filepath.Dir(o.Bin), "mf-swap")
	if _, err := os.Stat(beside); err == nil {
		return beside, nil
	}
	p, err := exec.LookPath("mf-swap")
	if err != nil {
		return "", fmt.Errorf("devnet: mf-swap not found beside %s or on $PATH (build it, or use --no-swap)", o.Bin)
	}
	return p, nil
}

// devnetProcs is the GOMAXPROCS of every process a devnet starts, unless
// the caller's environment sets one. A devnet runs every node's daemons on
// one machine, so the processes, not the threads of one, share its cores;
// with a P per core in each, the Go runtime wakes an idle thread on another
// core for every goroutine a network read or a channel makes ready, and on
// a virtual machine each of those context switches is dear. Measured on
// the 5-node line of docs/benchmarks.md ("Run G"), one P each gave more
// packets a second, a lower tail and less CPU per packet, and a db get on
// three providers a quarter less CPU in each of the four processes it
// passes.
const devnetProcs = "1"

// launch starts a background process that outlives the devnet command (its
// own session: it does not get the terminal's Ctrl-C), logging to logPath,
// and waits up to a minute until ready answers. home, if set, is its
// MF_HOME.
func launch(ctx context.Context, bin string, args []string, home, logPath string, ready func(context.Context) error) error {
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	// A devnet process is configured by its home's config.toml alone: the
	// caller's MF_* settings (MF_LISTEN for its own node, say) would give
	// every node the same port or chain. Test knobs (MF_TEST_*) pass.
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "MF_") || strings.HasPrefix(kv, "MF_TEST_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	if home != "" {
		cmd.Env = append(cmd.Env, "MF_HOME="+home)
	}
	if os.Getenv("GOMAXPROCS") == "" {
		cmd.Env = append(cmd.Env, "GOMAXPROCS="+devnetProcs)
	}
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	name := filepath.Base(bin)
	deadline := time.Now().Add(time.Minute)
	for {
		select {
		case err := <-exited:
			if last := lastLine(logPath); last != "" {
				return fmt.Errorf("%s exited (%v): %s; see %s", name, err, last, logPath)
			}
			return fmt.Errorf("%s exited (%v); see %s", name, err, logPath)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err := ready(rctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return fmt.Errorf("%s did not answer within a minute; see %s", name, logPath)
		}
	}
}

// lastLine is the last non-empty line of the log at path, where a daemon
// that gives up says why.
func lastLine(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return strings.TrimSpace(lines[len(lines)-1])
}

// startChain runs the embedded chain and points every node at it.
func startChain(ctx context.Context, o Options, st *State) error {
	bin, err := swapBin(o)
	if err != nil {
		return err
	}
	dir := st.ChainDir()
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	var info *chaindir.Info
	err = launch(ctx, bin, []string{"chain", "--dir", dir}, "", filepath.Join(dir, "chain.log"), func(ctx context.Context) error {
		i, err := chaindir.ReadInfo(dir)
		if err != nil {
			return err
		}
		if !chainUp(ctx, i.IPC) {
			return errors.New("not up")
		}
		info = i
		return nil
	})
	if err != nil {
		return fmt.Errorf("devnet: the chain: %w", err)
	}
	fmt.Fprintf(o.Out, "chain running in %s (token %s)\n", dir, info.Token)
	for _, n := range st.Nodes {
		cfg, err := config.LoadFile(n.Home)
		if err != nil {
			return err
		}
		cfg.Swap.EthRPC, cfg.Swap.Token, cfg.Swap.Factory = info.IPC, info.Token, info.Factory
		cfg.Court.Registry, cfg.Court.Court = info.Registry, info.Court
		if err := config.Save(n.Home, cfg); err != nil {
			return err
		}
	}
	return nil
}

func chainUp(ctx context.Context, ipc string) bool {
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	c, _, err := chain.Dial(cctx, ipc)
	if err != nil {
		return false
	}
	c.Close()
	return true
}

// startSwap funds the nodes (first time), starts their mf-swap daemons and
// fills their checkbooks.
func startSwap(ctx context.Context, o Options, st *State) error {
	bin, err := swapBin(o)
	if err != nil {
		return err
	}
	deposit := o.Deposit
	if deposit == nil {
		deposit, _ = amount.Parse("50")
	}
	if !st.Funded {
		for _, n := range st.Nodes {
			c, err := route.ReadCard(n.Home)
			if err != nil {
				return err
			}
			fctx, cancel := context.WithTimeout(ctx, time.Minute)
			err = chaindir.Faucet(fctx, st.ChainDir(), common.Address(c.Address()), new(big.Int).Mul(deposit, big.NewInt(2)))
			cancel()
			if err != nil {
				return fmt.Errorf("devnet: funding %s: %w", n.Name, err)
			}
		}
	}
	for _, n := range st.Nodes {
		c := swapapi.NewClient(n.Home)
		err := launch(ctx, bin, []string{"--home", n.Home, "daemon"}, n.Home, filepath.Join(n.Home, "swap.log"), func(ctx context.Context) error {
			_, err := c.Status(ctx)
			return err
		})
		if err != nil {
			return fmt.Errorf("devnet: mf-swap of %s: %w", n.Name, err)
		}
		if !st.Funded {
			dctx, cancel := context.WithTimeout(ctx, time.Minute)
			_, err := c.Deposit(dctx, deposit.String())
			cancel()
			if err != nil {
				return fmt.Errorf("devnet: deposit for %s: %w", n.Name, err)
			}
		}
		fmt.Fprintf(o.Out, "mf-swap running for %s\n", n.Name)
		if err := startCourt(ctx, o, n); err != nil {
			return err
		}
		fmt.Fprintf(o.Out, "mf-court running for %s\n", n.Name)
	}
	if !st.Funded {
		st.Funded = true
		return saveState(st)
	}
	return nil
}

func saveState(st *State) error {
	b, err := jsonIndent(st)
	if err != nil {
		return err
	}
	return config.WriteFileAtomic(filepath.Join(st.dir, StateFile), b, 0o644)
}

// startCourt starts a node's mf-court daemon, found beside mf-swap.
func startCourt(ctx context.Context, o Options, n Node) error {
	sw, err := swapBin(o)
	if err != nil {
		return err
	}
	bin := filepath.Join(filepath.Dir(sw), "mf-court")
	if _, err := os.Stat(bin); err != nil {
		if bin, err = exec.LookPath("mf-court"); err != nil {
			return fmt.Errorf("devnet: mf-court not found beside %s or on $PATH", sw)
		}
	}
	err = launch(ctx, bin, []string{"--home", n.Home, "daemon"}, n.Home, filepath.Join(n.Home, "court.log"), func(ctx context.Context) error {
		_, err := courtapi.NewClient(n.Home).Stakes(ctx)
		return err
	})
	if err != nil {
		return fmt.Errorf("devnet: mf-court of %s: %w", n.Name, err)
	}
	return nil
}
