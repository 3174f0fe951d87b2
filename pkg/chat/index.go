package chat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"

	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/kv"
)

// The full-text index (bleve, scorch on disk in data/chat-index) holds,
// per message, the words of its text and its sender's name, without term
// vectors and without the stored text: a search answers with message ids,
// and the text comes from the encrypted history. The index itself is not
// encrypted (bleve writes its segments in clear): docs/chat.md says what
// it shows, and --no-index leaves it out, searching the history instead.

type index struct{ ix bleve.Index }

// The index is written by the indexer goroutine, never under the
// service's lock: bleve waits for its segments to reach the disk, and a
// stalled write must not stop the daemon from answering. What is to be
// indexed is recorded in the history itself, in the batch that stores or
// changes the message,
//
//	x/<cid><id:16>  ixEntry: a message to index
//
// and deleted once the index took it, so a daemon killed in between
// indexes it after the restart: the index never misses a message of the
// history.
type ixEntry struct {
	Conv string `json:"conv"`
	ID   string `json:"id"`
}

func ixKey(cid []byte, id string) []byte {
	k := idKey(cid, id)
	k[0] = 'x'
	return k
}

// noteIndex adds to b that message id of conv is to be indexed; the
// caller wakes the indexer once b is committed.
func (s *Service) noteIndex(b *kv.Batch, conv, id string) {
	if s.ix != nil {
		s.st.setJSON(b, ixKey(s.st.cid(conv), id), ixEntry{Conv: conv, ID: id})
	}
}

// indexer fills a new index from the history, then indexes what is noted
// whenever it is woken, until ctx ends.
func (s *Service) indexer(ctx context.Context, rebuild bool) {
	defer close(s.ixDone)
	if rebuild {
		if err := s.rebuildIndex(ctx); err != nil {
			s.log.Warn("filling the index from the history", "err", err)
		}
		s.rebuilding.Store(false)
	}
	for {
		if err := s.flushIndex(ctx); err != nil {
			s.log.Warn("indexing", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-s.ixKick:
		}
	}
}

// ixChunk is how many messages go to the index in one batch.
const ixChunk = 1000

// flushIndex indexes the noted messages.
func (s *Service) flushIndex(ctx context.Context) error {
	s.ixMu.Lock()
	defer s.ixMu.Unlock()
	for ctx.Err() == nil {
		docs := map[string]indexDoc{}
		var keys, vals [][]byte
		err := s.st.db.Scan([]byte("x/"), func(k, v []byte) error {
			if len(keys) == ixChunk {
				return errStopScan
			}
			keys, vals = append(keys, bytes.Clone(k)), append(vals, bytes.Clone(v))
			pt, err := s.st.open(k, v)
			var e ixEntry
			if err != nil || json.Unmarshal(pt, &e) != nil {
				return nil // dropped below
			}
			if m, _, err := s.st.message(e.Conv, e.ID); err == nil {
				docs[docID(m.Conv, m.ID)] = indexDoc{Text: m.Text, From: m.From}
			}
			return nil
		})
		if err != nil && !errors.Is(err, errStopScan) {
			return err
		}
		if len(keys) == 0 {
			return nil
		}
		if err := s.ix.batch(docs); err != nil {
			return err
		}
		// A note written again meanwhile (an edit) stays for the next
		// round: only the notes just indexed go, checked under the lock
		// their writers hold.
		s.mu.Lock()
		b := s.st.db.NewBatch()
		for i, k := range keys {
			if v, err := s.st.db.Get(k); err == nil && bytes.Equal(v, vals[i]) {
				b.Delete(k)
			}
		}
		err = b.Commit()
		s.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// rebuildIndex indexes every message of the history.
func (s *Service) rebuildIndex(ctx context.Context) error {
	docs := map[string]indexDoc{}
	err := s.st.db.Scan([]byte("m/"), func(k, v []byte) error {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		pt, err := s.st.open(k, v)
		var m chatapi.Message
		if err != nil || json.Unmarshal(pt, &m) != nil {
			return nil
		}
		docs[docID(m.Conv, m.ID)] = indexDoc{Text: m.Text, From: m.From}
		if len(docs) == ixChunk {
			err := s.ix.batch(docs)
			docs = map[string]indexDoc{}
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	return s.ix.batch(docs)
}

// errStopScan ends a scan early.
var errStopScan = errors.New("stop")

type indexDoc struct {
	Text string `json:"text"`
	From string `json:"from"`
}

func indexMapping() mapping.IndexMapping {
	text := bleve.NewTextFieldMapping()
	text.Store = false
	text.IncludeTermVectors = false
	text.IncludeInAll = false
	doc := bleve.NewDocumentMapping()
	doc.AddFieldMappingsAt("text", text)
	doc.AddFieldMappingsAt("from", text)
	m := bleve.NewIndexMapping()
	m.DefaultMapping = doc
	m.StoreDynamic = false
	m.IndexDynamic = false
	m.DocValuesDynamic = false
	return m
}

// openIndex opens the index in dir, or makes a new one, and reports
// whether it is new (and so to be filled from the history). bleve's root
// file is locked while open; the wait for that lock is bounded, so a
// daemon never hangs on it (the daemon's own lock keeps a second daemon
// out before this).
func openIndex(dir string) (*index, bool, error) {
	ix, err := bleve.OpenUsing(dir, map[string]any{"bolt_timeout": "10s"})
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		ix, err = bleve.New(dir, indexMapping())
		return &index{ix: ix}, true, err
	}
	if err != nil {
		// A damaged index is rebuilt from the history, which is the
		// record; the index is only a way into it.
		_ = os.RemoveAll(dir)
		if ix, err = bleve.New(dir, indexMapping()); err != nil {
			return nil, false, err
		}
		return &index{ix: ix}, true, nil
	}
	return &index{ix: ix}, false, nil
}

func docID(conv, id string) string { return conv + "\x00" + id }

// batch indexes many messages at once (the benchmark's history, a rebuild).
func (x *index) batch(docs map[string]indexDoc) error {
	if len(docs) == 0 {
		return nil
	}
	b := x.ix.NewBatch()
	for id, d := range docs {
		if err := b.Index(id, d); err != nil {
			return err
		}
	}
	return x.ix.Batch(b)
}

// search returns the doc ids of the best matches of q (every word must
// match), best first, and the number of matches.
func (x *index) search(q string, limit int) ([]string, int, error) {
	mq := bleve.NewMatchQuery(q)
	mq.SetField("text")
	mq.SetOperator(query.MatchQueryOperatorAnd)
	fq := bleve.NewMatchQuery(q)
	fq.SetField("from")
	req := bleve.NewSearchRequestOptions(bleve.NewDisjunctionQuery(mq, fq), limit, 0, false)
	res, err := x.ix.Search(req)
	if err != nil {
		return nil, 0, err
	}
	out := make([]string, 0, len(res.Hits))
	for _, h := range res.Hits {
		out = append(out, h.ID)
	}
	return out, int(res.Total), nil
}

func (x *index) close() error { return x.ix.Close() }
