package planner

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/gobake/gobake/internal/graph"
)

// Shard is one of N parts of a build or release spread over CI jobs: K is
// 1-based.
type Shard struct {
	K, N int
}

// ParseShard parses "K/N" with 1 ≤ K ≤ N.
func ParseShard(s string) (Shard, error) {
	k, n, ok := strings.Cut(s, "/")
	ki, err1 := strconv.Atoi(k)
	ni, err2 := strconv.Atoi(n)
	if !ok || err1 != nil || err2 != nil || ni < 1 || ki < 1 || ki > ni {
		return Shard{}, fmt.Errorf("shard %q: want K/N with 1 ≤ K ≤ N, e.g. 2/3", s)
	}
	return Shard{K: ki, N: ni}, nil
}

// String is "K/N".
func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.K, s.N) }

// linkCost is what linking one binary weighs against compiling one
// package, in Cost.
const linkCost = 4

// Cost estimates the work of building image from its record: per
// platform, the packages of its closure that are not in the standard
// library (which any warm cache holds), plus one link. Without a record it
// is 1.
func Cost(rec *graph.Record) int {
	if rec == nil {
		return 1
	}
	c := 0
	for _, p := range rec.Platforms {
		c += linkCost
		for k, v := range p.Inputs {
			if strings.HasPrefix(k, "pkg:") && v != "std" {
				c++
			}
		}
	}
	return max(c, 1)
}

// Assign spreads images over n shards, balanced by their Cost in snap:
// heaviest first (ties by name), each onto the least loaded shard (ties to
// the lowest). It depends only on the images, their records and n, so
// every job of a sharded run computes the same assignment. It returns the
// 1-based shard of every image.
func Assign(snap *graph.Snapshot, images []string, n int) map[string]int {
	type item struct {
		name string
		cost int
	}
	items := make([]item, 0, len(images))
	for _, name := range images {
		var rec *graph.Record
		if snap != nil {
			rec = snap.Records[name]
		}
		items = append(items, item{name, Cost(rec)})
	}
	slices.SortFunc(items, func(a, b item) int {
		return cmp.Or(cmp.Compare(b.cost, a.cost), strings.Compare(a.name, b.name))
	})
	load := make([]int, max(n, 1))
	out := make(map[string]int, len(items))
	for _, it := range items {
		k := 0
		for j := range load {
			if load[j] < load[k] {
				k = j
			}
		}
		load[k] += it.cost
		out[it.name] = k + 1
	}
	return out
}

// InShard returns the images of names (in their order) that Assign puts
// in shard s.
func InShard(snap *graph.Snapshot, names []string, s Shard) []string {
	a := Assign(snap, names, s.N)
	var out []string
	for _, n := range names {
		if a[n] == s.K {
			out = append(out, n)
		}
	}
	return out
}
