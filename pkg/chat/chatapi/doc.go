// Package chatapi is how other programs talk to mf-chat: the request and
// response types of its local API, the endpoints, the typed client over
// the Unix socket, and Clean, which makes text from peers safe to print.
// It links none of the service (no Pebble, no index, no TUI).
//
// The local API of mf-chat, on $MF_HOME/chat.sock:
//
//	GET  /v0/status                      Status
//	GET  /v0/conversations               []Conversation, most recent first
//	GET  /v0/messages?conv=C&limit=N     []Message of a conversation, oldest first (the last N)
//	POST /v0/send                        SendRequest → Message (queued; ID makes it idempotent)
//	POST /v0/read                        ReadRequest: mark a conversation read
//	GET  /v0/search?q=Q&limit=N          SearchResult
//	GET  /v0/watch                       NDJSON Event: messages, state changes, conversations
//	POST /v0/contacts                    ContactRequest{name, card}: add a contact (mf-route's book)
//	POST /v0/groups                      GroupRequest: create a group (mf-route group)
//	POST /v0/groups/{name}/members       GroupChange: invite or kick (kick rekeys)
//	POST /v0/leave                       ReadRequest{conv}: leave a group conversation
//	POST /v0/luminosity                  LuminosityRequest: a conversation's luminosity
//	POST /v0/away                        AwayRequest: presence shown to peers
//	POST /v0/typing                      ReadRequest{conv} → TypingResult: tell its peers this node is typing
//	POST /v0/settings                    SettingsRequest → Settings (typing notices, read receipts on or off)
//
// A message's State is one of StateSending (queued or being retried, with
// the reason of the last try), StateSent (mf-route took it), StateHeld (to
// a contact that is offline: its mf-hold delegates signed hold receipts
// for the certified session packet, named in Reason), StateDelivered
// (to a contact: the contact's node signed a receipt for the certified
// session packet, kept in Receipt, or its mf-chat acknowledged it; to a
// group: members' mf-chat acknowledged it, each listed in DeliveredTo),
// StateFailed (with the reason), or StateReceived for a peer's message.
package chatapi
