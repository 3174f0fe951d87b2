package route

import (
	"net/http"

	"github.com/mainframe/mf/pkg/identity"
	"github.com/mainframe/mf/pkg/localapi"
)

// The errors a caller of the local API can cause, with the answer each
// gets wherever a handler passes it on: the reason and a 4xx (or a 503 for a
// network that is not there), never a 500, which is kept for faults of the
// daemon itself.
func init() {
	for _, e := range []error{
		ErrContactName, ErrContactTarget, ErrContactExists, ErrUnknownTarget, identity.ErrCard,
		ErrGroupName, ErrGroupExists, ErrGroupEmpty, ErrGroupTooBig, ErrDuplicateMember, ErrNotOwner, ErrNotMember,
	} {
		localapi.Classify(e, http.StatusBadRequest, "bad_request")
	}
	for _, e := range []error{ErrNoContact, ErrNoGroup, ErrNoSession} {
		localapi.Classify(e, http.StatusNotFound, "not_found")
	}
	localapi.Classify(ErrNoRoute, http.StatusServiceUnavailable, "no_route")
}
