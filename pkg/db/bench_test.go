package db

import (
	"bytes"
	"context"
	"fmt"
	"sort"
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/db/dbapi"
	"github.com/mainframe/mf/pkg/kv"
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
