package labels

import "testing"

func TestIsUnitID(t *testing.T) {
	for _, tt := range []struct {
		id   string
		want bool
	}{
		{id: "U0123456789", want: true},
		{id: "UABCDEFGHJK", want: true},
		{id: "UMNPQRSTVWX", want: true},
		{id: "UYZ00000000", want: true},
		{id: "u0123456789", want: false}, // canonical form is upper-case
		{id: "U012345678", want: false},
		{id: "U01234567890", want: false},
		{id: "X0123456789", want: false},
		{id: "U012345678I", want: false},
		{id: "U012345678L", want: false},
		{id: "U012345678O", want: false},
		{id: "U012345678U", want: false},
		{id: "", want: false},
	} {
		if got := IsUnitID(tt.id); got != tt.want {
			t.Errorf("IsUnitID(%q)=%v, want %v", tt.id, got, tt.want)
		}
	}
}

func TestNewUnitID(t *testing.T) {
	seen := make(map[string]bool)
	for range 1000 {
		id := NewUnitID()
		if !IsUnitID(id) {
			t.Fatalf("NewUnitID()=%q, want a valid unit id", id)
		}
		if seen[id] {
			t.Fatalf("NewUnitID()=%q twice in 1000 calls, want distinct ids", id)
		}
		seen[id] = true
		// A unit id ending in RRMA (one in a million) is also an Amazon RMA
		// shape, so only the first match is pinned.
		if got := Classify(id); len(got) == 0 || got[0] != (Match{Kind: KindUnit, Value: id}) {
			t.Fatalf("Classify(%q)=%v, want a unit match first", id, got)
		}
	}
}
