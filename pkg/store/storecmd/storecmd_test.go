package storecmd

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/config"
	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/store"
	"github.com/mainframe/mf/pkg/store/storeapi"
)

func TestParseBytes(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want uint64
		ok   bool
	}{
		{"1048576", 1 << 20, true},
		{"2MiB", 2 << 20, true},
		{"10GiB", 10 << 30, true},
		{"500MB", 500e6, true},
		{"1.5GiB", 0, false},
		{"-1", 0, false},
		{"lots", 0, false},
		{"", 0, false},
		{"16777216TiB", 0, false}, // 2^64: wrapped to 0, no limit at all
		{"18446744073709551615", 1<<64 - 1, true},
		{"18446744073709551615KiB", 0, false},
	} {
		got, err := parseBytes(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("parseBytes(%q) = %d, %v", tt.in, got, err)
		}
	}
}

// TestProgress: a bar on a terminal, with bytes, rate and ETA; nothing in
// a pipe or when asked to be quiet.
func TestProgress(t *testing.T) {
	var tty, pipe, quiet bytes.Buffer
	for _, c := range []struct {
		w     *bytes.Buffer
		isTTY bool
		want  bool
	}{{&tty, true, true}, {&pipe, false, true}, {&quiet, true, false}} {
		p := newProgress(cli.Streams{Err: c.w, IsTTY: c.isTTY}, c.want, "put", 10<<20)
		io.Copy(io.Discard, p.reader(io.LimitReader(zeros{}, 4<<20)))
		time.Sleep(250 * time.Millisecond)
		p.done()
	}
	if s := tty.String(); !strings.Contains(s, "put [") || !strings.Contains(s, "4.0 MiB / 10.0 MiB") || !strings.Contains(s, "/s") || !strings.Contains(s, "ETA") {
		t.Errorf("terminal: %q", s)
	}
	if pipe.Len() != 0 || quiet.Len() != 0 {
		t.Errorf("pipe %q, quiet %q: want nothing", pipe.String(), quiet.String())
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// TestUsageErrors: malformed references and flags are usage errors (exit
// 2) before anything is asked of the daemon.
func TestUsageErrors(t *testing.T) {
	for _, args := range [][]string{
		{"get", "nothex"},
		{"stat", strings.Repeat("a", 63)},
		{"pin", strings.Repeat("g", 64)},
		{"audit", "x"},
		{"audit", strings.Repeat("a", 64), "--always"},
		{"put", "a", "b"},
		{"put", "--copies", "99", "x"},
		{"serve"},
	} {
		var out, errb bytes.Buffer
		code := Main(append([]string{"--home", t.TempDir()}, args...), cli.Streams{In: strings.NewReader(""), Out: &out, Err: &errb})
		if code != cli.ExitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, code, cli.ExitUsage, errb.String())
		}
	}
	var errb bytes.Buffer
	code := Main([]string{"--home", t.TempDir(), "ls"}, cli.Streams{Out: io.Discard, Err: &errb})
	if code != cli.ExitNotRunning || !strings.Contains(errb.String(), "mf-store daemon is not running") {
		t.Errorf("ls without a daemon: exit %d: %s", code, errb.String())
	}
}

// TestGetRefusesAnotherFilesPart: a get cut short leaves FILE.mfpart; a get
// of another file to the same FILE refuses to append to it (the result
// would be neither file) before it asks the daemon anything, and leaves the
// part as it was. The same file continues.
func TestGetRefusesAnotherFilesPart(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "got.bin")
	ref1, ref2 := strings.Repeat("a", 64), strings.Repeat("b", 128)
	get := func(ref string) (int, string) {
		var errb bytes.Buffer
		code := Main([]string{"--home", t.TempDir(), "get", ref, "-o", out}, cli.Streams{In: strings.NewReader(""), Out: io.Discard, Err: &errb})
		return code, errb.String()
	}
	// The first get marks the part with its file, then finds no daemon.
	if code, msg := get(ref1); code != cli.ExitNotRunning {
		t.Fatalf("first get: exit %d: %s", code, msg)
	}
	if err := os.WriteFile(out+".mfpart", []byte("the first file's bytes"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, msg := get(ref2)
	if code != cli.ExitFailure || !strings.Contains(msg, "holds part of another file") || !strings.Contains(msg, "hint: ") {
		t.Fatalf("get of another file onto a part: exit %d: %s", code, msg)
	}
	if b, _ := os.ReadFile(out + ".mfpart"); string(b) != "the first file's bytes" {
		t.Fatalf("the part changed: %q", b)
	}
	if code, msg := get(strings.ToUpper(ref1)); code != cli.ExitNotRunning {
		t.Fatalf("the same file again: exit %d: %s", code, msg)
	}
}

// TestAuditTableEscapesPeers: a storer writes its own claim and errors; what
// it wrote is printed as data, never as terminal control.
func TestAuditTableEscapesPeers(t *testing.T) {
	var out bytes.Buffer
	writeAudit(&out, &storeapi.AuditResult{Storers: []storeapi.StorerAudit{
		{Address: "0xab\x1b]0;owned\x07", Agreement: "7\x1b[2J", Error: "bad\x1b[31m proof"},
		{Address: "0x01", Agreement: "8", Passed: true},
	}})
	if s := out.String(); strings.ContainsAny(s, "\x1b\x07") || !strings.Contains(s, "passed") || !strings.Contains(s, "FAILED: bad") {
		t.Fatalf("audit table: %q", s)
	}
}

// TestGetWholePart: a get killed after its last byte and before the rename
// leaves a whole FILE.mfpart; the same get run again renames it rather than
// asking for the range past the end, which the daemon refuses on every
// try. A real mf-store daemon in this process, alone in its network.
func TestGetWholePart(t *testing.T) {
	home := t.TempDir()
	id, err := identity.Generate()
	if err != nil {
		t.Fatal(err)
	}
	if err := id.Save(home, "", true); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- store.RunDaemon(ctx, home, config.Config{Route: config.Route{Dev: true}}, store.DefaultOptions(), slog.New(slog.DiscardHandler))
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("daemon: %v", err)
		}
	})
	c := storeapi.NewClient(home)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if _, err := c.Status(ctx); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the daemon never answered")
		}
	}
	data := bytes.Repeat([]byte("mf-store "), 1000)
	res, err := c.Put(ctx, bytes.NewReader(data), storeapi.PutOptions{Public: true, Copies: 1})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "got.bin")
	if err := os.WriteFile(out+".mfpart", data, 0o644); err != nil {
		t.Fatal(err)
	}
	var errb bytes.Buffer
	if code := Main([]string{"--home", home, "get", res.Ref, "-o", out, "-q"}, cli.Streams{In: strings.NewReader(""), Out: io.Discard, Err: &errb}); code != 0 {
		t.Fatalf("get onto a whole part: exit %d: %s", code, errb.String())
	}
	if b, err := os.ReadFile(out); err != nil || !bytes.Equal(b, data) {
		t.Fatalf("got %d bytes, %v; want the file", len(b), err)
	}
}
