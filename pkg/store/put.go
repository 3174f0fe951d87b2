package store

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mainframe/mf/pkg/kv"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/route/routeapi"
	"github.com/mainframe/mf/pkg/store/chunk"
	"github.com/mainframe/mf/pkg/store/storeapi"
)

// MaxCopies bounds a put's redundancy.
const MaxCopies = 16

// secret is this node's key for deriving the keys of files put with a
// content hash: the same file put twice here gets the same key, so the
// same chunks, and a put run again after an interruption finds what was
// already stored. Another node putting the same file gets another key,
// so nobody can confirm that a node stores a file they know.
func (s *Service) secret() ([]byte, error) {
	b, err := s.db.Get([]byte("secret"))
	if errors.Is(err, kv.ErrNotFound) {
		b = make([]byte, 32)
		rand.Read(b)
		err = s.db.Set([]byte("secret"), b)
	}
	return b, err
}

// uploader sends a file's chunks to their storers as the builder makes
// them, parallel at once.
type uploader struct {
	s       *Service
	ctx     context.Context
	cancel  context.CancelFunc
	storers []storer
	copies  int
	resume  bool
	jobs    chan upJob
	wg      sync.WaitGroup

	mu     sync.Mutex
	err    error
	placed map[string][]placed // storer peer → chunks it holds
	short  int                 // chunks that got fewer copies than asked
	warn   map[string]string   // storer peer → its last refusal

	seq       int
	sent      atomic.Int64
	present   atomic.Int64
	bytesSent atomic.Int64
}

type upJob struct {
	seq int
	a   chunk.Addr
	b   []byte
}

type placed struct {
	seq int
	a   chunk.Addr
}

func (s *Service) newUploader(ctx context.Context, storers []storer, copies int, resume bool) *uploader {
	ctx, cancel := context.WithCancel(ctx)
	u := &uploader{s: s, ctx: ctx, cancel: cancel, storers: storers, copies: copies, resume: resume,
		jobs: make(chan upJob, s.opt.Parallel), placed: map[string][]placed{}, warn: map[string]string{}}
	for range s.opt.Parallel {
		u.wg.Add(1)
		go u.work()
	}
	return u
}

// add is the builder's sink.
func (u *uploader) add(a chunk.Addr, b []byte) error {
	if err := u.failed(); err != nil {
		return err
	}
	u.seq++
	select {
	case u.jobs <- upJob{seq: u.seq, a: a, b: b}:
		return nil
	case <-u.ctx.Done():
		if err := u.failed(); err != nil {
			return err
		}
		return u.ctx.Err()
	}
}

func (u *uploader) failed() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.err
}

func (u *uploader) fail(err error) {
	u.mu.Lock()
	if u.err == nil {
		u.err = err
	}
	u.mu.Unlock()
	u.cancel()
}

// work places each chunk on the copies storers nearest its address that
// take it; a storer that fails (gone, full) is passed over for the next
// nearest, so a chunk still gets its copies while enough storers live.
func (u *uploader) work() {
	defer u.wg.Done()
	for j := range u.jobs {
		if u.ctx.Err() != nil {
			continue
		}
		got, full := 0, 0
		var errs []string
		for _, st := range u.s.byHealth(nearest(u.storers, j.a)) {
			if got == u.copies {
				break
			}
			if u.resume && !st.self {
				if have, err := u.s.has(u.ctx, st, []chunk.Addr{j.a}); err == nil && have[0] {
					u.present.Add(1)
					u.record(st, j)
					got++
					continue
				}
			}
			actx, cancel := context.WithTimeout(u.ctx, attemptTimeout)
			stored, err := u.s.putTo(actx, st, j.a, j.b)
			cancel()
			if err != nil {
				if u.ctx.Err() != nil {
					break
				}
				var le *localapi.Error
				if errors.As(err, &le) && le.Code == "full" {
					full++
				} else if le == nil || le.Status >= 500 {
					u.s.markDown(st.Peer)
				}
				errs = append(errs, fmt.Sprintf("%.12s: %v", st.Peer, err))
				u.mu.Lock()
				u.warn[st.Peer] = err.Error()
				u.mu.Unlock()
				continue
			}
			if stored {
				u.sent.Add(1)
				u.bytesSent.Add(int64(len(j.b)))
			} else {
				u.present.Add(1)
			}
			u.record(st, j)
			got++
		}
		if u.ctx.Err() != nil {
			continue
		}
		if got == 0 {
			status, code := http.StatusBadGateway, "unavailable"
			if full == len(errs) && full > 0 {
				status, code = http.StatusInsufficientStorage, "full"
			}
			u.fail(localapi.Errorf(status, code, "store: no storer took chunk %s: %s", j.a, strings.Join(errs, "; ")))
			continue
		}
		if got < u.copies {
			u.mu.Lock()
			u.short++
			u.mu.Unlock()
		}
	}
}

func (u *uploader) record(st storer, j upJob) {
	u.mu.Lock()
	u.placed[st.Peer] = append(u.placed[st.Peer], placed{j.seq, j.a})
	u.mu.Unlock()
}

// wait ends the upload and returns its first error.
func (u *uploader) wait() error {
	close(u.jobs)
	u.wg.Wait()
	u.cancel()
	return u.failed()
}

// apiPut stores the request body as a file. The body is read as it comes,
// one chunk at a time, and at most Parallel chunks are in flight, so a file
// of any size passes in bounded memory.
func (s *Service) apiPut(w http.ResponseWriter, r *http.Request) {
	res, err := s.put(r.Context(), r)
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	localapi.WriteJSON(w, res)
}

func (s *Service) put(ctx context.Context, r *http.Request) (*storeapi.PutResult, error) {
	q := r.URL.Query()
	copies := storeapi.DefaultCopies
	if v := q.Get("copies"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > MaxCopies {
			return nil, localapi.BadRequest("copies must be 1 to %d, not %q", MaxCopies, v)
		}
		copies = n
	}
	name := q.Get("name")
	if len(name) > 255 {
		return nil, localapi.BadRequest("a name is at most 255 bytes")
	}
	hash := q.Get("hash")
	if hash != "" {
		if b, err := hex.DecodeString(hash); err != nil || len(b) != 32 {
			return nil, localapi.BadRequest("hash must be the file's SHA-256 in 64 hex digits")
		}
	}
	var key *[chunk.KeySize]byte
	if q.Get("public") != "1" {
		key = new([chunk.KeySize]byte)
		if hash != "" {
			secret, err := s.secret()
			if err != nil {
				return nil, err
			}
			m := hmac.New(sha256.New, secret)
			m.Write([]byte("mf-store file key\x00" + hash))
			copy(key[:], m.Sum(nil))
		} else {
			rand.Read(key[:])
		}
	}
	// A put with a hash leaves a mark until it completes: run again, it
	// asks each storer what it already has before sending.
	var upKey []byte
	resume := false
	if hash != "" {
		upKey = []byte(fmt.Sprintf("upload/%s/%v", hash, key == nil))
		_, err := s.db.Get(upKey)
		_, derr := s.db.Get(doneKey(hash, key == nil))
		resume = err == nil || derr == nil
		if err := s.db.Set(upKey, []byte(time.Now().UTC().Format(time.RFC3339))); err != nil {
			return nil, err
		}
	}
	storers := s.storerList(ctx, false)
	if len(storers) < copies {
		storers = s.storerList(ctx, true)
	}
	u := s.newUploader(ctx, storers, copies, resume)
	b := chunk.NewBuilder(key, u.add)
	_, err := routeapi.CopyBody(b, r.Body)
	var ref chunk.Ref
	if err == nil {
		ref, err = b.Close()
	}
	if werr := u.wait(); err == nil || errors.Is(err, context.Canceled) {
		if werr != nil {
			err = werr
		}
	}
	if err != nil {
		return nil, err
	}
	if upKey != nil {
		// Put again, the same file asks first too: its chunks are known.
		_ = s.db.Set(doneKey(hash, key == nil), []byte(ref.Public()))
		_ = s.db.Delete(upKey)
	}
	rec, rerr := s.file(ref.Root)
	if rerr != nil {
		rec = &fileRecord{Created: time.Now().UTC()}
	}
	rec.Ref, rec.Size = ref.String(), b.Size()
	if name != "" {
		rec.Name = name
	}
	if err := s.saveFile(ref.Root, rec); err != nil {
		return nil, err
	}
	res := &storeapi.PutResult{Ref: ref.String(), Size: b.Size(), Chunks: u.seq, Copies: copies,
		Sent: int(u.sent.Load()), Present: int(u.present.Load()), BytesSent: u.bytesSent.Load()}
	for p := range u.placed {
		res.Storers = append(res.Storers, p)
	}
	sort.Strings(res.Storers)
	res.Short = u.short
	for p, w := range u.warn {
		res.Warnings = append(res.Warnings, p+": "+w)
	}
	sort.Strings(res.Warnings)
	if u.short > 0 {
		s.log.Warn("some chunks got fewer copies than asked: too few storers", "chunks", u.short, "copies", copies, "storers", len(storers))
	}
	// The storers swear in the background: staking is a transaction per
	// storer, and the file is stored already. stat and audit show the
	// claims as they come.
	placedBy := map[string][]chunk.Addr{}
	for p, ps := range u.placed {
		sort.Slice(ps, func(i, j int) bool { return ps[i].seq < ps[j].seq })
		for _, x := range ps {
			placedBy[p] = append(placedBy[p], x.a)
		}
	}
	if q.Get("sworn") == "1" {
		s.swearAll(ref.Root, storers, placedBy)
		res.Claims = s.claims(ref.Root)
		return res, nil
	}
	s.bg.Add(1)
	go func() {
		defer s.bg.Done()
		s.swearAll(ref.Root, storers, placedBy)
	}()
	return res, nil
}

func doneKey(hash string, public bool) []byte {
	return []byte(fmt.Sprintf("done/%s/%v", hash, public))
}

// apiGet streams a file, or the range asked for.
func (s *Service) apiGet(w http.ResponseWriter, r *http.Request) {
	ref, err := parseRef(r.PathValue("ref"))
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	f, err := s.open(r.Context(), ref)
	if err != nil {
		localapi.WriteError(w, err)
		return
	}
	size := int64(f.Size())
	off, n, partial, err := parseRange(r.Header.Get("Range"), size)
	if err != nil {
		w.Header().Set("Content-Range", fmt.Sprintf("bytes */%d", size))
		localapi.WriteError(w, localapi.Errorf(http.StatusRequestedRangeNotSatisfiable, "bad_range", "%v", err))
		return
	}
	h := w.Header()
	h.Set("Accept-Ranges", "bytes")
	h.Set("X-Mf-Size", strconv.FormatInt(size, 10))
	h.Set("Content-Length", strconv.FormatInt(n, 10))
	if ct := r.URL.Query().Get("type"); ct != "" {
		h.Set("Content-Type", ct)
	} else {
		h.Set("Content-Type", localapi.OctetStream)
	}
	status := http.StatusOK
	if partial {
		status = http.StatusPartialContent
		h.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", off, off+n-1, size))
	}
	lw := &lazyWriter{w: w, status: status}
	written, err := f.Copy(r.Context(), lw, off, n, s.opt.Parallel)
	if err != nil {
		if written == 0 && !lw.started {
			h.Del("Content-Length")
			h.Del("Content-Range")
			if errors.Is(err, ErrNotFound) {
				err = localapi.Errorf(http.StatusBadGateway, "unavailable", "%v (the file is incomplete in the network)", err)
			}
			localapi.WriteError(w, err)
			return
		}
		s.log.Warn("a get failed after it began; cutting the answer short", "ref", ref.Public(), "at", off+written, "err", err)
		// A body cut short must not look complete: abort the connection.
		panic(http.ErrAbortHandler)
	}
	if !lw.started {
		w.WriteHeader(status)
	}
}

// lazyWriter sends the status with the first byte, so that an error before
// any data can still be a JSON error.
type lazyWriter struct {
	w       http.ResponseWriter
	status  int
	started bool
}

func (l *lazyWriter) Write(p []byte) (int, error) {
	if !l.started {
		l.started = true
		l.w.WriteHeader(l.status)
	}
	return l.w.Write(p)
}

// parseRange reads one "bytes=" range of a file of size bytes.
func parseRange(h string, size int64) (off, n int64, partial bool, err error) {
	if h == "" {
		return 0, size, false, nil
	}
	spec, ok := strings.CutPrefix(h, "bytes=")
	if !ok || strings.Contains(spec, ",") {
		return 0, 0, false, fmt.Errorf("store: only one range of bytes is served, not %q", h)
	}
	a, b, ok := strings.Cut(spec, "-")
	if !ok {
		return 0, 0, false, fmt.Errorf("store: malformed range %q", h)
	}
	if a == "" { // the last b bytes
		k, err := strconv.ParseInt(b, 10, 64)
		if err != nil || k <= 0 {
			return 0, 0, false, fmt.Errorf("store: malformed range %q", h)
		}
		if size == 0 {
			return 0, 0, false, nil // see below
		}
		k = min(k, size)
		return size - k, k, true, nil
	}
	start, err := strconv.ParseInt(a, 10, 64)
	if err != nil || start < 0 || start >= size {
		if err == nil && start == size && size == 0 {
			// An empty file has no byte a Content-Range could name
			// ("bytes 0--1/0" is no header): the range is ignored, as
			// a server may, and the whole empty file is the answer.
			return 0, 0, false, nil
		}
		return 0, 0, false, fmt.Errorf("store: range %q starts outside the file's %d bytes", h, size)
	}
	end := size - 1
	if b != "" {
		e, err := strconv.ParseInt(b, 10, 64)
		if err != nil || e < start {
			return 0, 0, false, fmt.Errorf("store: malformed range %q", h)
		}
		end = min(e, size-1)
	}
	return start, end - start + 1, true, nil
}
