// Package evict chooses what a size-bounded cache removes: the least
// recently used entries first, until the rest fit. It only chooses; the
// caches (gobake's binary cache, the layer cache) list their entries and
// remove them, each in its own way.
package evict

import (
	"slices"
	"strings"
	"time"
)

// Entry is one removable unit of a cache: a file or a directory.
type Entry struct {
	Name string    // the cache's name for it (a path, a digest)
	Size int64     // bytes it takes
	Used time.Time // when it was last used (written or read)
}

// LRU returns the entries to remove so that the others total at most max
// bytes: the least recently used first (ties broken by name, so that the
// choice is the same in every run). It returns none when they already fit.
// entries is not modified.
func LRU(entries []Entry, max int64) []Entry {
	var total int64
	for _, e := range entries {
		total += e.Size
	}
	if total <= max {
		return nil
	}
	sorted := slices.Clone(entries)
	slices.SortFunc(sorted, func(a, b Entry) int {
		if c := a.Used.Compare(b.Used); c != 0 {
			return c
		}
		return strings.Compare(a.Name, b.Name)
	})
	var out []Entry
	for _, e := range sorted {
		if total <= max {
			break
		}
		out = append(out, e)
		total -= e.Size
	}
	return out
}
