package planner

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/graph"
)

func TestParseShard(t *testing.T) {
	tests := []struct {
		in      string
		want    Shard
		wantErr bool
	}{
		{in: "1/1", want: Shard{1, 1}},
		{in: "2/3", want: Shard{2, 3}},
		{in: "0/3", wantErr: true},
		{in: "4/3", wantErr: true},
		{in: "3", wantErr: true},
		{in: "a/b", wantErr: true},
		{in: "1/0", wantErr: true},
	}
	for _, tt := range tests {
		got, err := ParseShard(tt.in)
		if (err != nil) != tt.wantErr {
			t.Errorf("ParseShard(%q) error %v, want error %v", tt.in, err, tt.wantErr)
			continue
		}
		if got != tt.want {
			t.Errorf("ParseShard(%q) = %v, want %v", tt.in, got, tt.want)
		}
		if err == nil && got.String() != tt.in {
			t.Errorf("String() = %q, want %q", got.String(), tt.in)
		}
	}
}

// record is a record of one platform with pkgs local packages and std
// standard ones.
func record(pkgs, std int) *graph.Record {
	in := map[string]string{}
	for i := range pkgs {
		in[fmt.Sprintf("pkg:example.com/p%d", i)] = "local x y"
	}
	for i := range std {
		in[fmt.Sprintf("pkg:std%d", i)] = "std"
	}
	return &graph.Record{Platforms: []graph.PlatformRecord{{Platform: "linux/amd64", Inputs: in}}}
}

func TestAssign(t *testing.T) {
	snap := &graph.Snapshot{Records: map[string]*graph.Record{
		"big": record(96, 50), "mid": record(46, 0), "a": record(26, 0), "b": record(26, 0), "tiny": record(0, 9),
	}}
	tests := []struct {
		name   string
		images []string
		n      int
		want   map[string]int
	}{
		{name: "one shard", images: []string{"a", "big"}, n: 1, want: map[string]int{"a": 1, "big": 1}},
		// costs: big 100, mid 50, a 30, b 30, tiny 4 → 1: big tiny (104), 2: mid a b (110)
		{name: "two shards, by cost", images: []string{"tiny", "a", "b", "mid", "big"}, n: 2,
			want: map[string]int{"big": 1, "mid": 2, "a": 2, "b": 2, "tiny": 1}},
		{name: "input order does not matter", images: []string{"big", "mid", "b", "a", "tiny"}, n: 2,
			want: map[string]int{"big": 1, "mid": 2, "a": 2, "b": 2, "tiny": 1}},
		{name: "more shards than images", images: []string{"a", "b"}, n: 4, want: map[string]int{"a": 1, "b": 2}},
		{name: "no record", images: []string{"ghost", "a"}, n: 2, want: map[string]int{"a": 1, "ghost": 2}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, Assign(snap, tt.images, tt.n)); diff != "" {
				t.Errorf("Assign (-want +got):\n%s", diff)
			}
		})
	}
	if diff := cmp.Diff([]string{"tiny", "big"}, InShard(snap, []string{"tiny", "big", "a", "b", "mid"}, Shard{1, 2})); diff != "" {
		t.Errorf("InShard (-want +got):\n%s", diff)
	}
}
