package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/mainframe/mf/pkg/store"
)

// storeChunkFiles lists the chunk files of HOME's mf-store.
func storeChunkFiles(home string) []string {
	files, _ := filepath.Glob(filepath.Join(home, store.ChunkDir, "*", "*"))
	var out []string
	for _, f := range files {
		if filepath.Ext(f) != ".tmp" {
			out = append(out, f)
		}
	}
	return out
}

// storechunks HOME corrupt|wipe: flip one byte in the middle of every chunk
// file HOME's mf-store keeps (an edit on the storer's disk), or delete them
// all (a storer that dropped what it promised).
func cmdStoreChunks(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: storechunks HOME corrupt|wipe")
	}
	files := storeChunkFiles(ts.MkAbs(args[0]))
	if len(files) == 0 {
		ts.Fatalf("%s keeps no chunks", args[0])
	}
	for _, f := range files {
		switch args[1] {
		case "corrupt":
			b, err := os.ReadFile(f)
			ts.Check(err)
			b[len(b)/2] ^= 0x5a
			ts.Check(os.WriteFile(f, b, 0o600))
		case "wipe":
			ts.Check(os.Remove(f))
		default:
			ts.Fatalf("usage: storechunks HOME corrupt|wipe")
		}
	}
	ts.Logf("%s: %s %d chunk files", args[0], args[1], len(files))
}

// waitchunks HOME N: wait (up to 2 min) until HOME's mf-store keeps N more
// chunk files than when the command started.
func cmdWaitChunks(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 {
		ts.Fatalf("usage: waitchunks HOME N")
	}
	home := ts.MkAbs(args[0])
	n, err := strconv.Atoi(args[1])
	ts.Check(err)
	start := len(storeChunkFiles(home))
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if len(storeChunkFiles(home)) >= start+n {
			return
		}
	}
	ts.Fatalf("%s never got %d more chunks (had %d)", args[0], n, start)
}

// storeref VAR REF root|badkey: set VAR to REF's root alone (a private
// file's reference without its key), or to REF with its key changed.
func cmdStoreRef(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 3 || len(args[1]) != 128 {
		ts.Fatalf("usage: storeref VAR REF(128 hex digits) root|badkey")
	}
	switch args[2] {
	case "root":
		ts.Setenv(args[0], args[1][:64])
	case "badkey":
		ts.Setenv(args[0], args[1][:64]+strings.Repeat("ab", 32))
	default:
		ts.Fatalf("usage: storeref VAR REF root|badkey")
	}
}

// slice FILE OFF LEN OUT: write LEN bytes of FILE from OFF to OUT.
func cmdSlice(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 4 {
		ts.Fatalf("usage: slice FILE OFF LEN OUT")
	}
	b, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	off, err1 := strconv.Atoi(args[1])
	n, err2 := strconv.Atoi(args[2])
	if err1 != nil || err2 != nil || off+n > len(b) {
		ts.Fatalf("slice: bad range")
	}
	ts.Check(os.WriteFile(ts.MkAbs(args[3]), b[off:off+n], 0o644))
}
