package graph

import (
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestLockRefTreeWhileRemoved attacks the lock of a tree with a remover
// running all the time: runs waiting for the lock while the tree is
// removed must take it again on the new tree, never hold the lock of the
// removed one while another run holds the new one's. It fails when
// lockRefTree does not check that its lock file is still the tree's.
func TestLockRefTreeWhileRemoved(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tree")
	var holders, most, removals atomic.Int32
	stop := make(chan struct{})
	var remover sync.WaitGroup
	remover.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if ok, err := RemoveRefTree(dir); err != nil {
				t.Error(err)
				return
			} else if ok {
				removals.Add(1)
			}
			time.Sleep(50 * time.Microsecond) // a removal at a time, as pruning makes them
		}
	})
	var runs sync.WaitGroup
	for range 4 {
		runs.Go(func() {
			for range 200 {
				f, err := lockRefTree(dir)
				if err != nil {
					t.Error(err)
					return
				}
				n := holders.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				time.Sleep(20 * time.Microsecond)
				holders.Add(-1)
				f.Close()
			}
		})
	}
	runs.Wait()
	close(stop)
	remover.Wait()
	if m := most.Load(); m != 1 {
		t.Errorf("%d runs held the tree at once, want 1", m)
	}
	if removals.Load() == 0 {
		t.Error("the tree was never removed: the test attacked nothing")
	}
}

// TestPruneRefTrees checks which trees PruneRefTrees removes: those
// beyond the last used few and those unused for long, never one in use,
// and what a killed removal left once it is old.
func TestPruneRefTrees(t *testing.T) {
	now := time.Now()
	day := 24 * time.Hour
	tests := []struct {
		name    string
		lastUse map[string]time.Duration // tree → time since its last use
		inUse   []string
		left    map[string]time.Duration // directory a removal moved aside → its age
		keep    int
		maxAge  time.Duration
		want    []string
	}{
		{
			name:    "beyond the last used",
			lastUse: map[string]time.Duration{"a": time.Minute, "b": time.Hour, "c": day, "d": 2 * day},
			keep:    2, maxAge: 7 * day,
			want: []string{"c", "d"},
		},
		{
			name:    "unused for long",
			lastUse: map[string]time.Duration{"a": time.Minute, "b": 8 * day},
			keep:    4, maxAge: 7 * day,
			want: []string{"b"},
		},
		{
			name:    "in use stays",
			lastUse: map[string]time.Duration{"a": time.Minute, "b": 30 * day, "c": 30 * day},
			inUse:   []string{"b"},
			keep:    1, maxAge: 7 * day,
			want: []string{"c"},
		},
		{
			name:    "every one not in use (cache clean)",
			lastUse: map[string]time.Duration{"a": 0, "b": time.Minute},
			inUse:   []string{"a"},
			keep:    0, maxAge: 0,
			want: []string{"b"},
		},
		{
			name:    "killed removals",
			lastUse: map[string]time.Duration{"a": time.Minute},
			left:    map[string]time.Duration{removingPrefix + "old": 2 * time.Hour, removingPrefix + "new": time.Minute},
			keep:    4, maxAge: 7 * day,
			want: nil,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			for name, ago := range tt.lastUse {
				dir := filepath.Join(parent, name)
				f, err := lockRefTree(dir)
				if err != nil {
					t.Fatal(err)
				}
				if slices.Contains(tt.inUse, name) {
					t.Cleanup(func() { f.Close() })
				} else {
					f.Close()
				}
				if err := os.WriteFile(filepath.Join(dir, "commit"), []byte("c\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(filepath.Join(dir, "lock"), now.Add(-ago), now.Add(-ago)); err != nil {
					t.Fatal(err)
				}
			}
			for name, age := range tt.left {
				dir := filepath.Join(parent, name)
				if err := os.MkdirAll(filepath.Join(dir, "tree", "x"), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.Chtimes(dir, now.Add(-age), now.Add(-age)); err != nil {
					t.Fatal(err)
				}
			}
			removed, err := PruneRefTrees(parent, tt.keep, tt.maxAge, now)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, d := range removed {
				got = append(got, filepath.Base(d))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("removed %v, want %v", got, tt.want)
			}
			for name := range tt.lastUse {
				_, err := os.Stat(filepath.Join(parent, name))
				if gone := slices.Contains(tt.want, name); gone != os.IsNotExist(err) {
					t.Errorf("%s: removed %v, but stat says %v", name, gone, err)
				}
			}
			for name, age := range tt.left {
				_, err := os.Stat(filepath.Join(parent, name))
				if gone := age > leftAfter; gone != os.IsNotExist(err) {
					t.Errorf("%s (%v old): want removed %v, stat says %v", name, age, gone, err)
				}
			}
		})
	}
}
