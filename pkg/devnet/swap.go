package devnet

import (
	"context"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"github.com/ethereum/go-ethereum/common"

	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/court"
	"github.com/mainframe/mf/pkg/devchain"
	"github.com/mainframe/mf/pkg/route"
	"github.com/mainframe/mf/pkg/swap"
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

// detach starts a background process that outlives the devnet command.
func detach(bin string, args []string, logPath string, env []string) (*exec.Cmd, chan error, error) {
	logf, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o644)
	if err != nil {
		return nil, nil, err
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	cmd.Env = append(os.Environ(), env...)
	if err := cmd.Start(); err != nil {
		return nil, nil, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	return cmd, exited, nil
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
	os.Remove(filepath.Join(dir, devchain.InfoName+".ready"))
	cmd, exited, err := detach(bin, []string{"chain", "--dir", dir}, filepath.Join(dir, "chain.log"), nil)
	if err != nil {
		return err
	}
	var info *devchain.Info
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("devnet: the chain exited (%v); see %s", err, filepath.Join(dir, "chain.log"))
		case <-time.After(100 * time.Millisecond):
		}
		if i, err := devchain.ReadInfo(dir); err == nil && chainUp(ctx, i.IPC) {
			info = i
			break
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return fmt.Errorf("devnet: the chain did not come up; see %s", filepath.Join(dir, "chain.log"))
		}
	}
	fmt.Fprintf(o.Out, "chain running in %s (token %s)\n", dir, info.Token)
	for _, n := range st.Nodes {
		cfg, err := config.Load(n.Home)
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
	c, _, err := swap.Dial(cctx, ipc)
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
		deposit, _ = swap.ParseAmount("50")
	}
	if !st.Funded {
		for _, n := range st.Nodes {
			c, err := route.ReadCard(n.Home)
			if err != nil {
				return err
			}
			fctx, cancel := context.WithTimeout(ctx, time.Minute)
			err = devchain.Faucet(fctx, st.ChainDir(), common.Address(c.Address()), new(big.Int).Mul(deposit, big.NewInt(2)))
			cancel()
			if err != nil {
				return fmt.Errorf("devnet: funding %s: %w", n.Name, err)
			}
		}
	}
	for _, n := range st.Nodes {
		_, exited, err := detach(bin, []string{"--home", n.Home, "daemon"}, filepath.Join(n.Home, "swap.log"), []string{"MF_HOME=" + n.Home})
		if err != nil {
			return err
		}
		c := swap.NewClient(n.Home)
		deadline := time.Now().Add(60 * time.Second)
		for {
			select {
			case err := <-exited:
				return fmt.Errorf("devnet: mf-swap of %s exited (%v); see %s", n.Name, err, filepath.Join(n.Home, "swap.log"))
			case <-time.After(100 * time.Millisecond):
			}
			sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			_, err := c.Status(sctx)
			cancel()
			if err == nil {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("devnet: mf-swap of %s did not answer; see %s", n.Name, filepath.Join(n.Home, "swap.log"))
			}
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
	_, exited, err := detach(bin, []string{"--home", n.Home, "daemon"}, filepath.Join(n.Home, "court.log"), []string{"MF_HOME=" + n.Home})
	if err != nil {
		return err
	}
	c := court.NewClient(n.Home)
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case err := <-exited:
			return fmt.Errorf("devnet: mf-court of %s exited (%v); see %s", n.Name, err, filepath.Join(n.Home, "court.log"))
		case <-time.After(100 * time.Millisecond):
		}
		sctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		_, err := c.Stakes(sctx)
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("devnet: mf-court of %s did not answer; see %s", n.Name, filepath.Join(n.Home, "court.log"))
		}
	}
}
