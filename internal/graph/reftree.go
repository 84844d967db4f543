package graph

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/gobake/gobake/internal/dotdir"
	"github.com/gobake/gobake/internal/gitexec"
)

// RefTree makes dir (a cache directory of its own, outside the
// repository) hold the files of ref, and returns the directory in
// it that corresponds to repo (which may be below the top of the work
// tree), and the commit ref names. The files are kept between runs with an
// index of their own, so that moving to another ref rewrites only the
// files that differ (git read-tree -u): the packages, hashes and graphs of
// the files that did not change are found in the caches. When the tree
// already holds that commit (its id is recorded after every checkout),
// nothing is checked out. The tree is locked until release is called;
// call it even when the caller fails. A run that did not release (killed)
// leaves a mark, and the next one starts from an empty tree; so does the
// one after a release(false), which says the caller changed the tree and
// could not undo it.
func RefTree(ctx context.Context, repo, ref, dir string) (path, commit string, release func(pristine bool) error, err error) {
	g := gitexec.Runner{Dir: repo}
	// One git for the three: the top of the work tree, repo's place in it,
	// and the commit.
	out, err := g.RunIn(ctx, nil, "rev-parse", "--show-toplevel", "--show-prefix", "--verify", "--end-of-options", ref+"^{commit}")
	if err != nil {
		return "", "", nil, fmt.Errorf("resolving %s: %w", ref, err)
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 3 || lines[0] == "" || lines[2] == "" {
		return "", "", nil, fmt.Errorf("resolving %s: git rev-parse printed %q", ref, out)
	}
	top, sub, commit := lines[0], lines[1], lines[2]
	if err := dotdir.Prepare(dir); err != nil {
		return "", "", nil, fmt.Errorf("files of %s: %w", ref, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", nil, fmt.Errorf("files of %s: %w", ref, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", "", nil, fmt.Errorf("files of %s: %w", ref, err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil { // another gobake may be reading the tree
		lock.Close()
		return "", "", nil, fmt.Errorf("files of %s: locking %s: %w", ref, dir, err)
	}
	unlock := func() error { return lock.Close() } // closing releases the lock
	fail := func(err error) (string, string, func(bool) error, error) {
		unlock() // a mark left stays: the next run starts again
		return "", "", nil, fmt.Errorf("files of %s: %w", ref, err)
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
		rt := gitexec.Runner{Dir: top, Env: []string{"GIT_INDEX_FILE=" + index, "GIT_WORK_TREE=" + tree}}
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
	return filepath.Join(tree, filepath.FromSlash(sub)), commit, release, nil
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
