package route

import "testing"

func TestAdmitted(t *testing.T) {
	tests := []struct {
		kind  byte
		topic string
		flags byte
		want  bool
	}{
		{KindData, "chat", 0, true},
		{KindData, "groupie", 0, true},
		{KindData, "group/team", 0, false},
		{KindData, "g/0123", 0, false},
		{KindData, "s/0123", 0, false},
		{KindData, "mf/anything", 0, false},
		{KindData, SessionTopic, 0, true},
		{KindData, GroupTopic, 0, true},
		{KindData, GroupAckTopic, 0, true},
		{KindData, BenchAckTopic, 0, true},
		{KindData, BenchTopic, FlagBench, true},
		{KindData, BenchTopic, 0, false},
		{KindSession, "s/0123", 0, true},
		{KindSession, "group/team", 0, false},
		{KindSession, sessionControlTopic, 0, true},
		{KindData, sessionControlTopic, 0, false},
		{KindGroup, "group/team", 0, true},
		{KindGroup, "s/0123", 0, false},
	}
	for _, tt := range tests {
		if got := admitted(tt.kind, &Envelope{Topic: tt.topic, Flags: tt.flags}); got != tt.want {
			t.Errorf("admitted(kind %d, %q, flags %d) = %v, want %v", tt.kind, tt.topic, tt.flags, got, tt.want)
		}
	}
}
