// Package holdapi is how other programs talk to mf-hold: the types of its
// local API, the endpoints, the signed records that travel between a
// delegate, its client and the senders (hold receipts, received-lists,
// held-packet frames), the packet holders table's name and id, and the
// typed client over the Unix socket. It imports foundations only, so
// mf-route checks a delegate's receipt with the same code the delegate
// signs it with, and links none of the service.
//
// Whitepaper, section "Incentivized packet holding": a node that may be
// offline picks delegates that hold packets for it; senders send every
// packet to the recipient's delegates as well as to the recipient; the
// recipient fetches what it missed when it returns and tells its
// delegates, with a signed list of packet ids, what it has received, so
// that they delete it and charge for the time they held it.
//
// Every signature is secp256k1 over keccak256(domain || binary encoding),
// verified by recovering the signer's address. The domains:
//
//	mf/hold/receipt/v1    a delegate's receipt for a packet it holds
//	mf/hold/received/v2   a client's list of the packet ids it received
//
// and, for the court, EIP-712 in the Court's domain (court.go): a staked
// delegate's Promise for each packet it holds (Claim), and the client's
// Release of the ids a received-list names.
//
// The local API of mf-hold, on $MF_HOME/hold.sock:
//
//	GET    /v0/status              Status
//	GET    /v0/find?max_price=P&min_score=S   []Offer: nodes that sell holding, network-wide
//	GET    /v0/delegates           []Delegate: this node's delegates
//	POST   /v0/delegates           DelegatesRequest → []Delegate: agree with peers (they stake) and publish
//	DELETE /v0/delegates/{peer}    []Delegate left: end the agreement and publish
//	POST   /v0/publish             PublishResult: write this node's row of the holders table again
//	GET    /v0/clients             []ClientInfo: the nodes this one holds packets for
//	GET    /v0/held?client=ADDR    []HeldInfo: the packets held for a client, in the order taken
//	GET    /v0/account             Account: earned holding packets
//	POST   /v0/claims              KeepRequest: keep the claims of receipts for a packet this node sent (mf-route)
//	GET    /v0/claims?client=A&id=P&delegate=D   []ClaimInfo: the claims kept here
//	POST   /v0/case                CaseRequest → CaseResult: take a delegate to court on its claim (the client)
//	GET    /v0/proof?key=K&index=I,J   the proof convention of mf-court (courtapi.PromiseRequest): chunks of a held packet
//	GET    /v0/release?key=K       courtapi.ReleaseAnswer: the client's release of a packet deleted on its received-list
//
// and for peers, through mf-route's gateway (which sets X-Mf-Peer-*):
//
//	POST   /remote/v0/agree              AgreeRequest → Agreement: the caller becomes a client
//	DELETE /remote/v0/agree              the caller stops being a client; its packets are dropped
//	POST   /remote/v0/hold/{client}?order=N&certified=1  body: a sealed data, session or group packet (octets; a group packet must name the client) → Receipt (with its Claim when staked); N is the packet's place in the sender's order (Held.Order)
//	GET    /remote/v0/fetch?after=N&limit=M  the caller's held packets, frames (EncodeHeld), in the order taken
//	POST   /remote/v0/received           body: a ReceivedList (octets) → ReceivedResult
//	POST   /remote/v0/claims             ForwardRequest: a sender passes on its delegates' claims for this node
//
// A delegate serves fetch only to the client the packets are held for,
// takes a received-list only when its client signed it for this delegate,
// and holds a packet only for a node that agreed with it, within a quota
// per client and per sender. docs/hold.md describes the design.
package holdapi
