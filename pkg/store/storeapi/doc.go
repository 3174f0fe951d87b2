// Package storeapi is how other programs talk to mf-store: the types of its
// local API, the endpoints, and the typed client over the Unix socket. It
// links none of the service.
//
// The local API of mf-store, on $MF_HOME/store.sock:
//
//	POST /v0/put?public=1&copies=N&name=NAME&hash=HEX&sworn=1   body: the file (octets) → PutResult
//	GET  /v0/files/{ref}          the file's bytes; Range: bytes=A-B answers 206
//	GET  /v0/stat/{ref}           StatInfo
//	GET  /v0/files                []FileInfo this node put or pinned
//	POST /v0/pin                  RefRequest → FileInfo: fetch every chunk and keep it here
//	POST /v0/unpin                RefRequest → FileInfo
//	POST /v0/audit                AuditRequest → AuditResult
//	POST /v0/check                CheckResult: read every chunk kept, repair the damaged
//	POST /v0/sync                 SyncResult: push kept chunks to the storers now nearest
//	GET  /v0/account              Account: earned serving chunks, spent fetching them
//	GET  /v0/status               Status
//	GET  /v0/proof?key=K&index=I,J  chunks of promised data with their Merkle
//	                              paths (pkg/proof's wire form), for mf-court
//	                              (the convention of courtapi.PromiseRequest)
//
// and for peers, through mf-route's gateway (which sets X-Mf-Peer-*):
//
//	PUT  /remote/v0/chunks/{addr}  body: the chunk; checked against addr, kept:
//	                               {"stored": false} when it was here already
//	GET  /remote/v0/chunks/{addr}  the chunk, checked on disk first; booked to
//	                               the caller at this node's manifest price
//	POST /remote/v0/have           HaveRequest → HaveAnswer: which chunks are here
//	POST /remote/v0/swear          SwearRequest → Claim: stake and promise
//	GET  /remote/v0/claims/{root}  []Claim this node signed for a file
//	GET  /remote/v0/proof?key=K&index=I,J  as /v0/proof, for auditors
//
// References are 64 hex digits (a public file) or 128 (a private file: the
// root's address, then the key). The format is pkg/store/chunk's.
package storeapi
