package chat

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/route/routeapi"
)

// benchMessages is the history the benchmarks fill: 100,000 messages by
// default (MF_CHAT_BENCH_N to change it), over 20 conversations.
func benchMessages() int {
	if n, err := strconv.Atoi(os.Getenv("MF_CHAT_BENCH_N")); err == nil && n > 0 {
		return n
	}
	return 100_000
}

// words are the filler's words; a search for one finds thousands.
var words = fillWords

// fill writes n messages over 20 conversations (Fill); message n/2 holds
// the word "quokka", which no other holds.
func fill(tb testing.TB, s *Service, n int) {
	tb.Helper()
	var convs []string
	for i := range 20 {
		convs = append(convs, fmt.Sprintf("friend%02d", i))
	}
	if err := s.Fill(convs, n, "the quokka smiles at the camera"); err != nil {
		tb.Fatal(err)
	}
}

func openBench(tb testing.TB, home string, id *identity.Identity) (*Service, *kv.DB) {
	db, err := kv.Open(filepath.Join(home, DataDir))
	if err != nil {
		tb.Fatal(err)
	}
	s, err := New(db, id, routeapi.NewClient(home), slog.New(slog.NewTextHandler(io.Discard, nil)), Options{IndexDir: filepath.Join(home, IndexDir)})
	if err != nil {
		tb.Fatal(err)
	}
	return s, db
}

func filledHome(b *testing.B) (string, *identity.Identity) {
	home := b.TempDir()
	id, err := identity.Generate()
	if err != nil {
		b.Fatal(err)
	}
	s, db := openBench(b, home, id)
	t0 := time.Now()
	fill(b, s, benchMessages())
	b.Logf("filled %d messages in %s", benchMessages(), time.Since(t0).Round(time.Millisecond))
	s.Close()
	db.Close()
	return home, id
}

func percentile(ds []time.Duration, p float64) float64 {
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	return float64(ds[int(float64(len(ds)-1)*p)].Microseconds()) / 1000
}

// BenchmarkSearch: full-text search over the history; reports the median
// and 99th percentile of a mix of a rare word (one message) and common
// ones (thousands).
func BenchmarkSearch(b *testing.B) {
	home, id := filledHome(b)
	s, db := openBench(b, home, id)
	defer db.Close()
	defer s.Close()
	queries := append([]string{"quokka"}, words...)
	var ds []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		q := queries[i%len(queries)]
		t0 := time.Now()
		res, err := s.Search(q, 20)
		ds = append(ds, time.Since(t0))
		if err != nil || len(res.Messages) == 0 {
			b.Fatalf("search %q: %v %v", q, res, err)
		}
		if q == "quokka" && res.Total != 1 {
			b.Fatalf("quokka found %d times", res.Total)
		}
	}
	b.ReportMetric(percentile(ds, 0.5), "ms-p50")
	b.ReportMetric(percentile(ds, 0.99), "ms-p99")
}

// BenchmarkStart: what the daemon and a window do before the first
// frame: open the history (conversation records, queue, index) and read
// the last 500 messages of the busiest conversation.
func BenchmarkStart(b *testing.B) {
	home, id := filledHome(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s, db := openBench(b, home, id)
		ms, err := s.st.lastMessages("contact:friend00", 500)
		if err != nil || len(ms) != min(500, benchMessages()/20) {
			b.Fatalf("%d messages, %v", len(ms), err)
		}
		b.StopTimer()
		s.Close()
		db.Close()
		b.StartTimer()
	}
}

// TestFillHome fills the history of a real node (MF_CHAT_FILL=HOME, made
// with mf-route init --dev) with benchMessages messages, for measuring a
// real daemon (docs/benchmarks.md); skipped otherwise.
func TestFillHome(t *testing.T) {
	home := os.Getenv("MF_CHAT_FILL")
	if home == "" {
		t.Skip("set MF_CHAT_FILL=HOME to fill a node's chat history")
	}
	id, err := identity.Load(home, "")
	if err != nil {
		t.Fatal(err)
	}
	s, db := openBench(t, home, id)
	defer db.Close()
	defer s.Close()
	fill(t, s, benchMessages())
}
