package swap

import "github.com/mainframe/mf/pkg/swap/swapapi"

// The types of mf-swap's API live in swapapi, which its clients import
// without linking the service; these names let the daemon's own code
// read as it always has.
type (
	UsageRequest   = swapapi.UsageRequest
	Agreement      = swapapi.Agreement
	AmountRequest  = swapapi.AmountRequest
	CashRequest    = swapapi.CashRequest
	ChequeInfo     = swapapi.ChequeInfo
	Manifest       = swapapi.Manifest
	ManifestEntry  = swapapi.ManifestEntry
	Offer          = swapapi.Offer
	PeerBalance    = swapapi.PeerBalance
	Score          = swapapi.Score
	Status         = swapapi.Status
	Terms          = swapapi.Terms
	Tier           = swapapi.Tier
	WithdrawResult = swapapi.WithdrawResult
)
