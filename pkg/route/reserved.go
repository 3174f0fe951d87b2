package route

import (
	"slices"
	"strings"
)

// Reserved topics. The daemon names its own streams: group/NAME is where a
// group's packets are delivered, g/… and s/… are group epochs and sessions,
// mf/… its control and bench traffic. A packet is delivered on one of those
// names only if the way it opened proves it belongs there: a group stream
// takes only packets sealed under that group's current key by a current
// member (decodeGroupEnvelope), a session stream only packets sealed under
// that session's key. A first-contact packet (KindData) is sealed to this
// node's static key, which anyone can do, so it may name no reserved topic
// but the daemon's own control and bench topics; without this rule any peer
// could write "FORGED" into listen --group team.

// reservedPrefixes are the topic prefixes plain sends may not use.
var reservedPrefixes = []string{"group/", "g/", "s/", "mf/"}

// ReservedTopic reports whether topic is one the daemon names: plain sends
// may not use it.
func ReservedTopic(topic string) bool {
	for _, p := range reservedPrefixes {
		if strings.HasPrefix(topic, p) {
			return true
		}
	}
	return false
}

// admitted reports whether a packet of kind that opened to env may be
// delivered on env's topic. Session and group envelopes carry the topic the
// opening key belongs to (their decoders set it), so they are admitted; a
// first-contact envelope is admitted on a reserved topic only for the
// daemon's own traffic: control topics, bench packets (flagged) and bench
// acknowledgements.
func admitted(kind byte, env *Envelope) bool {
	switch kind {
	case KindSession:
		// sessionControlTopic: a session packet that carries only a rekey
		// message, already acted on when it opened.
		return strings.HasPrefix(env.Topic, "s/") || env.Topic == sessionControlTopic
	case KindGroup:
		return strings.HasPrefix(env.Topic, "group/")
	}
	switch {
	case !ReservedTopic(env.Topic):
		return true
	case slices.Contains(controlTopics, env.Topic), env.Topic == BenchAckTopic:
		return true
	case env.Topic == BenchTopic:
		return env.Flags&FlagBench != 0
	}
	return false
}
