// Package importrule states which mf packages may import which, and checks
// a package graph against it. Its test runs the check on the module, so a
// wrong arrow fails CI with the rule it breaks.
//
// The rules, from docs/architecture.md:
//
//   - Each service (route, swap, court, db, hold, store, chat) has
//     implementation packages (pkg/S and everything under it, cmd/mf-S) and
//     one API package, pkg/S/Sapi. pkg/devnet and pkg/sim are mf-route's.
//   - An implementation package imports no other service's
//     implementation: services reach each other through API packages.
//   - An API package imports foundations only: no implementation, no other
//     service's API.
//   - No service but mf-route links a libp2p host, transport or DHT.
package importrule

import (
	"fmt"
	"sort"
	"strings"
)

// Module is the import path of the mf module.
const Module = "github.com/mainframe/mf"

// Services are the names of mf's services.
var Services = []string{"route", "swap", "court", "db", "hold", "store", "chat"}

// owners maps packages that belong to a service without living under
// pkg/S to that service.
var owners = map[string]string{
	Module + "/pkg/devnet": "route",
	Module + "/pkg/sim":    "route",
}

// Owner returns the service a package belongs to and whether it is that
// service's API package; "" for foundations and anything outside mf.
func Owner(path string) (service string, api bool) {
	if s, ok := owners[path]; ok {
		return s, false
	}
	rest, ok := strings.CutPrefix(path, Module+"/")
	if !ok {
		return "", false
	}
	for _, s := range Services {
		if rest == "cmd/mf-"+s {
			return s, false
		}
		if rest == "pkg/"+s+"/"+s+"api" {
			return s, true
		}
		if rest == "pkg/"+s || strings.HasPrefix(rest, "pkg/"+s+"/") {
			return s, false
		}
	}
	return "", false
}

// Violation is one import that breaks a rule.
type Violation struct {
	From, To string
	Rule     string
	// Linked: From is a command that links To, perhaps through others.
	Linked bool
}

func (v Violation) String() string {
	verb := "imports"
	if v.Linked {
		verb = "links"
	}
	return fmt.Sprintf("%s %s %s: %s", v.From, verb, v.To, v.Rule)
}

// The rules, one line each, as a failure states them.
const (
	RuleImpl = "a service's implementation reaches another service only through its API package (pkg/S/Sapi)"
	RuleAPI  = "an API package imports foundations only, never a service's implementation or another service's API"
	RuleNode = "only mf-route links the libp2p node (go-libp2p/p2p/..., go-libp2p-kad-dht): the other services talk to the network through routeapi"
)

// CheckImports checks direct imports: imports maps each package to the
// packages it imports.
func CheckImports(imports map[string][]string) []Violation {
	var out []Violation
	for from, tos := range imports {
		fs, fapi := Owner(from)
		if fs == "" {
			continue
		}
		for _, to := range tos {
			ts, tapi := Owner(to)
			if ts == "" {
				continue
			}
			switch {
			case fapi:
				out = append(out, Violation{From: from, To: to, Rule: RuleAPI})
			case ts != fs && !tapi:
				out = append(out, Violation{From: from, To: to, Rule: RuleImpl})
			}
		}
	}
	sortViolations(out)
	return out
}

// CheckLinks checks what a binary links: deps maps each command (cmd/mf-S)
// to every package it depends on.
func CheckLinks(deps map[string][]string) []Violation {
	var out []Violation
	for cmd, ds := range deps {
		cs, _ := Owner(cmd)
		for _, d := range ds {
			if ts, tapi := Owner(d); ts != "" && ts != cs && !tapi {
				out = append(out, Violation{From: cmd, To: d, Rule: RuleImpl, Linked: true})
			}
			if cs != "route" && linksNode(d) {
				out = append(out, Violation{From: cmd, To: d, Rule: RuleNode, Linked: true})
			}
		}
	}
	sortViolations(out)
	return out
}

// linksNode reports whether a package is part of the libp2p node rather
// than its core types (peer IDs, keys), which identity uses.
func linksNode(path string) bool {
	return strings.HasPrefix(path, "github.com/libp2p/go-libp2p/p2p/") ||
		strings.HasPrefix(path, "github.com/libp2p/go-libp2p-kad-dht")
}

func sortViolations(v []Violation) {
	sort.Slice(v, func(i, j int) bool {
		if v[i].From != v[j].From {
			return v[i].From < v[j].From
		}
		return v[i].To < v[j].To
	})
}
