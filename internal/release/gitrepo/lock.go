package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Option configures Open.
type Option func(*Repo)

// WithManagedTags says which tags are gobake's own (IMAGE/vX.Y.Z under
// the configured tag template): only gobake writes them, so a lock file
// of one found while gobake holds its lock on the repository is a dead
// gobake's, and is removed.
func WithManagedTags(managed func(tag string) bool) Option {
	return func(r *Repo) { r.managed = managed }
}

// lockName is the file in the git directory gobake holds an exclusive
// flock on while it writes local refs.
const lockName = "gobake.lock"

// unshallowMark is written into the lock file while a fetch completes the
// history of a shallow clone, and cleared afterwards: found set by the
// next holder, it says that the fetch died, so git's shallow.lock is its.
const unshallowMark = "unshallow\n"

// refLock is gobake's hold on the local refs of a repository.
type refLock struct {
	f *os.File
}

// lockRefs waits for gobake's lock on the repository's refs (an flock on
// lockName in the common git directory, which the kernel drops when its
// holder dies, however it dies) and then removes what a gobake killed
// while writing refs left: the lock files of managed tags, and
// shallow.lock when the lock file says a fetch of the whole history was
// in progress. Git leaves such a file behind when it is killed (kill -9,
// a cancelled CI job) and refuses to write the ref again while it exists:
// without this, every later release in the clone would fail with
// "cannot lock ref".
func (r *Repo) lockRefs(ctx context.Context) (*refLock, error) {
	common, err := r.commonDir(ctx)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(common, lockName), os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("lock the refs of %s: %w", r.Dir, err)
	}
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 200*time.Millisecond) {
		ok, err := tryLock(f)
		if err != nil {
			f.Close()
			return nil, fmt.Errorf("lock the refs of %s: %w", r.Dir, err)
		}
		if ok {
			break
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("lock the refs of %s: %w", r.Dir, ctx.Err())
		case <-time.After(wait):
		}
	}
	l := &refLock{f: f}
	if !haveFlock {
		return l, nil
	}
	if err := r.sweep(common, f); err != nil {
		l.unlock()
		return nil, fmt.Errorf("lock the refs of %s: %w", r.Dir, err)
	}
	return l, nil
}

// sweep removes the leftovers of a dead gobake (see lockRefs); f is the
// held lock file.
func (r *Repo) sweep(common string, f *os.File) error {
	mark := make([]byte, len(unshallowMark))
	if n, _ := f.ReadAt(mark, 0); n == len(mark) && string(mark) == unshallowMark {
		if err := os.Remove(filepath.Join(common, "shallow.lock")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if err := f.Truncate(0); err != nil {
			return err
		}
	}
	if r.managed == nil {
		return nil
	}
	tags := filepath.Join(common, "refs", "tags")
	err := filepath.WalkDir(tags, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".lock") {
			return nil
		}
		rel, err := filepath.Rel(tags, path)
		if err != nil {
			return err
		}
		if !r.managed(strings.TrimSuffix(filepath.ToSlash(rel), ".lock")) {
			return nil // another tag's: maybe a live git's
		}
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		return nil
	})
	return err
}

// mark writes s into the lock file: what the holder is doing, for the
// next holder to clean up after when this one dies ("" when done).
func (l *refLock) mark(s string) error {
	if err := l.f.Truncate(0); err != nil {
		return err
	}
	_, err := l.f.WriteAt([]byte(s), 0)
	return err
}

// unlock releases the lock.
func (l *refLock) unlock() { l.f.Close() }

// commonDir returns the absolute git directory shared by every work tree
// of the repository (where refs/tags lives).
func (r *Repo) commonDir(ctx context.Context) (string, error) {
	r.commonMu.Lock()
	defer r.commonMu.Unlock()
	if r.common != "" {
		return r.common, nil
	}
	out, err := r.git(ctx, "rev-parse", "--git-common-dir")
	if err != nil {
		return "", fmt.Errorf("find the git directory of %s: %w", r.Dir, err)
	}
	dir := strings.TrimSpace(out)
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(r.Dir, dir)
	}
	r.common = dir
	return dir, nil
}
