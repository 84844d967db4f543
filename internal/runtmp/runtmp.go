// Package runtmp gives each gobake run a temporary directory of its own
// under one parent, and removes the directories of runs that ended
// without cleaning up (killed with SIGKILL, crashed, machine reset).
//
// Each run holds an exclusive flock on a lock file beside its directory
// for as long as it lives; the kernel drops the lock when the process
// dies, however it dies. Open removes every directory whose lock it can
// take: its run is gone.
package runtmp

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// Dir is the temporary directory of one run.
type Dir struct {
	path string
	lock *os.File
}

// Path returns the directory.
func (d *Dir) Path() string { return d.path }

// Open removes the directories of dead runs under parent and makes one for
// this run, creating parent when missing.
func Open(parent string) (*Dir, error) {
	if err := os.MkdirAll(parent, 0o700); err != nil {
		return nil, fmt.Errorf("run directory: %w", err)
	}
	Sweep(parent)
	for try := 0; ; try++ {
		lock, err := os.CreateTemp(parent, "run-*.lock")
		if err != nil {
			return nil, fmt.Errorf("run directory: %w", err)
		}
		if err := lockFile(lock); err != nil {
			// A concurrent Sweep holds it for a moment; it removes it.
			lock.Close()
			if try < 10 {
				continue
			}
			return nil, fmt.Errorf("run directory: %w", err)
		}
		// A concurrent Sweep may have taken the lock file between its
		// creation and our lock, and removed it: start again then.
		if st, err := os.Stat(lock.Name()); err != nil || !sameFile(lock, st) {
			lock.Close()
			continue
		}
		path := strings.TrimSuffix(lock.Name(), ".lock")
		if err := os.Mkdir(path, 0o700); err != nil {
			os.Remove(lock.Name())
			lock.Close()
			return nil, fmt.Errorf("run directory: %w", err)
		}
		return &Dir{path: path, lock: lock}, nil
	}
}

// Close removes the directory and releases the lock.
func (d *Dir) Close() error {
	err := os.RemoveAll(d.path)
	os.Remove(d.lock.Name())
	d.lock.Close()
	return err
}

// Sweep removes the directories of dead runs under parent: those whose
// lock file nobody holds. Errors are ignored: sweeping only saves space.
// A directory that cannot be removed yet (a process the dead run started
// may still be writing into it) keeps its lock file, so that a later
// Sweep tries again.
func Sweep(parent string) { sweep(parent, removeSettled) }

// sweep is Sweep with the function that removes a dead run's directory.
func sweep(parent string, remove func(dir string) error) {
	locks, _ := filepath.Glob(filepath.Join(parent, "run-*.lock"))
	for _, l := range locks {
		f, err := os.Open(l)
		if err != nil {
			continue
		}
		if tryLock(f) && remove(strings.TrimSuffix(l, ".lock")) == nil {
			os.Remove(l)
		}
		f.Close()
	}
}

// removeSettled removes dir, trying again a few times when a process
// that outlived its run is still adding files to it.
func removeSettled(dir string) error {
	var err error
	for try := 0; try < 5; try++ {
		if err = os.RemoveAll(dir); err == nil {
			return nil
		}
		time.Sleep(20 * time.Millisecond << try)
	}
	return err
}

// sameFile reports whether the open file f is the file st describes.
func sameFile(f *os.File, st fs.FileInfo) bool {
	fst, err := f.Stat()
	return err == nil && os.SameFile(fst, st)
}
