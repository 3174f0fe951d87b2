package court

import "github.com/mainframe/mf/pkg/court/courtapi"

// The types of mf-court's API live in courtapi, which its clients import
// without linking the service; these names let the daemon's own code
// read as it always has.
type (
	ChunksAnswer   = courtapi.ChunksAnswer
	Agreement      = courtapi.Agreement
	CaseInfo       = courtapi.CaseInfo
	CaseRequest    = courtapi.CaseRequest
	Claim          = courtapi.Claim
	IDRequest      = courtapi.IDRequest
	PromiseRequest = courtapi.PromiseRequest
	Record         = courtapi.Record
	StakeRequest   = courtapi.StakeRequest
	WitnessInfo    = courtapi.WitnessInfo
	WitnessRequest = courtapi.WitnessRequest
)
