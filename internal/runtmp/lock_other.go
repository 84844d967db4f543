//go:build !unix

package runtmp

import "os"

// lockFile does nothing where flock(2) is missing.
func lockFile(f *os.File) error { return nil }

// tryLock never succeeds where flock(2) is missing: no run directory is
// known dead, so none is swept.
func tryLock(f *os.File) bool { return false }
