// Package routeapi is how other programs talk to mf-route: the request
// and response types of its local API, the endpoints, the headers its
// gateway sets on calls from peers, the receipts it signs, and the typed
// client over the Unix socket. It links none of the node (no libp2p host,
// transports or DHT), so mf-swap, mf-court and the services to come pay
// for a small client, not for a second copy of mf-route.
//
// The local API of mf-route, served on $MF_HOME/route.sock. Every body is
// JSON, but for /v0/send, which also takes the payload as a raw body
// (Content-Type application/octet-stream) with the other fields of
// SendRequest as query parameters: ?to=T&topic=X&luminosity=N&certify=true.
// Errors are {"error": "...", "code": "..."}.
//
//	GET    /v0/status              IDInfo plus counters
//	GET    /v0/peers               []PeerInfo
//	POST   /v0/ping                PingRequest → NDJSON PingResult
//	GET    /v0/contacts            []ContactInfo
//	POST   /v0/contacts            ContactInfo{name, card}
//	DELETE /v0/contacts/{name}
//	POST   /v0/resolve             ResolveRequest → ContactInfo
//	POST   /v0/send                SendRequest → SendResult
//	POST   /v0/estimate            SendRequest (to, luminosity) → Estimate
//	GET    /v0/listen?topic=T&count=N   NDJSON Message; 503 past MaxListeners streams, 409 on a new topic past MaxTopics
//	GET    /v0/topics              watched topics
//	DELETE /v0/topics/{topic}      stop watching a topic
//	GET    /v0/receipts            []SentRecord of certified packets sent
//	GET    /v0/receipts/{id}       SentRecord
//	GET    /v0/group-receipts      []GroupSentRecord of certified group packets sent
//	GET    /v0/group-receipts/{id} GroupSentRecord: a signed receipt per member
//	GET    /v0/ledger              []LedgerEntry of certified packets relayed
//	GET    /v0/bonds?after=N       []BondEvent: settled bond links, for mf-swap
//	GET    /v0/luminosity?anonymity=K   LuminosityAdvice
//	ANY    /v0/call/{peer}/{service}/{path...}  a request to a peer's service (gateway.go)
//	GET    /v0/usage               Usage: bytes exchanged per peer, for mf-swap;
//	                               ?version=V&wait=D waits until it moves past V
//	GET    /v0/changes             Changes: a version of contacts, sessions and
//	                               groups, for mf-chat; ?version=V&wait=D as usage
//	POST   /v0/blocks              BlockRequest: refuse or restore service to a peer
//	POST   /v0/services            AnnounceRequest: announce a service in the DHT, or renew its lease (discovery.go)
//	GET    /v0/services            []Announcement: the services this node announces
//	DELETE /v0/services/{service}  stop announcing a service
//	GET    /v0/providers/{service} []Provider: the nodes the DHT names as its providers (?limit=N)
//	POST   /v0/sessions            SessionRequest → SessionInfo
//	GET    /v0/sessions            []SessionInfo
//	POST   /v0/groups              GroupRequest → GroupInfo
//	GET    /v0/groups              []GroupInfo
//	POST   /v0/groups/{name}/members   GroupChange → GroupInfo
//	POST   /v0/groups/{name}/resend    hand the key again to members without it → GroupInfo
package routeapi
