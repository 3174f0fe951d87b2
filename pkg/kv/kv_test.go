package kv

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func openTemp(t testing.TB) (*DB, string) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "db")
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, dir
}

func TestSetGetDelete(t *testing.T) {
	db, _ := openTemp(t)
	if _, err := db.Get([]byte("k")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get of a missing key: %v, want ErrNotFound", err)
	}
	if err := db.Set([]byte("k"), []byte("v1")); err != nil {
		t.Fatal(err)
	}
	v, err := db.Get([]byte("k"))
	if err != nil || string(v) != "v1" {
		t.Fatalf("Get = %q, %v", v, err)
	}
	// Get returns a copy the caller may keep and change.
	v[0] = 'X'
	if v2, _ := db.Get([]byte("k")); string(v2) != "v1" {
		t.Fatalf("changing a returned value changed the database: %q", v2)
	}
	if err := db.Set([]byte("k"), []byte("v2")); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.Get([]byte("k")); string(v) != "v2" {
		t.Fatalf("overwrite: Get = %q", v)
	}
	if err := db.Set([]byte("empty"), nil); err != nil {
		t.Fatal(err)
	}
	if v, err := db.Get([]byte("empty")); err != nil || len(v) != 0 {
		t.Fatalf("empty value: %q, %v", v, err)
	}
	if err := db.Delete([]byte("k")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Get([]byte("k")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after Delete: %v, want ErrNotFound", err)
	}
	if err := db.Delete([]byte("never there")); err != nil {
		t.Fatalf("Delete of a missing key: %v", err)
	}
	if !strings.HasPrefix(ErrNotFound.Error(), "kv: ") {
		t.Fatalf("error %q does not name the package", ErrNotFound)
	}
}

func TestScan(t *testing.T) {
	db, _ := openTemp(t)
	keys := []string{
		"a", "a/1", "a/2", "a/3", "ab",
		"b\xff", "b\xff\x00", "b\xff\xff", "b\xff\xff\x01", "c",
		"\xff", "\xff\x01", "\xff\xff",
		"peer/x", "peer0",
	}
	for _, k := range keys {
		if err := db.Set([]byte(k), []byte("v:"+k)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"a/", []string{"a/1", "a/2", "a/3"}},
		{"a", []string{"a", "a/1", "a/2", "a/3", "ab"}},
		{"peer/", []string{"peer/x"}},
		{"none/", nil},
		{"b\xff", []string{"b\xff", "b\xff\x00", "b\xff\xff", "b\xff\xff\x01"}},
		{"b\xff\xff", []string{"b\xff\xff", "b\xff\xff\x01"}},
		{"\xff", []string{"\xff", "\xff\x01", "\xff\xff"}},
		{"\xff\xff", []string{"\xff\xff"}},
		{"", keys},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%q", tt.prefix), func(t *testing.T) {
			var got []string
			err := db.Scan([]byte(tt.prefix), func(k, v []byte) error {
				if string(v) != "v:"+string(k) {
					t.Errorf("value of %q = %q", k, v)
				}
				got = append(got, string(k))
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			want := tt.want
			if tt.prefix == "" {
				want = sorted(keys)
			}
			if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
				t.Fatalf("got %q, want %q", got, want)
			}
		})
	}

	t.Run("stop", func(t *testing.T) {
		stop := errors.New("stop")
		n := 0
		err := db.Scan([]byte("a"), func(k, v []byte) error {
			n++
			if n == 2 {
				return stop
			}
			return nil
		})
		if err != stop || n != 2 {
			t.Fatalf("err = %v after %d keys, want stop after 2", err, n)
		}
	})
}

func sorted(keys []string) []string {
	out := append([]string(nil), keys...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if bytes.Compare([]byte(out[j]), []byte(out[i])) < 0 {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestPrefixEnd(t *testing.T) {
	tests := []struct{ in, want string }{
		{"a", "b"},
		{"a/", "a0"},
		{"a\xff", "b"},
		{"a\xff\xff", "b"},
		{"\x00", "\x01"},
		{"\xff", ""},
		{"\xff\xff", ""},
		{"", ""},
	}
	for _, tt := range tests {
		in := []byte(tt.in)
		got := prefixEnd(in)
		if string(got) != tt.want || (tt.want == "" && got != nil) {
			t.Errorf("prefixEnd(%q) = %q, want %q", tt.in, got, tt.want)
		}
		if string(in) != tt.in {
			t.Errorf("prefixEnd modified its argument to %q", in)
		}
	}
}

func TestBatch(t *testing.T) {
	db, _ := openTemp(t)
	if err := db.Set([]byte("old"), []byte("1")); err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	b.Set([]byte("x"), []byte("1"))
	b.Set([]byte("y"), []byte("2"))
	b.Delete([]byte("old"))
	// Nothing is visible before Commit.
	if _, err := db.Get([]byte("x")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("batch write visible before commit: %v", err)
	}
	if _, err := db.Get([]byte("old")); err != nil {
		t.Fatalf("batch delete visible before commit: %v", err)
	}
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	for k, want := range map[string]string{"x": "1", "y": "2"} {
		if v, err := db.Get([]byte(k)); err != nil || string(v) != want {
			t.Fatalf("Get(%s) = %q, %v", k, v, err)
		}
	}
	if _, err := db.Get([]byte("old")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("batch delete not applied: %v", err)
	}
}

func TestReopen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Set([]byte("k"), []byte("v")); err != nil {
		t.Fatal(err)
	}
	b := db.NewBatch()
	b.Set([]byte("batched"), []byte("yes"))
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := db.Set([]byte("gone"), []byte("x")); err != nil {
		t.Fatal(err)
	}
	if err := db.Delete([]byte("gone")); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("database directory has mode %v, want 0700", fi.Mode().Perm())
	}

	db, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for k, want := range map[string]string{"k": "v", "batched": "yes"} {
		if v, err := db.Get([]byte(k)); err != nil || string(v) != want {
			t.Fatalf("after reopen, Get(%s) = %q, %v", k, v, err)
		}
	}
	if _, err := db.Get([]byte("gone")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("deleted key back after reopen: %v", err)
	}
}

// TestLockedSameProcess opens a database twice in one process, as a daemon
// that fails to notice an earlier instance in the same process would.
func TestLockedSameProcess(t *testing.T) {
	_, dir := openTemp(t)
	db2, err := Open(dir)
	if err == nil {
		db2.Close()
		t.Fatal("opened a database that is already open")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("a second Open in the same process fails with %q, which is not ErrLocked", err)
	}
}

const holdEnv = "KV_TEST_HOLD_DIR"

// TestHoldHelper is not a test: run as a child process by TestLockedOtherProcess,
// it opens the database in $KV_TEST_HOLD_DIR, says so, and holds it until
// its stdin closes.
func TestHoldHelper(t *testing.T) {
	dir := os.Getenv(holdEnv)
	if dir == "" {
		t.Skip("helper process only")
	}
	db, err := Open(dir)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	fmt.Println("open")
	_, _ = os.Stdin.Read(make([]byte, 1))
	db.Close()
	os.Exit(0)
}

func TestLockedOtherProcess(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldHelper$")
	cmd.Env = append(os.Environ(), holdEnv+"="+dir)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	line := make(chan string, 1)
	go func() {
		b := make([]byte, 64)
		n, _ := stdout.Read(b)
		line <- string(b[:n])
	}()
	select {
	case l := <-line:
		if !strings.HasPrefix(l, "open") {
			t.Fatalf("helper: %q", l)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("helper did not open the database")
	}

	db, err := Open(dir)
	if err == nil {
		db.Close()
		t.Fatal("opened a database another process holds")
	}
	if !errors.Is(err, ErrLocked) {
		t.Fatalf("Open of a database another process holds fails with %q, which is not ErrLocked", err)
	}
}

// BenchmarkSet measures durable (synced) writes of 100-byte values.
func BenchmarkSet(b *testing.B) {
	db, _ := openTemp(b)
	value := bytes.Repeat([]byte("v"), 100)
	b.SetBytes(int64(len(value)))
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if err := db.Set(fmt.Appendf(nil, "key/%08d", i), value); err != nil {
			b.Fatal(err)
		}
		i++
	}
}

// TestPurgeRemovesBytes overwrites and deletes secrets, purges, and finds
// none of their bytes in any file of the database: not in a table, not in a
// write-ahead log (recycled or not), not in a file waiting for deletion.
func TestPurgeRemovesBytes(t *testing.T) {
	for _, tt := range []struct {
		name     string
		prefixes [][]byte
	}{
		{"every key", nil},
		{"one prefix", [][]byte{[]byte("k/")}},
	} {
		t.Run(tt.name, func(t *testing.T) { testPurge(t, tt.prefixes) })
	}
}

func testPurge(t *testing.T, prefixes [][]byte) {
	dir := filepath.Join(t.TempDir(), "db")
	db, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	var secrets [][]byte
	for round := 0; round < 3; round++ {
		// Enough writes to rotate the log and flush tables in between.
		for i := 0; i < 200; i++ {
			v := []byte(fmt.Sprintf("SECRET-%d-%d-%s", round, i, strings.Repeat("x", 40)))
			secrets = append(secrets, v)
			if err := db.Set([]byte(fmt.Sprintf("k/%d", i)), v); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.p.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 200; i++ {
		if i%2 == 0 {
			_ = db.Delete([]byte(fmt.Sprintf("k/%d", i)))
		} else {
			_ = db.Set([]byte(fmt.Sprintf("k/%d", i)), []byte("kept"))
		}
	}
	_ = db.Set([]byte("other"), []byte("outside the prefix"))
	if err := db.Purge(t.Context(), prefixes...); err != nil {
		t.Fatal(err)
	}
	// More writes after the purge, as a running daemon makes, reuse no log.
	_ = db.Set([]byte("after"), []byte("purge"))
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	err = filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		if bytes.Contains(b, []byte("SECRET-")) {
			return fmt.Errorf("%s still holds a deleted value", filepath.Base(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	db, err = Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.Get([]byte("k/1")); err != nil || string(v) != "kept" {
		t.Fatalf("after purge: %q, %v", v, err)
	}
}

func TestIndexedBatchAndRange(t *testing.T) {
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, k := range []string{"a1", "a2", "a3", "b1"} {
		if err := db.Set([]byte(k), []byte("v"+k)); err != nil {
			t.Fatal(err)
		}
	}
	var got []string
	collect := func(k, v []byte) error { got = append(got, string(k)); return nil }
	if err := db.ScanRange([]byte("a2"), []byte("b1"), collect); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a2,a3" {
		t.Fatalf("ScanRange = %v", got)
	}
	if string(PrefixEnd([]byte("a"))) != "b" || PrefixEnd([]byte{0xff}) != nil {
		t.Fatal("PrefixEnd")
	}

	b := db.NewIndexedBatch()
	b.Set([]byte("a4"), []byte("new"))
	b.Delete([]byte("a1"))
	if v, err := b.Get([]byte("a4")); err != nil || string(v) != "new" {
		t.Fatalf("batch Get of its own write = %q, %v", v, err)
	}
	if _, err := b.Get([]byte("a1")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("batch Get of its own delete = %v", err)
	}
	got = nil
	if err := b.Scan([]byte("a"), collect); err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "a2,a3,a4" {
		t.Fatalf("batch Scan = %v", got)
	}
	if _, err := db.Get([]byte("a4")); !errors.Is(err, ErrNotFound) {
		t.Fatal("an uncommitted batch is visible")
	}
	b.Close()
	if _, err := db.Get([]byte("a1")); err != nil {
		t.Fatal("a closed batch changed the database")
	}
	b = db.NewIndexedBatch()
	b.Set([]byte("a4"), []byte("new"))
	if err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if v, err := db.Get([]byte("a4")); err != nil || string(v) != "new" {
		t.Fatalf("after commit: %q %v", v, err)
	}
}

// A batch closed after its commit (the natural "defer b.Close()" next to
// Commit) leaves alone the batch Pebble hands out next from its pool: Pebble
// recycles a batch on Close, and a second Close of the same one released
// whichever batch had been handed out again meanwhile.
func TestBatchCloseAfterCommit(t *testing.T) {
	db, _ := openTemp(t)
	b1 := db.NewBatch()
	b1.Set([]byte("k1"), []byte("v1"))
	if err := b1.Commit(); err != nil {
		t.Fatal(err)
	}
	b2 := db.NewBatch()
	b1.Close()
	b2.Set([]byte("k2"), []byte("v2"))
	if err := b2.Commit(); err != nil {
		t.Fatalf("a batch made after another was committed and closed: %v", err)
	}
	if v, err := db.Get([]byte("k2")); err != nil || string(v) != "v2" {
		t.Fatalf("k2 = %q, %v", v, err)
	}
	b3 := db.NewIndexedBatch()
	b3.Close()
	b3.Close()
	if err := b3.Commit(); err == nil {
		t.Fatal("a closed batch committed")
	}
}

// The store's own compaction scheduler (scheduler.go) has no 100 ms look:
// compactions must still start from its events. Flushing many small tables
// into L0 leaves the DB wanting compactions, and they run.
func TestCompactionsRunWithoutPeriodicLook(t *testing.T) {
	db, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	val := make([]byte, 4096)
	for table := range 24 {
		for i := range 64 {
			rand.Read(val)
			if err := db.Set(fmt.Appendf(nil, "k%03d-%03d", i, table), val); err != nil {
				t.Fatal(err)
			}
		}
		if err := db.p.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	for db.p.Metrics().Compact.Count == 0 {
		if t.Context().Err() != nil {
			t.Fatal("no compaction ever ran")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
