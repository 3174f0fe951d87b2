package localapi

import (
	"errors"
	"net/http"
	"sync"
)

// A service's own packages return plain errors built on sentinels
// (route.ErrNoGroup, wrapped with the group's name). Which of them a caller
// caused, and so deserves a 4xx rather than a 500, is known once per
// sentinel, not at each handler that may pass one on: Classify records it.

type classification struct {
	sentinel error
	status   int
	code     string
}

var (
	classMu sync.RWMutex
	classes []classification
)

// Classify makes WriteError answer any error that wraps sentinel (errors.Is)
// with status and code, and the error's message. Call it at package
// initialisation, for errors a caller can cause: bad input (400), a named
// thing that does not exist (404), a state the caller can change (409), a
// peer or network that is not there (503).
func Classify(sentinel error, status int, code string) {
	classMu.Lock()
	defer classMu.Unlock()
	classes = append(classes, classification{sentinel, status, code})
}

// classified is err as an *Error: with the status of the first sentinel it
// wraps, else a 500.
func classified(err error) *Error {
	classMu.RLock()
	defer classMu.RUnlock()
	for _, c := range classes {
		if errors.Is(err, c.sentinel) {
			return &Error{Status: c.status, Code: c.code, Message: err.Error()}
		}
	}
	return Errorf(http.StatusInternalServerError, "internal", "%s", err.Error())
}
