//go:build unix

package layering

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"time"
)

// layoutLockPoll is how often a writer waiting for the layout lock tries
// again.
const layoutLockPoll = 10 * time.Millisecond

// lockLayout takes an exclusive lock on the layout directory dir, shared
// by every process that writes it, and returns the function that releases
// it. The lock is flock(2) on the directory itself (no lock file in the
// layout); the kernel drops it when the process dies, so a killed run
// never leaves the layout locked. It gives up when ctx is done.
func lockLayout(ctx context.Context, dir string) (unlock func(), err error) {
	return flockDir(ctx, dir, syscall.LOCK_EX)
}

// lockBlobs locks the blobs directory of the layout at dir: shared by
// every Publish from its first blob to its index.json update, exclusive
// by PruneLayout, so that pruning never deletes a blob a publisher wrote
// or found present but has not referenced yet. It is taken before
// lockLayout, never after, so that the two never deadlock.
func lockBlobs(ctx context.Context, dir string, exclusive bool) (unlock func(), err error) {
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	return flockDir(ctx, filepath.Join(dir, "blobs"), how)
}

// flockDir takes the flock how (LOCK_EX or LOCK_SH) on directory dir,
// made when missing, polling until ctx is done.
func flockDir(ctx context.Context, dir string, how int) (unlock func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, err
	}
	for {
		err := syscall.Flock(int(f.Fd()), how|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing the descriptor releases the lock
		}
		if err != syscall.EWOULDBLOCK && err != syscall.EINTR {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
		if err := sleepCtx(ctx, layoutLockPoll); err != nil {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", dir, err)
		}
	}
}

// sleepCtx waits for d, or fails when ctx is done first.
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
