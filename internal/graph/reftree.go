package graph

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"

	"github.com/gobake/gobake/internal/dotdir"
	"github.com/gobake/gobake/internal/gitexec"
)

// RefTree makes dir (a cache directory of its own, outside the
// repository) hold the files of ref, and returns the directory in
// it that corresponds to repo (which may be below the top of the work
// tree). The files are kept between runs with an index of their own, so
// that moving to another ref rewrites only the files that differ (git
// read-tree -u): the packages, hashes and graphs of the files that did not
// change are found in the caches. The tree is locked until release is
// called; call it even when the caller fails. A run that did not release
// (killed) leaves a mark, and the next one starts from an empty tree.
func RefTree(ctx context.Context, repo, ref, dir string) (path string, release func() error, err error) {
	g := gitexec.Runner{Dir: repo}
	top, err := g.Run(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", nil, err
	}
	sub, err := g.Run(ctx, "rev-parse", "--show-prefix")
	if err != nil {
		return "", nil, err
	}
	commit, err := g.Run(ctx, "rev-parse", "--verify", "--end-of-options", ref+"^{commit}")
	if err != nil {
		return "", nil, fmt.Errorf("resolving %s: %w", ref, err)
	}
	if err := dotdir.Prepare(dir); err != nil {
		return "", nil, fmt.Errorf("files of %s: %w", ref, err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, fmt.Errorf("files of %s: %w", ref, err)
	}
	lock, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return "", nil, fmt.Errorf("files of %s: %w", ref, err)
	}
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil { // another gobake may be reading the tree
		lock.Close()
		return "", nil, fmt.Errorf("files of %s: locking %s: %w", ref, dir, err)
	}
	unlock := func() error { return lock.Close() } // closing releases the lock
	tree, index, mark := filepath.Join(dir, "tree"), filepath.Join(dir, "index"), filepath.Join(dir, "in-use")
	if _, err := os.Stat(mark); err == nil || !errors.Is(err, fs.ErrNotExist) {
		// A run was killed while the tree was in use: what it wrote there
		// is unknown, so start again.
		if err := errors.Join(os.RemoveAll(tree), os.RemoveAll(index)); err != nil {
			unlock()
			return "", nil, fmt.Errorf("files of %s: %w", ref, err)
		}
	}
	if err := os.WriteFile(mark, nil, 0o644); err != nil {
		unlock()
		return "", nil, fmt.Errorf("files of %s: %w", ref, err)
	}
	if err := os.MkdirAll(tree, 0o755); err != nil {
		unlock()
		return "", nil, fmt.Errorf("files of %s: %w", ref, err)
	}
	rt := gitexec.Runner{Dir: top, Env: []string{"GIT_INDEX_FILE=" + index, "GIT_WORK_TREE=" + tree}}
	if _, err := rt.Run(ctx, "read-tree", "--reset", "-u", commit); err != nil {
		unlock() // the mark stays: the next run starts again
		return "", nil, fmt.Errorf("files of %s: %w", ref, err)
	}
	release = func() error {
		err := os.Remove(mark)
		return errors.Join(err, unlock())
	}
	return filepath.Join(tree, filepath.FromSlash(sub)), release, nil
}
