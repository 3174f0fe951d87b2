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

	// cpu is the CPU time all the devnet's daemons have used so far.
	cpu := func() time.Duration {
		var t time.Duration
		for i := 1; i <= 5; i++ {
			for _, svc := range []string{"route", "swap", "court", "store"} {
				t += cpuOf(filepath.Join(home(i), svc+".pid"))
			}
		}
		return t
	}
	// timed runs a command and returns its wall time, its max RSS and its
	// stdout, and logs the CPU time it and every daemon used meanwhile: on
	// a machine other work shares, the wall time says how busy it was, the
	// CPU time what the work costs.
	timed := func(args ...string) (time.Duration, int64, string) {
		cmd := exec.Command(filepath.Join(bin, "mf-store"), args...)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, os.Stderr
		c0, start := cpu(), time.Now()
		if err := cmd.Run(); err != nil {
			b.Fatalf("mf-store %s: %v", strings.Join(args, " "), err)
		}
		wall := time.Since(start)
		ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
		used := cpu() - c0 + time.Duration(ru.Utime.Nano()+ru.Stime.Nano())
		b.Logf("mf-store %s: %.2f s, %.2f CPU-s in all processes", args[2], wall.Seconds(), used.Seconds())
		return wall, ru.Maxrss, strings.TrimSpace(out.String())
	}
	wipe := func(i int) {
		chunks, _ := filepath.Glob(filepath.Join(home(i), "data", "store.chunks", "*"))
		for _, c := range chunks {
			os.RemoveAll(c)
		}
	}
	files := 0
	file := func(size int64) string {
		files++
		p := filepath.Join(dir, fmt.Sprintf("f%d-%d", size, files))
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
	// The devnet's storers find each other once; a first put warms the
	// same paths a user's first put would.
	timed("--home", home(1), "put", "-q", file(size), "--public")
	// sworn waits until every storer of ref but node1 has sworn: swearing
	// (a stake transaction and a Merkle tree over what each storer holds)
	// follows a put in the background and would share the CPU with what is
	// measured next.
	sworn := func(ref string) {
		want := 0
		for i := 2; i <= 5; i++ {
			if len(storeChunkFiles(home(i))) > 0 {
				want++
			}
		}
		for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
			out, _ := exec.Command(filepath.Join(bin, "mf-store"), "--home", home(1), "stat", ref, "--json").Output()
			if bytes.Count(out, []byte(`"agreement"`)) >= want {
				return
			}
		}
		b.Logf("not every storer swore within 2 minutes")
	}
	for i := 0; i < b.N; i++ {
		// A new file each time: a put of a file already stored moves
		// nothing.
		small := file(size)
		d, _, ref := timed("--home", home(1), "put", "-q", small)
		b.ReportMetric(mbps(size, d), "put-MB/s")
		sworn(ref)
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
	sworn(ref)
	wipe(5)
	d, getRSS, _ := timed("--home", home(5), "get", ref, "-o", filepath.Join(dir, "got"), "-q")
	b.Logf("1 GiB get: %.1f MB/s, the command's peak RSS %d MB", mbps(bigSize, d), getRSS/1024)
	b.ReportMetric(float64(max(putRSS, getRSS))/1024, "cli-peak-MB")
	var peak int64
	for _, svc := range []string{"route", "swap", "court", "store"} {
		line := "peak RSS of mf-" + svc + ", MB:"
		for i := 1; i <= 5; i++ {
			kb := vmHWM(filepath.Join(home(i), svc+".pid"))
			line += fmt.Sprintf(" node%d %d", i, kb/1024)
			peak = max(peak, kb)
		}
		b.Log(line)
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

// cpuOf is the CPU time (user and system) of the process whose pid file is
// given.
func cpuOf(pidFile string) time.Duration {
	p, err := os.ReadFile(pidFile)
	if err != nil {
		return 0
	}
	st, err := os.ReadFile("/proc/" + strings.TrimSpace(string(p)) + "/stat")
	if err != nil {
		return 0
	}
	s := string(st)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+2:])
	// fields 14 and 15 of stat (utime, stime), in clock ticks of 1/100 s
	u, _ := strconv.ParseInt(f[11], 10, 64)
	k, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(u+k) * 10 * time.Millisecond
}

// storeChunkFiles lists the chunk files a home's mf-store keeps.
func storeChunkFiles(home string) []string {
	files, _ := filepath.Glob(filepath.Join(home, "data", "store.chunks", "*", "*"))
	return files
}
