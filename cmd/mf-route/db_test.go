package main

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mainframe/mf/pkg/db"
	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/kv"
)

// restartdb HOME: start HOME's mf-db daemon again (after killnode -db) and
// wait until it answers.
func cmdRestartDB(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: restartdb HOME")
	}
	home := ts.MkAbs(args[0])
	restartDaemon(ts, "mf-db", dbapi.PIDName, home, func() error {
		_, err := dbapi.NewClient(home).Status(context.Background())
		return err
	})
}

// lastfield VAR: set VAR to the last tab-separated field of the last line
// of stdout (the version a watch printed last).
func cmdLastField(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 1 {
		ts.Fatalf("usage: lastfield VAR")
	}
	lines := strings.Split(strings.TrimSpace(ts.ReadFile("stdout")), "\n")
	f := strings.Split(lines[len(lines)-1], "\t")
	ts.Setenv(args[0], f[len(f)-1])
}

// storedrows HOME DATASET: print the value of every change HOME's mf-db
// holds for DATASET, read straight from its Pebble database (the daemon
// must be stopped: Pebble locks its directory), one per line as Go quoted
// text. It is what the provider itself can see of the rows.
func cmdStoredRows(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: storedrows HOME DATASET")
	}
	id, err := dbapi.ParseID(args[1])
	ts.Check(err)
	e, err := db.Open(filepath.Join(ts.MkAbs(args[0]), "data", "db"))
	ts.Check(err)
	defer e.Close()
	cs, err := e.Missing(id, nil, 0)
	ts.Check(err)
	for _, c := range cs {
		fmt.Fprintf(ts.Stdout(), "%s %q\n", c.Key, c.Value)
	}
}

// lower VAR TEXT: set VAR to TEXT in lower case (an address as a network
// table's self rule wants its key).
func cmdLower(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: lower VAR TEXT")
	}
	ts.Setenv(args[0], strings.ToLower(args[1]))
}

// dbbench [-j N] HOME DATASET ROWS GETS: write ROWS rows of 1 KiB JSON
// to DATASET through HOME's mf-db in batches of 256 (signed once a batch,
// each stored on W of its providers before its call returns), N batches
// in flight at once (default 1), then read GETS of them back one by one,
// and print the figures: rows/s, and the p50 and p90 of a point get (each
// verified by the daemon's caller, as mf-db get does).
func cmdDBBench(ts *testscript.TestScript, neg bool, args []string) {
	jobs := 1
	if len(args) > 1 && args[0] == "-j" {
		var err error
		jobs, err = strconv.Atoi(args[1])
		ts.Check(err)
		args = args[2:]
	}
	if len(args) != 4 || jobs < 1 {
		ts.Fatalf("usage: dbbench [-j N] HOME DATASET ROWS GETS")
	}
	c := dbapi.NewClient(ts.MkAbs(args[0]))
	ds := args[1]
	rows, err := strconv.Atoi(args[2])
	ts.Check(err)
	gets, err := strconv.Atoi(args[3])
	ts.Check(err)
	ctx := context.Background()
	m, err := c.Meta(ctx, ds)
	ts.Check(err)
	pad := strings.Repeat("x", 1000)
	var reqs []dbapi.BatchRequest
	for n := 0; n < rows; {
		var req dbapi.BatchRequest
		for ; len(req.Writes) < 256 && n < rows; n++ {
			req.Writes = append(req.Writes, dbapi.WriteRequest{Op: dbapi.OpPut, Key: fmt.Sprintf("bench/%08d", n),
				Value: []byte(fmt.Sprintf(`{"n": %d, "pad": %q}`, n, pad))})
		}
		reqs = append(reqs, req)
	}
	start := time.Now()
	work := make(chan dbapi.BatchRequest)
	errs := make(chan error, jobs)
	for range jobs {
		go func() {
			var first error
			for req := range work {
				if _, err := c.WriteBatch(ctx, ds, req); err != nil && first == nil {
					first = err
				}
			}
			errs <- first
		}()
	}
	for _, req := range reqs {
		work <- req
	}
	close(work)
	for range jobs {
		ts.Check(<-errs)
	}
	took := time.Since(start)
	var lat []time.Duration
	for i := 0; i < gets; i++ {
		key := fmt.Sprintf("bench/%08d", (i*7919)%rows)
		t0 := time.Now()
		ch, err := c.Get(ctx, ds, key)
		ts.Check(err)
		ts.Check(dbapi.VerifyRow(m, key, ch))
		lat = append(lat, time.Since(t0))
	}
	fmt.Fprintf(ts.Stdout(), "inserts %d rows in %v: %.0f rows/s\n", rows, took.Round(time.Millisecond), float64(rows)/took.Seconds())
	if gets > 0 {
		printLatency(ts, "get", lat)
		watchBench(ts, c, ds, gets/10)
	}
}

func printLatency(ts *testscript.TestScript, what string, lat []time.Duration) {
	slices.Sort(lat)
	fmt.Fprintf(ts.Stdout(), "%s p50 %v p90 %v\n", what, lat[len(lat)/2].Round(10*time.Microsecond), lat[len(lat)*9/10].Round(10*time.Microsecond))
}

// watchBench writes n single rows, one after the other, with a watch open
// on the dataset through the same daemon, and prints the p50 and p90 of a
// notification: from the write's call to the watcher's receipt of it.
func watchBench(ts *testscript.TestScript, c *dbapi.Client, ds string, n int) {
	if n < 1 {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d, err := c.Digest(ctx, ds)
	ts.Check(err)
	// The watcher stamps each event as it arrives, which may be before
	// the write's call returns (the watched provider may commit before
	// W providers have answered).
	type seen struct {
		key string
		at  time.Time
	}
	got := make(chan seen, n)
	opened := make(chan struct{})
	go func() {
		_ = c.Watch(ctx, ds, d.Version, func() { close(opened) }, func(ev *dbapi.WatchEvent, _ []byte) error {
			got <- seen{ev.Change.Key, time.Now()}
			return nil
		})
	}()
	select {
	case <-opened:
	case <-time.After(time.Minute):
		ts.Fatalf("the watch did not open")
	}
	var lat, wlat []time.Duration
	for i := range n {
		key := fmt.Sprintf("watch/%08d", i)
		t0 := time.Now()
		_, err := c.Write(ctx, ds, dbapi.WriteRequest{Op: dbapi.OpPut, Key: key, Value: []byte(`{"n": 1}`)})
		ts.Check(err)
		wlat = append(wlat, time.Since(t0))
		for s := (seen{}); s.key != key; {
			select {
			case s = <-got:
				if s.key == key {
					lat = append(lat, s.at.Sub(t0))
				}
			case <-time.After(time.Minute):
				ts.Fatalf("no notification of %s", key)
			}
		}
	}
	printLatency(ts, "single write", wlat)
	printLatency(ts, "watch notification", lat)
}

// pebblebench DIR ROWS GETS: the limit, on bare Pebble (pkg/kv, synced
// like mf-db's commits) in DIR: ROWS rows of 1 KiB in synced batches of
// 256, then GETS point reads, printed like dbbench.
func cmdPebbleBench(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: pebblebench DIR ROWS GETS")
	}
	rows, err := strconv.Atoi(args[1])
	ts.Check(err)
	gets, err := strconv.Atoi(args[2])
	ts.Check(err)
	d, err := kv.Open(ts.MkAbs(args[0]))
	ts.Check(err)
	defer d.Close()
	val := []byte(fmt.Sprintf(`{"n": 0, "pad": %q}`, strings.Repeat("x", 1000)))
	start := time.Now()
	for n := 0; n < rows; {
		b := d.NewBatch()
		for j := 0; j < 256 && n < rows; j, n = j+1, n+1 {
			b.Set([]byte(fmt.Sprintf("bench/%08d", n)), val)
		}
		ts.Check(b.Commit())
	}
	took := time.Since(start)
	fmt.Fprintf(ts.Stdout(), "pebble: inserts %d rows in %v: %.0f rows/s\n", rows, took.Round(time.Millisecond), float64(rows)/took.Seconds())
	var lat []time.Duration
	for i := 0; i < gets; i++ {
		t0 := time.Now()
		_, err := d.Get([]byte(fmt.Sprintf("bench/%08d", (i*7919)%rows)))
		ts.Check(err)
		lat = append(lat, time.Since(t0))
	}
	printLatency(ts, "pebble: get", lat)
}

// tamperrow HOME DATASET KEY VALUE: as a cheating provider would, replace
// the value of every change to row KEY that HOME's mf-db stores for
// DATASET with VALUE (JSON), keeping the writer's signature, straight in
// its Pebble database (the daemon must be stopped).
func cmdTamperRow(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: tamperrow HOME DATASET KEY VALUE")
	}
	id, err := dbapi.ParseID(args[1])
	ts.Check(err)
	d, err := kv.Open(filepath.Join(ts.MkAbs(args[0]), "data", "db"))
	ts.Check(err)
	defer d.Close()
	prefix := append([]byte{'c'}, id[:]...)
	type entry struct{ k, v []byte }
	var todo []entry
	ts.Check(d.Scan(prefix, func(k, v []byte) error {
		c, err := dbapi.DecodeStoredChange(v)
		if err != nil {
			return err
		}
		if c.Key == args[2] {
			c.Value = []byte(args[3])
			todo = append(todo, entry{slices.Clone(k), c.Encode()})
		}
		return nil
	}))
	if len(todo) == 0 {
		ts.Fatalf("no change to row %s stored", args[2])
	}
	for _, e := range todo {
		ts.Check(d.Set(e.k, e.v))
	}
}

// droprow HOME DATASET KEY: as a provider that drops data would, delete
// row KEY of DATASET from HOME's mf-db: every change to it and the row
// itself, straight in its Pebble database (the daemon must be stopped).
func cmdDropRow(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: droprow HOME DATASET KEY")
	}
	id, err := dbapi.ParseID(args[1])
	ts.Check(err)
	d, err := kv.Open(filepath.Join(ts.MkAbs(args[0]), "data", "db"))
	ts.Check(err)
	defer d.Close()
	var todo [][]byte
	ts.Check(d.Scan(append([]byte{'c'}, id[:]...), func(k, v []byte) error {
		c, err := dbapi.DecodeStoredChange(v)
		if err != nil {
			return err
		}
		if c.Key == args[2] {
			todo = append(todo, slices.Clone(k))
		}
		return nil
	}))
	if len(todo) == 0 {
		ts.Fatalf("no change to row %s stored", args[2])
	}
	// The row: 'r' id key (pkg/db's layout).
	todo = append(todo, append(append([]byte{'r'}, id[:]...), args[2]...))
	for _, k := range todo {
		ts.Check(d.Delete(k))
	}
}

// setstake HOME DATASET AGREEMENT: make HOME's mf-db (stopped) sign its
// court promises for DATASET on AGREEMENT, as a provider that edits its own
// storage can ('S' id → the agreement id, pkg/db's layout).
func cmdSetStake(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 {
		ts.Fatalf("usage: setstake HOME DATASET AGREEMENT")
	}
	id, err := dbapi.ParseID(args[1])
	ts.Check(err)
	d, err := kv.Open(filepath.Join(ts.MkAbs(args[0]), "data", "db"))
	ts.Check(err)
	defer d.Close()
	ts.Check(d.Set(append([]byte{'S'}, id[:]...), []byte(args[2])))
}
