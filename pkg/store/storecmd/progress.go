package storecmd

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mainframe/mf/pkg/cli"
)

// progress draws a one-line bar on standard error: bytes, rate and, when
// the total is known, the share done and the time left. It draws only on
// a terminal; in a pipe, or with --json or --quiet, it is silent.
type progress struct {
	w     io.Writer
	on    bool
	verb  string
	total int64
	n     atomic.Int64
	start time.Time
	stop  chan struct{}
	wg    sync.WaitGroup
}

func newProgress(s cli.Streams, want bool, verb string, total int64) *progress {
	p := &progress{w: s.Err, on: want && s.IsTTY, verb: verb, total: total, start: time.Now(), stop: make(chan struct{})}
	if p.on {
		p.wg.Add(1)
		go p.loop()
	}
	return p
}

func (p *progress) loop() {
	defer p.wg.Done()
	t := time.NewTicker(200 * time.Millisecond)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			p.draw()
			fmt.Fprintln(p.w)
			return
		case <-t.C:
			p.draw()
		}
	}
}

func (p *progress) draw() {
	n := p.n.Load()
	el := time.Since(p.start).Seconds()
	rate := 0.0
	if el > 0 {
		rate = float64(n) / el
	}
	line := fmt.Sprintf("%s %s  %s/s", p.verb, human(n), human(int64(rate)))
	if p.total > 0 {
		frac := min(float64(n)/float64(p.total), 1)
		const width = 30
		k := int(frac * width)
		line = fmt.Sprintf("%s [%s%s] %3.0f%% %s / %s  %s/s", p.verb, strings.Repeat("=", k), strings.Repeat(" ", width-k), frac*100, human(n), human(p.total), human(int64(rate)))
		if rate > 0 && n < p.total {
			line += fmt.Sprintf("  ETA %s", time.Duration(float64(p.total-n)/rate*float64(time.Second)).Round(time.Second))
		}
	}
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
}

func (p *progress) done() {
	if p.on {
		close(p.stop)
		p.wg.Wait()
	}
}

func (p *progress) reader(r io.Reader) io.Reader { return countReader{r, p} }

func (p *progress) writer(w io.Writer) io.Writer { return countWriter{w, p} }

type countReader struct {
	r io.Reader
	p *progress
}

func (c countReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.n.Add(int64(n))
	return n, err
}

type countWriter struct {
	w io.Writer
	p *progress
}

func (c countWriter) Write(b []byte) (int, error) {
	n, err := c.w.Write(b)
	c.p.n.Add(int64(n))
	return n, err
}
