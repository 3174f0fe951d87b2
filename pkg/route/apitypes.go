package route

import "github.com/mainframe/mf/pkg/route/routeapi"

// The types and constants of mf-route's API live in routeapi, which its
// clients import without linking the node; these names let the daemon's
// own code read as it always has.
type (
	AnnounceRequest  = routeapi.AnnounceRequest
	Announcement     = routeapi.Announcement
	BigReader        = routeapi.BigReader
	BlockRequest     = routeapi.BlockRequest
	BondEvent        = routeapi.BondEvent
	ContactInfo      = routeapi.ContactInfo
	Estimate         = routeapi.Estimate
	GroupChange      = routeapi.GroupChange
	GroupInfo        = routeapi.GroupInfo
	GroupMember      = routeapi.GroupMember
	GroupRequest     = routeapi.GroupRequest
	IDInfo           = routeapi.IDInfo
	LedgerEntry      = routeapi.LedgerEntry
	LuminosityAdvice = routeapi.LuminosityAdvice
	Message          = routeapi.Message
	PeerInfo         = routeapi.PeerInfo
	PeerUsage        = routeapi.PeerUsage
	PingRequest      = routeapi.PingRequest
	PingResult       = routeapi.PingResult
	Provider         = routeapi.Provider
	Receipt          = routeapi.Receipt
	ReceiptInfo      = routeapi.ReceiptInfo
	ResolveRequest   = routeapi.ResolveRequest
	SendRequest      = routeapi.SendRequest
	SendResult       = routeapi.SendResult
	SendStreamResult = routeapi.SendStreamResult
	SentRecord       = routeapi.SentRecord
	SessionInfo      = routeapi.SessionInfo
	SessionRequest   = routeapi.SessionRequest
	StatsSnapshot    = routeapi.StatsSnapshot
	StatusInfo       = routeapi.StatusInfo
	Usage            = routeapi.Usage
)

const (
	ReceiptReceived    = routeapi.ReceiptReceived
	ReceiptUnreachable = routeapi.ReceiptUnreachable
	ReceiptTaken       = routeapi.ReceiptTaken
	ReceiptReturned    = routeapi.ReceiptReturned
	ReceiptHeld        = routeapi.ReceiptHeld
	BondEarned         = routeapi.BondEarned
	BondForfeit        = routeapi.BondForfeit
	BondPaid           = routeapi.BondPaid
	BondCharged        = routeapi.BondCharged
	HeaderPeerID       = routeapi.HeaderPeerID
	HeaderPeerOverlay  = routeapi.HeaderPeerOverlay
	HeaderPeerAddress  = routeapi.HeaderPeerAddress
	SocketName         = routeapi.SocketName
	PIDName            = routeapi.PIDName
)

// ErrReceipt means a receipt is malformed or its signature invalid.
var ErrReceipt = routeapi.ErrReceipt
