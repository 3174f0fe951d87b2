package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/route/routeapi"
)

// BenchmarkHoldReturnDevnet measures mf-hold's end-to-end target as
// docs/benchmarks.md reports it: 10,000 held packets delivered to a node
// that comes back. A 4-node devnet of separate processes built from this
// tree (the packet holders table needs 4), where node4's delegate is node1
// (--hold-delegates 1). node4's daemons stop; node2 sends it 10,000
// packets of 1 KiB over one streaming call, which node1 holds. node4's
// mf-route and mf-hold then start again, and the clock runs from that
// start until `mf-route listen` has printed the 10,000th packet, checked
// to come once each and in order: the whole return, start-up included.
//
//	go test -run '^$' -bench HoldReturnDevnet -benchtime 1x -v ./cmd/mf-hold
func BenchmarkHoldReturnDevnet(b *testing.B) {
	const count, size = 10000, 1024
	dir, err := os.MkdirTemp("", "mfhb")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "bin")
	if out, err := exec.Command("go", "build", "-o", bin+"/", "github.com/mainframe/mf/cmd/...").CombinedOutput(); err != nil {
		b.Fatalf("building: %v\n%s", err, out)
	}
	nodes := filepath.Join(dir, "net")
	run := func(name string, args ...string) string {
		out, err := exec.Command(filepath.Join(bin, name), args...).CombinedOutput()
		if err != nil {
			b.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return strings.TrimSpace(string(out))
	}
	run("mf-route", "devnet", "up", "--nodes", "4", "--dir", nodes, "--hold-delegates", "1", "--no-store", "--no-chat")
	b.Cleanup(func() { _ = exec.Command(filepath.Join(bin, "mf-route"), "devnet", "down", "--dir", nodes).Run() })
	home := func(i int) string { return filepath.Join(nodes, fmt.Sprintf("node%d", i)) }
	card := run("mf-route", "--home", home(4), "id", "--card")
	addr := idAddress(b, run("mf-route", "--home", home(4), "id", "--json"))

	b.StopTimer()
	for i := 0; i < b.N; i++ {
		stop(b, filepath.Join(home(4), "hold.pid"))
		stop(b, filepath.Join(home(4), "route.pid"))

		topic := fmt.Sprintf("held%d", i)
		payload := func(k int) []byte {
			p := bytes.Repeat([]byte{'.'}, size)
			copy(p, fmt.Sprintf("%06d", k))
			p[size-1] = '\n' // listen prints payloads as they are
			return p
		}
		sent := 0
		err := routeapi.NewClient(home(2)).SendStream(context.Background(), func() *routeapi.SendRequest {
			if sent == count {
				return nil
			}
			sent++
			return &routeapi.SendRequest{To: card, Topic: topic, Payload: payload(sent)}
		}, func(r *routeapi.SendStreamResult) error {
			if r.Error != "" {
				return fmt.Errorf("a send failed: %s", r.Error)
			}
			return nil
		})
		if err != nil {
			b.Fatal(err)
		}
		// Every packet is on the delegate's disk before the clock starts.
		for deadline := time.Now().Add(5 * time.Minute); ; time.Sleep(time.Second) {
			n := strings.Count(run("mf-hold", "--home", home(1), "held", addr, "--json"), `"id"`)
			if n >= count {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("node1 holds %d of %d packets", n, count)
			}
		}

		b.StartTimer()
		start := time.Now()
		for _, svc := range []string{"route", "hold"} {
			daemon(b, filepath.Join(bin, "mf-"+svc), home(4), svc)
		}
		run("mf-route", "--home", home(4), "wait")
		ready := time.Since(start)
		out := run("mf-route", "--home", home(4), "listen", "--topic", topic, "--count", strconv.Itoa(count), "--timeout", "300s")
		took := time.Since(start)
		b.StopTimer()

		lines := strings.Split(out, "\n")
		if len(lines) != count {
			b.Fatalf("got %d packets, not %d", len(lines), count)
		}
		// Each once and in the order sent, though the burst sends
		// several packets within a millisecond, the send time's
		// resolution.
		for k, l := range lines {
			if !strings.HasPrefix(l, fmt.Sprintf("%06d", k+1)) {
				b.Fatalf("packet %d is %.20q", k+1, l)
			}
		}
		b.Logf("%d held packets of %d bytes, each once and in order: delivered %.2f s after node4's daemons started (mf-route ready after %.2f s)",
			count, size, took.Seconds(), ready.Seconds())
		b.ReportMetric(took.Seconds(), "delivered-s")
		b.ReportMetric(float64(count)/(took-ready).Seconds(), "packets/s-after-ready")
	}
}

// idAddress is the address in `mf-route id --json`.
func idAddress(b *testing.B, js string) string {
	i := strings.Index(js, `"address": "`)
	if i < 0 {
		b.Fatalf("no address in %s", js)
	}
	rest := js[i+len(`"address": "`):]
	return rest[:strings.IndexByte(rest, '"')]
}

// stop ends the daemon whose pid file is given, and waits for it to go.
func stop(b *testing.B, pidFile string) {
	raw, err := os.ReadFile(pidFile)
	if err != nil {
		b.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(raw)))
	if err != nil {
		b.Fatal(err)
	}
	_ = syscall.Kill(pid, syscall.SIGTERM)
	for deadline := time.Now().Add(30 * time.Second); syscall.Kill(pid, 0) == nil; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			b.Fatalf("pid %d did not stop", pid)
		}
	}
}

// daemon starts `BIN --home HOME daemon` in the background with its log
// beside the devnet's, and stops it when the benchmark ends.
func daemon(b *testing.B, bin, home, svc string) {
	log, err := os.OpenFile(filepath.Join(home, svc+".back.log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		b.Fatal(err)
	}
	cmd := exec.Command(bin, "--home", home, "daemon")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	log.Close()
	b.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		_ = cmd.Wait()
	})
}
