// Package swapapi is how other programs talk to mf-swap: the types of its
// local API, the endpoints, and the typed client over the Unix socket. It
// links none of the service.
//
// The local API of mf-swap, on $MF_HOME/swap.sock:
//
//	GET  /v0/status                 Status
//	GET  /v0/balances               []PeerBalance
//	GET  /v0/balances/{peer}        PeerBalance
//	GET  /v0/cheques                []ChequeInfo (received and issued)
//	POST /v0/cash                   CashRequest: cash a peer's cheque now
//	                                (peer: a peer ID, or a contact name, card
//	                                or overlay address that mf-route resolves)
//	POST /v0/deposit                AmountRequest: wallet → checkbook
//	POST /v0/withdraw               AmountRequest: announce, or withdraw after the notice
//	POST /v0/usage                  UsageRequest: another service books priced units
//	GET  /v0/score/{address}        Score
//	GET  /v0/manifest               Manifest
//	POST /v0/manifest               ManifestEntry: set a service's price (and announce it: discovery.go)
//	DELETE /v0/manifest/{service}   take a service out of the manifest (and withdraw it)
//	GET  /v0/manifest/{peer}        Manifest of a peer, through mf-route
//	GET  /v0/terms/{peer}           Agreement: the routing prices agreed with a peer
//	GET  /v0/offers/{service}?max_price=P&min_score=S   []Offer: the network's providers, checked against their manifests
//
// Peers reach, through the mf-route gateway (which sets X-Mf-Peer-*):
//
//	POST /remote/v0/invoice         Invoice → ChequeMsg
//	POST /remote/v0/terms           Terms signed by the caller → countersigned
//	GET  /remote/v0/manifest        Manifest
package swapapi
