package layering

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/gobake/gobake/internal/graph"
)

// CacheDir is gobake's cache directory under environ ($GOBAKE_CACHE, else
// gobake under the user cache directory): the binaries the go command
// links, kept between runs, and the other caches of layering. It is ""
// when GOBAKE_CACHE=off or no user cache directory is known.
func CacheDir(environ []string) string { return outputCacheDir(environ) }

// CleanCache empties the cache directory dir and returns the bytes it
// freed. The work directories of runs that may still be going (tmp-*
// younger than a day) and the trees of plan --since in use are left
// alone, so that cleaning never breaks a run; a missing dir is already
// clean.
func CleanCache(dir string, now time.Time) (freed int64, err error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("clean cache %s: %w", dir, err)
	}
	for _, e := range entries {
		p := filepath.Join(dir, e.Name())
		if info, err := e.Info(); err == nil && strings.HasPrefix(e.Name(), "tmp-") && now.Sub(info.ModTime()) <= workDirMaxAge {
			continue
		}
		if e.IsDir() && e.Name() == graph.RefTreesName {
			// Trees of plan --since: those in use stay.
			before := diskSize(p)
			_, err := graph.PruneRefTrees(p, 0, 0, now)
			_ = os.Remove(p) // when none is left
			freed += before - diskSize(p)
			if err != nil {
				return freed, fmt.Errorf("clean cache %s: %w", dir, err)
			}
			continue
		}
		size := diskSize(p)
		if err := os.RemoveAll(p); err != nil {
			return freed, fmt.Errorf("clean cache %s: %w", dir, err)
		}
		freed += size
	}
	return freed, nil
}

// diskSize is the total size of the regular files under p.
func diskSize(p string) int64 {
	var n int64
	_ = filepath.WalkDir(p, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
