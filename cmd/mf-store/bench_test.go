package main

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkStoreDevnet measures mf-store as docs/benchmarks.md reports it,
// on a 5-node devnet of separate processes built from this tree (the chain,
// and mf-route, mf-swap, mf-court and mf-store per node):
//
//   - put: a 100 MiB file put at node1 with the default redundancy (three
//     copies), the command's wall time, from its start to the reference;
//
//   - get: the same file got at node5 after node5's chunks are removed, so
//     that every byte comes from the other storers through the gateway;
//
//   - with MF_BENCH_BIG=1 also a 1 GiB put and get, and the peak RSS of
//     every process of the devnet and of the two commands (VmHWM of each
//     daemon, the commands' max RSS).
//
//     go test -run '^$' -bench StoreDevnet -benchtime 1x ./cmd/mf-store
func BenchmarkStoreDevnet(b *testing.B) {
	dir, err := os.MkdirTemp("", "mfsb")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	bin := filepath.Join(dir, "bin")
	if out, err := exec.Command("go", "build", "-o", bin+"/", "github.com/mainframe/mf/cmd/...").CombinedOutput(); err != nil {
		b.Fatalf("building: %v\n%s", err, out)
	}
	nodes := filepath.Join(dir, "net")
	run := func(name string, args ...string) []byte {
		out, err := exec.Command(filepath.Join(bin, name), args...).CombinedOutput()
		if err != nil {
			b.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
		}
		return out
	}
	run("mf-route", "devnet", "up", "--nodes", "5", "--dir", nodes)
	b.Cleanup(func() { _ = exec.Command(filepath.Join(bin, "mf-route"), "devnet", "down", "--dir", nodes).Run() })
	home := func(i int) string { return filepath.Join(nodes, fmt.Sprintf("node%d", i)) }

	// timed runs a command and returns its wall time, its max RSS and its
	// stdout.
	timed := func(args ...string) (time.Duration, int64, string) {
		cmd := exec.Command(filepath.Join(bin, "mf-store"), args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		start := time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("mf-store %s: %v", strings.Join(args, " "), err)
		}
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		return time.Since(start), ru.Maxrss, strings.TrimSpace(out.String())
	}
	wipe := func(i int) {
		chunks, _ := filepath.Glob(filepath.Join(home(i), "data", "store.chunks", "*"))
		for _, c := range chunks {
			os.RemoveAll(c)
		}
	}
	file := func(size int64) string {
		p := filepath.Join(dir, fmt.Sprintf("f%d", size))
		f, err := os.Create(p)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.CopyN(f, rand.Reader, size); err != nil {
			b.Fatal(err)
		}
		f.Close()
		return p
	}
	mbps := func(size int64, d time.Duration) float64 { return float64(size) / 1e6 / d.Seconds() }

	const size = 100 << 20
	small := file(size)
	// The devnet's storers find each other once; a first small put warms
	// the same paths a user's first put would.
	timed("--home", home(1), "put", "-q", small, "--public")
	for i := 0; i < b.N; i++ {
		d, _, ref := timed("--home", home(1), "put", "-q", small)
		b.ReportMetric(mbps(size, d), "put-MB/s")
		wipe(5)
		d, _, _ = timed("--home", home(5), "get", ref, "-o", filepath.Join(dir, "got"), "-q")
		b.ReportMetric(mbps(size, d), "get-MB/s")
		os.Remove(filepath.Join(dir, "got"))
	}
	if os.Getenv("MF_BENCH_BIG") == "" {
		return
	}
	const bigSize = 1 << 30
	big := file(bigSize)
	d, putRSS, ref := timed("--home", home(1), "put", "-q", big)
	b.Logf("1 GiB put: %.1f MB/s, the command's peak RSS %d MB", mbps(bigSize, d), putRSS/1024)
	wipe(5)
	d, getRSS, _ := timed("--home", home(5), "get", ref, "-o", filepath.Join(dir, "got"), "-q")
	b.Logf("1 GiB get: %.1f MB/s, the command's peak RSS %d MB", mbps(bigSize, d), getRSS/1024)
	b.ReportMetric(float64(max(putRSS, getRSS))/1024, "cli-peak-MB")
	var peak int64
	for i := 1; i <= 5; i++ {
		for _, svc := range []string{"route", "swap", "court", "store"} {
			kb := vmHWM(filepath.Join(home(i), svc+".pid"))
			b.Logf("node%d mf-%s: peak RSS %d MB", i, svc, kb/1024)
			peak = max(peak, kb)
		}
	}
	b.ReportMetric(float64(peak)/1024, "daemon-peak-MB")
}

// vmHWM is the peak resident set of the process whose pid file is given,
// in KiB.
func vmHWM(pidFile string) int64 {
	p, err := os.ReadFile(pidFile)
	if err != nil {
		return 0
	}
	f, err := os.Open("/proc/" + strings.TrimSpace(string(p)) + "/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			n, _ := strconv.ParseInt(strings.Fields(v)[0], 10, 64)
			return n
		}
	}
	return 0
}
