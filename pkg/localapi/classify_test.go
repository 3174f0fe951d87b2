package localapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

var errClassifiedForTest = errors.New("test: no such thing")

func init() { Classify(errClassifiedForTest, http.StatusNotFound, "not_found") }

func TestWriteErrorClassified(t *testing.T) {
	tests := []struct {
		name   string
		err    error
		status int
		code   string
		msg    string
	}{
		{"sentinel", errClassifiedForTest, 404, "not_found", "test: no such thing"},
		{"wrapped keeps its message", fmt.Errorf("%w: widget", errClassifiedForTest), 404, "not_found", "test: no such thing: widget"},
		{"an *Error keeps its status", BadRequest("bad %s", "input"), 400, "bad_request", "bad input"},
		{"anything else is a fault of the daemon", errors.New("disk on fire"), 500, "internal", "disk on fire"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := httptest.NewRecorder()
			WriteError(w, tt.err)
			var e Error
			if err := json.NewDecoder(w.Body).Decode(&e); err != nil {
				t.Fatal(err)
			}
			if w.Code != tt.status || e.Code != tt.code || e.Message != tt.msg {
				t.Fatalf("got %d %q %q, want %d %q %q", w.Code, e.Code, e.Message, tt.status, tt.code, tt.msg)
			}
		})
	}
}
