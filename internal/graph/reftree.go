package graph

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/gobake/gobake/internal/dotdir"
	"github.com/gobake/gobake/internal/gitexec"
)

// RefTree makes dir (a cache directory of its own, outside the
// repository) hold the files of r's commit, and returns the directory in
// it that corresponds to the repository directory r was resolved from
// (which may be below the top of the work tree). The files are kept
// between runs with an index of their own, so that moving to another
// commit rewrites only the files that differ (git read-tree -u): the
// packages, hashes and graphs of the files that did not change are found
// in the caches. When the tree already holds that commit (its id is
// recorded after every checkout), nothing is checked out. The tree is
// locked until release is called; call it even when the caller fails. A
// run that did not release (killed) leaves a mark, and the next one
// starts from an empty tree; so does the one after a release(false),
// which says the caller changed the tree and could not undo it.
func RefTree(ctx context.Context, r Ref, dir string) (path string, release func(pristine bool) error, err error) {
	commit := r.Commit
	ref := commit[:min(len(commit), 12)] // in messages
	sub, err := filepath.Rel(r.top, r.root)
	if err != nil {
		return "", nil, fmt.Errorf("files of %s: %w", ref, err)
	}
	if err := dotdir.Prepare(dir); err != nil {
		return "", nil, fmt.Errorf("files of %s: %w", ref, err)
	}
	lock, err := lockRefTree(dir) // another gobake may be reading the tree
	if err != nil {
		return "", nil, fmt.Errorf("files of %s: %w", ref, err)
	}
	unlock := func() error { return lock.Close() } // closing releases the lock
	fail := func(err error) (string, func(bool) error, error) {
		unlock() // a mark left stays: the next run starts again
		return "", nil, fmt.Errorf("files of %s: %w", ref, err)
	}
	tree, index, mark, head := filepath.Join(dir, "tree"), filepath.Join(dir, "index"), filepath.Join(dir, "in-use"), filepath.Join(dir, "commit")
	if _, err := os.Stat(mark); err == nil || !errors.Is(err, fs.ErrNotExist) {
		// A run was killed while the tree was in use: what it wrote there
		// is unknown, so start again.
		if err := errors.Join(os.RemoveAll(tree), os.RemoveAll(index), os.RemoveAll(head)); err != nil {
			return fail(err)
		}
	}
	// The commit the tree holds, as the last checkout recorded it: the
	// mark is written before the record is removed, so a record is only
	// ever read while the tree is exactly its commit's.
	held, _ := os.ReadFile(head)
	if err := os.WriteFile(mark, nil, 0o644); err != nil {
		return fail(err)
	}
	if string(held) != commit+"\n" {
		if err := os.Remove(head); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return fail(err)
		}
		if err := os.MkdirAll(tree, 0o755); err != nil {
			return fail(err)
		}
		rt := gitexec.Runner{Dir: r.top, Env: []string{"GIT_INDEX_FILE=" + index, "GIT_WORK_TREE=" + tree}}
		if _, err := rt.Run(ctx, "read-tree", "--reset", "-u", commit); err != nil {
			return fail(err)
		}
		if err := os.WriteFile(head, []byte(commit+"\n"), 0o644); err != nil {
			return fail(err)
		}
	}
	release = func(pristine bool) error {
		if !pristine {
			return unlock() // the mark stays
		}
		err := os.Remove(mark)
		return errors.Join(err, unlock())
	}
	return filepath.Join(tree, sub), release, nil
}

// RefTreeHolds reports whether the cache directory dir of RefTree holds
// commit, as its last checkout recorded it (a hint: RefTree checks again,
// under its lock).
func RefTreeHolds(dir, commit string) bool {
	if _, err := os.Stat(filepath.Join(dir, "in-use")); !errors.Is(err, fs.ErrNotExist) {
		return false // in use, or left by a killed run: RefTree starts again
	}
	held, err := os.ReadFile(filepath.Join(dir, "commit"))
	return err == nil && string(held) == commit+"\n"
}

// RefTreesName is the directory, under gobake's cache directory, holding
// the cache directories of RefTree (one per work tree).
const RefTreesName = "since"

// lockAttempts bounds how often lockRefTree takes a lock again after the
// tree was removed while it waited.
const lockAttempts = 32

// lockRefTree creates dir and takes the lock of its tree. The tree may be
// removed (RemoveRefTree) between the opening of its lock file and the
// lock: a lock is only held once it is the lock of the file at its path,
// so that two runs never use one tree. Its modification time records the
// tree's last use (see PruneRefTrees).
func lockRefTree(dir string) (*os.File, error) {
	path := filepath.Join(dir, "lock")
	for attempt := 1; ; attempt++ {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o644)
		if errors.Is(err, fs.ErrNotExist) && attempt < lockAttempts {
			continue // removed between the two calls
		}
		if err != nil {
			return nil, err
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
			f.Close()
			return nil, fmt.Errorf("locking %s: %w", dir, err)
		}
		held, herr := f.Stat()
		named, nerr := os.Stat(path)
		if herr == nil && nerr == nil && os.SameFile(held, named) {
			now := time.Now()
			_ = os.Chtimes(path, now, now) // its last use; best effort
			return f, nil
		}
		f.Close() // the lock of a removed tree
		if attempt >= lockAttempts {
			return nil, fmt.Errorf("locking %s: the tree was removed %d times while waiting", dir, attempt)
		}
	}
}

// RemoveRefTree removes dir, a cache directory of RefTree, unless a run
// is using it (holds its lock): then it leaves it and returns false. The
// directory is first moved aside, in one rename: a removal killed half
// way leaves a directory PruneRefTrees removes, never a tree that holds
// part of its commit's files beside the record of that commit.
func RemoveRefTree(dir string) (removed bool, err error) {
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil // gone already
	}
	if err != nil {
		return false, fmt.Errorf("remove %s: %w", dir, err)
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return false, nil // in use
		}
		return false, fmt.Errorf("remove %s: locking: %w", dir, err)
	}
	// Runs waiting for the lock find its file gone, and start again.
	aside, err := os.MkdirTemp(filepath.Dir(dir), removingPrefix)
	if err != nil {
		return false, fmt.Errorf("remove %s: %w", dir, err)
	}
	if err := os.Rename(dir, filepath.Join(aside, "tree")); err != nil {
		return false, errors.Join(fmt.Errorf("remove %s: %w", dir, err), os.Remove(aside))
	}
	if err := os.RemoveAll(aside); err != nil {
		return true, fmt.Errorf("remove %s: %w", dir, err)
	}
	return true, nil
}

// removingPrefix starts the names of the directories RemoveRefTree moves
// trees into to remove them.
const removingPrefix = ".removing-"

// leftAfter is how old a directory a removal moved aside is when
// PruneRefTrees takes it for one left by a killed run.
const leftAfter = time.Hour

// PruneRefTrees removes the cache directories of RefTree under parent
// that no run is using and that were last used more than maxAge before
// now, or are not among the keep last used, so that the trees of work
// trees gone (a CI runner's per-job checkouts, old clones) do not pile
// up; and what killed removals left. It returns the directories removed.
func PruneRefTrees(parent string, keep int, maxAge time.Duration, now time.Time) ([]string, error) {
	entries, err := os.ReadDir(parent)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("prune %s: %w", parent, err)
	}
	type tree struct {
		dir     string
		lastUse time.Time
	}
	var (
		trees   []tree
		removed []string
		errs    []error
	)
	for _, e := range entries {
		if !e.IsDir() {
			continue
		}
		dir := filepath.Join(parent, e.Name())
		if strings.HasPrefix(e.Name(), removingPrefix) {
			if fi, err := e.Info(); err == nil && now.Sub(fi.ModTime()) > leftAfter {
				if err := os.RemoveAll(dir); err != nil {
					errs = append(errs, fmt.Errorf("prune %s: %w", dir, err))
				}
			}
			continue
		}
		fi, err := os.Stat(filepath.Join(dir, "lock"))
		if err != nil {
			fi, err = e.Info() // no lock yet: being created, or left empty
		}
		if err != nil {
			continue
		}
		trees = append(trees, tree{dir, fi.ModTime()})
	}
	slices.SortFunc(trees, func(a, b tree) int { return b.lastUse.Compare(a.lastUse) }) // last used first
	for i, t := range trees {
		if i < keep && now.Sub(t.lastUse) <= maxAge {
			continue
		}
		ok, err := RemoveRefTree(t.dir)
		if err != nil {
			errs = append(errs, err)
		}
		if ok {
			removed = append(removed, t.dir)
		}
	}
	slices.Sort(removed)
	return removed, errors.Join(errs...)
}
