package dbapi

import (
	"github.com/ethereum/go-ethereum/common"
)

// Digest is a provider's summary of a dataset for anti-entropy: the
// version it holds and a hash over it and the set of changes it applied.
// Two providers with the same digest hold the same changes; with the same
// version but another hash, one of them kept the other change of an
// equivocating writer, or is lying.
type Digest struct {
	Dataset ID          `json:"dataset"`
	Version Version     `json:"version"`
	Hash    common.Hash `json:"hash"`
	Changes uint64      `json:"changes"`
}

// Equivocation is a writer's two (or more) different changes with one
// sequence number: the evidence a provider keeps. Kept is the one it
// applies, the one with the lowest digest, so every provider keeps the same.
type Equivocation struct {
	Dataset ID             `json:"dataset"`
	Writer  common.Address `json:"writer"`
	Seq     uint64         `json:"seq"`
	Changes []*Change      `json:"changes"`
	Kept    int            `json:"kept"`
}
