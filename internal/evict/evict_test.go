package evict

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestLRU(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 8, 0, 0, 0, time.UTC)
	at := func(h int) time.Time { return t0.Add(time.Duration(h) * time.Hour) }
	entries := []Entry{
		{"new", 40, at(3)},
		{"old", 30, at(1)},
		{"mid-b", 20, at(2)},
		{"mid-a", 10, at(2)},
	}
	tests := []struct {
		name string
		max  int64
		want []string
	}{
		{"fits exactly", 100, nil},
		{"fits with room", 1000, nil},
		{"one over: the oldest goes", 99, []string{"old"}},
		{"ties by name", 60, []string{"old", "mid-a"}},
		{"all but the newest", 40, []string{"old", "mid-a", "mid-b"}},
		{"nothing fits", 0, []string{"old", "mid-a", "mid-b", "new"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, e := range LRU(entries, tt.max) {
				got = append(got, e.Name)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("LRU(max %d) removes (-want +got):\n%s", tt.max, diff)
			}
		})
	}
	if entries[0].Name != "new" {
		t.Errorf("LRU reordered its argument")
	}
}
