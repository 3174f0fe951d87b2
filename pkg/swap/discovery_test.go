package swap

import (
	"net/http"
	"testing"
)

// The discovery endpoints refuse bad input with a 4xx JSON error and leave
// the manifest as it was.
func TestDiscoveryRefusesBadInput(t *testing.T) {
	t.Parallel()
	n := newNode(t, nil)
	if code, body := n.do(http.MethodPost, "/v0/manifest", nil, `{"service":"store","price":"7"}`); code != http.StatusOK {
		t.Fatalf("setting a manifest entry: %d %s", code, body)
	}
	before := n.dump()
	for _, r := range []struct{ method, path string }{
		{http.MethodGet, "/v0/offers/STORE"},
		{http.MethodGet, "/v0/offers/store1"},
		{http.MethodGet, "/v0/offers/abcdefghijklmnopq"}, // 17 letters
		{http.MethodGet, "/v0/offers/store?min_score=2"},
		{http.MethodGet, "/v0/offers/store?min_score=-0.1"},
		{http.MethodGet, "/v0/offers/store?min_score=NaN"},
		{http.MethodGet, "/v0/offers/store?min_score=x"},
		{http.MethodGet, "/v0/offers/store?max_price=-1"},
		{http.MethodGet, "/v0/offers/store?max_price=1.5"},
		{http.MethodGet, "/v0/offers/store?max_price=abc"},
		{http.MethodDelete, "/v0/manifest/never"},
		{http.MethodDelete, "/v0/manifest/BAD"},
		{http.MethodDelete, "/v0/manifest/a%2Fb"},
	} {
		code, body := n.do(r.method, r.path, nil, "")
		apiError(t, r.method+" "+r.path, code, body)
	}
	sameDump(t, "the database", before, n.dump())
	// A good removal takes the entry out.
	if code, body := n.do(http.MethodDelete, "/v0/manifest/store", nil, ""); code != http.StatusOK {
		t.Fatalf("removing the entry: %d %s", code, body)
	}
	if m, err := n.manifest(); err != nil || len(m.Services) != 0 {
		t.Fatalf("manifest after removal: %+v %v", m, err)
	}
}
