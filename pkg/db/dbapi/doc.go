// Package dbapi holds the types of mf-db and the rules that make them
// trustworthy without trusting whoever stores them: a dataset's metadata
// signed by its owner, changes signed by their writers (alone, or many at
// once through a Merkle root), providers' acknowledgements, version
// vectors, and the sealed rows of mailboxes. It imports foundations only,
// so a client, a provider and a reader (mf-chat, mf-hold, scripts in Go)
// check the same rules with the same code and link none of the engine.
//
// Every signature is secp256k1 over keccak256(domain || canonical binary
// encoding), verified by recovering the signer's address, as the chain
// does. The binary encodings are built on pkg/wire: fixed-width or
// length-prefixed fields, shortest-form varints, bounded lengths and no
// trailing bytes, so that one value has one encoding and one digest. JSON
// is only a way to show and carry the fields; a digest is never computed
// over JSON.
//
// The domains:
//
//	mf/db/dataset/v1   a dataset id: keccak256(domain || owner || name)
//	mf/db/network/v1   a network table's id: keccak256(domain || its metadata body)
//	mf/db/meta/v1      the owner's signature over a dataset's metadata
//	mf/db/change/v1    a change's digest (what a single change's writer signs)
//	mf/db/batch/v1     a writer's signature over the Merkle root of a batch
//	mf/db/ack/v1       a provider's acknowledgement
//	mf/db/placement/v1 the owner's signature over a dataset's placement (its providers)
//	mf/db/mail/v1      the associated data of a sealed mailbox row
//	mf/db/promise/v1   the key of a provider's court promise for a change (promise.go)
//
// The order of changes, and what a version means, is in docs/db.md.
//
// The local API of mf-db, on $MF_HOME/db.sock ({ds} is the name of one
// of this node's datasets, or a dataset id: 64 hex digits):
//
//	GET    /v0/status                        Status
//	GET    /v0/datasets                      []Meta
//	POST   /v0/datasets                      CreateRequest → Meta (signed by this node)
//	GET    /v0/datasets/{ds}                 Meta
//	POST   /v0/datasets/{ds}/acl             ACLRequest → Meta (the next version)
//	POST   /v0/datasets/{ds}/rows            WriteRequest → Change (signed by this node)
//	POST   /v0/datasets/{ds}/batch           BatchRequest → BatchResult (signed once, stored at once;
//	                                         the request in binary, EncodeBatch, or JSON)
//	GET    /v0/datasets/{ds}/row?key=K       Change: the row's signed change
//	GET    /v0/datasets/{ds}/query?prefix=P&where=F>V&limit=N   NDJSON of Change
//	GET    /v0/datasets/{ds}/watch?from=V    NDJSON of WatchEvent, following
//	GET    /v0/datasets/{ds}/digest          Digest
//	POST   /v0/mailbox/send                  MailRequest → Change (sealed, signed by this node)
//	GET    /v0/mailbox                       []Mail: this node's mailbox, opened
//
// With redundancy 0 a dataset lives in this node's daemon only; above 0
// it lives on providers (netclient.go lists the local endpoints of that
// side, and pkg/db's provider.go the /remote endpoints peers call).
package dbapi
