package chat

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestAPIBadInput: every endpoint answers bad input with a 4xx and a line
// that names what was wrong, and nothing is stored.
func TestAPIBadInput(t *testing.T) {
	s, _, _ := newTestService(t, true)
	h := s.Handler()
	tests := []struct {
		method, path, body string
		status             int
		want               string
	}{
		{"GET", "/v0/messages?conv=nobody", "", 404, `no contact or group named`},
		{"GET", "/v0/messages?conv=bob&limit=-1", "", 400, "limit must be a whole number"},
		{"GET", "/v0/search?q=", "", 400, "an empty search"},
		{"GET", "/v0/search?q=x&limit=0", "", 400, "limit must be 1..1000"},
		{"GET", "/v0/search?q=" + strings.Repeat("x", 1025), "", 400, "over 1024"},
		{"POST", "/v0/send", `{"to":"bob","text":"hi","bogus":1}`, 400, "bogus"},
		{"POST", "/v0/send", `{"to":"bob","text":"hi"} {}`, 400, ""},
		{"POST", "/v0/send", `{"to":"bob","text":"` + strings.Repeat("x", 20000) + `"}`, 413, "over the 16384-byte limit"},
		{"POST", "/v0/send", `{"to":"bob","text":"hi","react":"` + strings.Repeat("0", 32) + `"}`, 404, "no message"},
		{"POST", "/v0/read", `{"conv":"nobody"}`, 404, "no contact or group"},
		{"POST", "/v0/contacts", `{"card":"mfc1x"}`, 400, "a contact needs a name"},
		{"POST", "/v0/contacts", `{"name":"eve"}`, 503, "the directory is on the chain, and none is configured"},
		{"POST", "/v0/contacts", `{"name":"Eve Bad"}`, 400, `is not a name: a name is 1-64`},
		{"POST", "/v0/names", `{"name":"a name"}`, 400, `is not a name: a name is 1-64`},
		{"POST", "/v0/names", `{"name":"alice"}`, 503, "none is configured"},
		{"GET", "/v0/names/-x", "", 400, `is not a name`},
		{"POST", "/v0/send", `{"to":"bob","text":"f","attachment":{"ref":"nothex","name":"a"}}`, 400, "an attachment reference is 64 or 128 hex digits"},
		{"POST", "/v0/send", `{"to":"bob","attachment":{"ref":"` + strings.Repeat("g", 64) + `","name":"a"}}`, 400, "not hex"},
		{"POST", "/v0/send", `{"to":"bob","attachment":{"ref":"` + strings.Repeat("a", 64) + `","name":""}}`, 400, "name is 1..255 bytes"},
		{"POST", "/v0/send", `{"to":"bob","attach":"relative.txt"}`, 400, "absolute path"},
		{"POST", "/v0/send", `{"to":"bob","attach":"/nonexistent/file.txt"}`, 400, "cannot attach /nonexistent/file.txt"},
		{"POST", "/v0/send", `{"to":"bob","attach":"/","attachment":{"ref":"` + strings.Repeat("a", 64) + `","name":"a"}}`, 400, "not both"},
		{"POST", "/v0/save", `{"conv":"bob","id":"00000000000000000000000000000000","dir":"/tmp"}`, 404, "no message"},
		{"POST", "/v0/save", `{"conv":"bob","id":"00000000000000000000000000000000","dir":"rel"}`, 400, "absolute directory"},
		{"POST", "/v0/save", `{"conv":"nobody","id":"00000000000000000000000000000000","dir":"/tmp"}`, 404, "no contact or group"},
		{"POST", "/v0/leave", `{"conv":"bob"}`, 400, "is a contact, not a group"},
		{"POST", "/v0/luminosity", `{"conv":"bob","luminosity":257}`, 400, "luminosity must be 0..256"},
		{"POST", "/v0/luminosity", `{"conv":"nobody","luminosity":8}`, 404, "no contact or group"},
		{"POST", "/v0/away", `{"away":"` + strings.Repeat("z", 300) + `"}`, 400, "at most 256 bytes"},
		{"POST", "/v0/typing", `{"conv":"nobody"}`, 404, "no contact or group"},
		{"POST", "/v0/settings", `{"typing":"yes"}`, 400, ""},
		{"GET", "/v0/nothing", "", 404, "no endpoint"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path[:min(len(tt.path), 40)], func(t *testing.T) {
			req := httptest.NewRequest(tt.method, tt.path, strings.NewReader(tt.body))
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != tt.status || !strings.Contains(w.Body.String(), tt.want) {
				t.Errorf("%d %s, want %d with %q", w.Code, w.Body.String(), tt.status, tt.want)
			}
		})
	}
	if q := s.queue(); len(q) != 0 {
		t.Errorf("bad input queued %d packets", len(q))
	}
	if w := httptest.NewRecorder(); true {
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/v0/status", nil))
		if !strings.Contains(w.Body.String(), `"messages":0`) {
			t.Errorf("status after bad input: %s", w.Body.String())
		}
	}
}
