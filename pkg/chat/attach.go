package chat

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/mainframe/mf/pkg/chat/chatapi"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/store/storeapi"
	"github.com/mainframe/mf/pkg/termtext"
)

// Attachments (whitepaper, "Use Cases → Onyx messaging app": rich content
// and attachments) go through mf-store: /attach FILE stores the file as a
// private file (encrypted; its reference carries the key) and the message
// carries the reference, the name and the size, inside the session or
// group like any text, so only the conversation can read the file. /save
// fetches it with the reference.

// storeFile stores the file at path with mf-store and returns the
// attachment that refers to it.
func (s *Service) storeFile(ctx context.Context, path string) (*chatapi.Attachment, error) {
	if !filepath.IsAbs(path) {
		return nil, localapi.BadRequest("the file to attach is named by an absolute path, not %q", path)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, localapi.BadRequest("cannot attach %s: %v", path, errors.Unwrap(err))
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, localapi.BadRequest("cannot attach %s: not a regular file", path)
	}
	name := filepath.Base(path)
	if len(name) > chatapi.MaxAttachmentName {
		name = name[:chatapi.MaxAttachmentName]
	}
	res, err := storeapi.NewClient(s.home).Put(ctx, f, storeapi.PutOptions{Name: name})
	if err != nil {
		return nil, fmt.Errorf("mf-store: %w", err)
	}
	return &chatapi.Attachment{Ref: res.Ref, Name: name, Size: int64(res.Size)}, nil
}

// saveName makes a peer's file name safe to create in a directory: no
// directory part, no control characters, not hidden, never "" or "..".
func saveName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == '/' {
			return '_'
		}
		return r
	}, termtext.Clean(name, false))
	name = strings.TrimLeft(name, ".")
	if name == "" {
		name = "attachment"
	}
	return name
}

func (s *Service) apiSave(w http.ResponseWriter, r *http.Request) (any, error) {
	var req chatapi.SaveRequest
	if err := localapi.DecodeBody(w, r, &req, localapi.MaxBody); err != nil {
		return nil, err
	}
	return s.Save(r.Context(), req)
}

// Save fetches the attachment of a message into req.Dir, under its name
// (made safe), never over an existing file.
func (s *Service) Save(ctx context.Context, req chatapi.SaveRequest) (*chatapi.SaveResult, error) {
	if !filepath.IsAbs(req.Dir) {
		return nil, localapi.BadRequest("save into an absolute directory, not %q", req.Dir)
	}
	s.mu.Lock()
	c, err := s.resolveConv(req.Conv)
	var m *chatapi.Message
	if err == nil {
		m, _, err = s.st.message(c.ID, req.ID)
		if err != nil {
			err = localapi.NotFound("no message %s in %s", req.ID, c.Name)
		}
	}
	s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	a := m.Attachment
	if a == nil {
		return nil, localapi.BadRequest("message %s has no attachment", req.ID)
	}
	if err := chatapi.CheckAttachment(a); err != nil {
		return nil, localapi.BadRequest("%v", err)
	}
	name := saveName(a.Name)
	path := filepath.Join(req.Dir, name)
	var f *os.File
	for i := 1; ; i++ {
		f, err = os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if !errors.Is(err, os.ErrExist) || i > 99 {
			break
		}
		ext := filepath.Ext(name)
		path = filepath.Join(req.Dir, fmt.Sprintf("%s.%d%s", strings.TrimSuffix(name, ext), i, ext))
	}
	if err != nil {
		return nil, localapi.BadRequest("cannot save into %s: %v", req.Dir, errors.Unwrap(err))
	}
	n, _, err := storeapi.NewClient(s.home).Get(ctx, a.Ref, 0, f)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return nil, fmt.Errorf("mf-store: %w", err)
	}
	return &chatapi.SaveResult{Path: path, Size: n}, nil
}
