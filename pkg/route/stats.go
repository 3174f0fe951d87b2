package route

import "sync/atomic"

// Stats counts what happened to packets; nothing is dropped without being
// counted here, and `mf-route status` shows it.
type Stats struct {
	Received   atomic.Uint64 // frames read from peers
	Sent       atomic.Uint64 // frames written to peers
	Delivered  atomic.Uint64 // packets opened and handed to this node's listeners
	Relayed    atomic.Uint64 // packets passed on for others
	Duplicates atomic.Uint64 // packets seen before, dropped
	Tampered   atomic.Uint64 // packets addressed here that did not open: altered or forged
	NotForUs   atomic.Uint64 // packets on a watched topic that this node could not open
	BadFrames  atomic.Uint64 // streams cut off for unframeable bytes
	BadPackets atomic.Uint64 // frames that were not valid packets
	Expired    atomic.Uint64 // packets whose ttl ran out here
	NoRoute    atomic.Uint64 // packets no connected peer could take
	QueueFull  atomic.Uint64 // packets dropped because a peer did not keep up
	// QueueWaits are frames whose sender waited for room in a peer's
	// queue (queue.go), and QueueWaitNanos the time they waited in all:
	// where packets wait under load, instead of in the queue.
	QueueWaits     atomic.Uint64
	QueueWaitNanos atomic.Uint64
	SendFailed     atomic.Uint64 // packets lost with a failed stream
	InboxFull      atomic.Uint64 // deliveries dropped because the inbox was full
	// StrayReceipts are receipts for packets this node did not carry.
	StrayReceipts atomic.Uint64
	// Refused are frames from peers blocked for not paying.
	Refused atomic.Uint64
	// Stale are packets that opened here but were sent too long ago (or
	// claim a time too far ahead): replays, or a sender's clock far off.
	Stale atomic.Uint64
	// Forged are packets that opened here but name a session, group or
	// daemon topic without being sealed under its key (reserved.go).
	Forged atomic.Uint64
	// Rerouted are packets offered to the next-closest peer after the write
	// to the chosen one failed or the packet came back from it.
	Rerouted atomic.Uint64
	// DeadPeers are peers disconnected for not answering pings.
	DeadPeers atomic.Uint64
	// Backtracked are packets handed back: to the previous hop, with no
	// untried peer left to pass them to, or to a peer whose copy came
	// round a loop (backtrack.go).
	Backtracked atomic.Uint64
	// PunchRetries count relayed connections dropped and dialled again
	// through the relay, for another hole punch (punch.go).
	PunchRetries atomic.Uint64
}

// Snapshot reads every counter.
func (s *Stats) Snapshot() StatsSnapshot {
	return StatsSnapshot{
		Received: s.Received.Load(), Sent: s.Sent.Load(), Delivered: s.Delivered.Load(),
		Relayed: s.Relayed.Load(), Duplicates: s.Duplicates.Load(), Tampered: s.Tampered.Load(),
		NotForUs: s.NotForUs.Load(), BadFrames: s.BadFrames.Load(), BadPackets: s.BadPackets.Load(),
		Expired: s.Expired.Load(), NoRoute: s.NoRoute.Load(), QueueFull: s.QueueFull.Load(),
		SendFailed: s.SendFailed.Load(), InboxFull: s.InboxFull.Load(), StrayReceipts: s.StrayReceipts.Load(), Refused: s.Refused.Load(),
		Stale: s.Stale.Load(), Forged: s.Forged.Load(), Rerouted: s.Rerouted.Load(), DeadPeers: s.DeadPeers.Load(),
		Backtracked: s.Backtracked.Load(), PunchRetries: s.PunchRetries.Load(),
		QueueWaits: s.QueueWaits.Load(), QueueWaitMS: s.QueueWaitNanos.Load() / 1e6,
	}
}
