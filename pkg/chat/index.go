package chat

import (
	"errors"
	"os"

	"github.com/blevesearch/bleve/v2"
	"github.com/blevesearch/bleve/v2/mapping"
	"github.com/blevesearch/bleve/v2/search/query"
)

// The full-text index (bleve, scorch on disk in data/chat-index) holds,
// per message, the words of its text and its sender's name, without term
// vectors and without the stored text: a search answers with message ids,
// and the text comes from the encrypted history. The index itself is not
// encrypted (bleve writes its segments in clear): docs/chat.md says what
// it shows, and --no-index leaves it out, searching the history instead.

type index struct{ ix bleve.Index }

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

func openIndex(dir string) (*index, error) {
	ix, err := bleve.Open(dir)
	if errors.Is(err, bleve.ErrorIndexPathDoesNotExist) {
		ix, err = bleve.New(dir, indexMapping())
	}
	if err != nil {
		// A damaged index is rebuilt from the history, which is the
		// record; the index is only a way into it.
		_ = os.RemoveAll(dir)
		ix, err = bleve.New(dir, indexMapping())
	}
	if err != nil {
		return nil, err
	}
	return &index{ix: ix}, nil
}

func docID(conv, id string) string { return conv + "\x00" + id }

func (x *index) add(conv, id, text, from string) error {
	return x.ix.Index(docID(conv, id), indexDoc{Text: text, From: from})
}

// batch indexes many messages at once (the benchmark's history, a rebuild).
func (x *index) batch(docs map[string]indexDoc) error {
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
