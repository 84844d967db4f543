//go:build !unix

package gitrepo

import "os"

// haveFlock is false where flock(2) is missing: the lock is not held, so
// no leftover is ever known to be a dead gobake's and none is removed.
const haveFlock = false

// tryLock pretends to lock f.
func tryLock(f *os.File) (bool, error) { return true, nil }
