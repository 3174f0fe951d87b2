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
//	mf/db/mail/v1      the associated data of a sealed mailbox row
//
// The order of changes, and what a version means, is in docs/db.md.
package dbapi
