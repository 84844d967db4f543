//go:build unix

package gitrepo

import (
	"errors"
	"os"
	"syscall"
)

// haveFlock says that the lock of lockRefs is a real flock.
const haveFlock = true

// tryLock takes an exclusive flock on f, held until f is closed, and
// reports whether it could: false when another process holds it.
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, syscall.EWOULDBLOCK):
		return false, nil
	}
	return false, err
}
