package db

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"sort"
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
)

// The engine beside bare Pebble (pkg/kv, which syncs every commit), on the
// same rows: 1 KiB JSON documents written in batches of benchBatch, and
// point reads among benchRows rows. The difference is what the engine
// adds: signatures (made and checked), the ACL, the log, the version
// vector, the key's history and the row. Figures in docs/benchmarks.md.

const (
	benchBatch = 256
	benchRows  = 10000
)

// benchValue is a 1 KiB JSON document.
var benchValue = []byte(`{"d":"` + string(bytes.Repeat([]byte("x"), 1024-8)) + `"}`)

func benchMeta(b *testing.B, e *Engine, alice person) *dbapi.Meta {
	m := &dbapi.Meta{Name: "bench", Card: alice.card,
		ACL: dbapi.ACL{Read: dbapi.Owner, Insert: dbapi.Owner, Update: dbapi.Owner, Delete: dbapi.Owner}, Version: 1}
	if err := m.Sign(alice.key()); err != nil {
		b.Fatal(err)
	}
	if err := e.PutMeta(m); err != nil {
		b.Fatal(err)
	}
	return m
}

func reportRows(b *testing.B, rows int) {
	b.ReportMetric(float64(rows)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkInsertBatched: the writer's own engine signs (once per batch)
// and applies inserts.
func BenchmarkInsertBatched(b *testing.B) {
	alice := newPerson(b, 1)
	e := newEngine(b)
	m := benchMeta(b, e, alice)
	b.SetBytes(int64(len(benchValue)))
	b.ReportAllocs()
	n := 0
	for n < b.N {
		ws := make([]Write, 0, benchBatch)
		for j := 0; j < benchBatch && n < b.N; j++ {
			ws = append(ws, Write{Dataset: m.ID, Key: fmt.Sprintf("row/%09d", n), Op: dbapi.OpInsert, Value: benchValue})
			n++
		}
		if _, err := e.WriteBatch(alice.key(), ws); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b, b.N)
}

// BenchmarkApplyBatched: a provider checks and stores batches its writer
// signed (the signing is not timed).
func BenchmarkApplyBatched(b *testing.B) {
	alice := newPerson(b, 1)
	e := newEngine(b)
	m := benchMeta(b, e, alice)
	b.SetBytes(int64(len(benchValue)))
	b.ReportAllocs()
	n := 0
	for n < b.N {
		b.StopTimer()
		cs := make([]*dbapi.Change, 0, benchBatch)
		for j := 0; j < benchBatch && n < b.N; j++ {
			n++
			cs = append(cs, &dbapi.Change{Dataset: m.ID, Key: fmt.Sprintf("row/%09d", n), Op: dbapi.OpInsert, Value: benchValue, Seq: uint64(n), Time: uint64(n)})
		}
		if _, err := dbapi.SignBatch(alice.key(), cs); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := e.ApplyBatch(cs); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b, b.N)
}

// BenchmarkPebbleBatched: the same rows as bare Pebble key-values.
func BenchmarkPebbleBatched(b *testing.B) {
	db, err := kv.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	b.SetBytes(int64(len(benchValue)))
	b.ReportAllocs()
	n := 0
	for n < b.N {
		batch := db.NewBatch()
		for j := 0; j < benchBatch && n < b.N; j++ {
			batch.Set([]byte(fmt.Sprintf("row/%09d", n)), benchValue)
			n++
		}
		if err := batch.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b, b.N)
}

// BenchmarkGet: a point read of one of benchRows rows, returning the
// signed change.
func BenchmarkGet(b *testing.B) {
	alice := newPerson(b, 1)
	e := newEngine(b)
	m := benchMeta(b, e, alice)
	for i := 0; i < benchRows; i += benchBatch {
		var ws []Write
		for j := i; j < i+benchBatch && j < benchRows; j++ {
			ws = append(ws, Write{Dataset: m.ID, Key: fmt.Sprintf("row/%09d", j), Op: dbapi.OpInsert, Value: benchValue})
		}
		if _, err := e.WriteBatch(alice.key(), ws); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := e.Get(m.ID, alice.addr, fmt.Sprintf("row/%09d", (i*7919)%benchRows)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPebbleGet: the same read on bare Pebble.
func BenchmarkPebbleGet(b *testing.B) {
	db, err := kv.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	for i := 0; i < benchRows; i += benchBatch {
		batch := db.NewBatch()
		for j := i; j < i+benchBatch && j < benchRows; j++ {
			batch.Set([]byte(fmt.Sprintf("row/%09d", j)), benchValue)
		}
		if err := batch.Commit(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if _, err := db.Get([]byte(fmt.Sprintf("row/%09d", (i*7919)%benchRows))); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWatchNotify: from a write's call to a watcher's callback with
// it (the commit, the wake-up, the read of the log), one write at a time;
// it reports the median.
func BenchmarkWatchNotify(b *testing.B) {
	alice := newPerson(b, 1)
	e := newEngine(b)
	m := benchMeta(b, e, alice)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan time.Time, 1)
	ready := make(chan struct{})
	go func() {
		_ = e.Watch(ctx, m.ID, alice.addr, nil, func(*dbapi.Change) error {
			got <- time.Now()
			return nil
		})
	}()
	// The first write tells us the watcher is following.
	go func() {
		<-got
		close(ready)
	}()
	if _, err := e.Write(alice.key(), Write{Dataset: m.ID, Key: "warmup", Op: dbapi.OpPut, Value: benchValue}); err != nil {
		b.Fatal(err)
	}
	<-ready
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if _, err := e.Write(alice.key(), Write{Dataset: m.ID, Key: fmt.Sprintf("row/%09d", i), Op: dbapi.OpInsert, Value: benchValue}); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, (<-got).Sub(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
}

// socketService serves a fresh engine on a Unix socket in a temporary
// home, as mf-db daemon does, and returns a client of it.
func socketService(b *testing.B) (*dbapi.Client, string) {
	alice := newPerson(b, 1)
	home, err := os.MkdirTemp("", "mfdbb")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(home) })
	e := newEngine(b)
	s := NewService(e, alice.Identity, alice.card)
	ln, err := localapi.Listen(dbapi.SocketPath(home))
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = localapi.Serve(ctx, ln, s.Handler()); close(done) }()
	b.Cleanup(func() { cancel(); <-done })
	c := dbapi.NewClient(home)
	if _, err := c.Create(context.Background(), dbapi.CreateRequest{Name: "bench"}); err != nil {
		b.Fatal(err)
	}
	return c, "bench"
}

// BenchmarkSocketBatched: what a script or another service gets through
// mf-db's socket: batches of 256 rows of 1 KiB, signed by the daemon.
func BenchmarkSocketBatched(b *testing.B) {
	c, ds := socketService(b)
	ctx := context.Background()
	b.SetBytes(int64(len(benchValue)))
	n := 0
	b.ResetTimer()
	for n < b.N {
		var req dbapi.BatchRequest
		for j := 0; j < benchBatch && n < b.N; j++ {
			req.Writes = append(req.Writes, dbapi.WriteRequest{Op: dbapi.OpInsert, Key: fmt.Sprintf("row/%09d", n), Value: benchValue})
			n++
		}
		if _, err := c.WriteBatch(ctx, ds, req); err != nil {
			b.Fatal(err)
		}
	}
	reportRows(b, b.N)
}

// BenchmarkSocketGet: a point read through the socket (p50 reported).
func BenchmarkSocketGet(b *testing.B) {
	c, ds := socketService(b)
	ctx := context.Background()
	for i := 0; i < benchRows; i += benchBatch {
		var req dbapi.BatchRequest
		for j := i; j < i+benchBatch && j < benchRows; j++ {
			req.Writes = append(req.Writes, dbapi.WriteRequest{Op: dbapi.OpInsert, Key: fmt.Sprintf("row/%09d", j), Value: benchValue})
		}
		if _, err := c.WriteBatch(ctx, ds, req); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		start := time.Now()
		if _, err := c.Get(ctx, ds, fmt.Sprintf("row/%09d", (i*7919)%benchRows)); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
}
