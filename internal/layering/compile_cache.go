package layering

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/evict"
	"github.com/gobake/gobake/internal/platform"
)

// DefaultOutputCacheSize bounds the binaries of the output cache when
// neither WithOutputCacheSize nor $GOBAKE_BIN_CACHE_MB says otherwise.
const DefaultOutputCacheSize = 2 << 30

// OutputCacheSizeEnv bounds the default output cache, in MiB.
const OutputCacheSizeEnv = "GOBAKE_BIN_CACHE_MB"

// outputCacheSize is the bound $GOBAKE_BIN_CACHE_MB sets in environ, 0
// when unset.
func outputCacheSize(environ []string) (int64, error) {
	v := config.EnvMap(environ)[OutputCacheSizeEnv]
	if v == "" {
		return 0, nil
	}
	mb, err := strconv.ParseInt(v, 10, 64)
	if err != nil || mb < 1 || mb > 1<<40 {
		return 0, fmt.Errorf("$%s=%q is not a positive number of MiB", OutputCacheSizeEnv, v)
	}
	return mb << 20, nil
}

// Unused entries of the output cache are removed after these ages.
const (
	slotMaxAge    = 7 * 24 * time.Hour // binaries not built or reused for a week
	workDirMaxAge = 24 * time.Hour     // directories left by interrupted runs
)

// workDir makes the directory one go command writes to: in the output
// cache, so that binaries move in and out of it by link and rename.
func (c *GoCompiler) workDir() (string, error) {
	if c.cacheDir == "" {
		return os.MkdirTemp("", "gobake-go-")
	}
	if err := os.MkdirAll(c.cacheDir, 0o755); err == nil {
		if dir, err := os.MkdirTemp(c.cacheDir, "tmp-"); err == nil {
			return dir, nil
		}
	}
	return os.MkdirTemp("", "gobake-go-")
}

// slot is where the output cache keeps the binary name of req: one place
// per directory, main package, platform and Go build cache, so that runs
// with other settings overwrite it rather than pile up, and emptying or
// switching GOCACHE also relinks.
func (c *GoCompiler) slot(req CompileRequest, name string) string {
	dir, err := filepath.Abs(req.Dir)
	if err != nil {
		dir = req.Dir
	}
	gocache := ""
	for _, kv := range append(append([]string(nil), c.environ...), req.Env...) {
		if v, ok := strings.CutPrefix(kv, "GOCACHE="); ok {
			gocache = v
		}
	}
	h := sha256.Sum256([]byte(strings.Join([]string{c.goBin, dir, req.Main, platform.Format(req.Platform), gocache}, "\x00")))
	return filepath.Join(c.cacheDir, "bin", hex.EncodeToString(h[:16]), name)
}

// keep stores built in slot by an atomic rename, so that concurrent runs
// see a whole binary or none. Failures only cost a link next time.
func (c *GoCompiler) keep(built, slot string) {
	if err := os.MkdirAll(filepath.Dir(slot), 0o755); err != nil {
		return
	}
	_ = os.Rename(built, slot)
}

// prune removes cached binaries unused for slotMaxAge and work
// directories older than workDirMaxAge (go refreshes the modification time
// of an up-to-date binary, so it tells the last use), then the least
// recently used binaries until the rest fit in c.cacheMax. Errors are
// ignored: pruning only saves space.
func (c *GoCompiler) prune(now time.Time) {
	if c.cacheDir == "" {
		return
	}
	if entries, err := os.ReadDir(c.cacheDir); err == nil {
		for _, e := range entries {
			if info, err := e.Info(); err == nil && strings.HasPrefix(e.Name(), "tmp-") && now.Sub(info.ModTime()) > workDirMaxAge {
				_ = os.RemoveAll(filepath.Join(c.cacheDir, e.Name()))
			}
		}
	}
	bin := filepath.Join(c.cacheDir, "bin")
	slots, err := os.ReadDir(bin)
	if err != nil {
		return
	}
	var kept []evict.Entry
	for _, s := range slots {
		dir := filepath.Join(bin, s.Name())
		files, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		e := evict.Entry{Name: dir}
		var seen []os.FileInfo // links to one binary count once
		for _, f := range files {
			info, err := f.Info()
			if err != nil || slices.ContainsFunc(seen, func(s os.FileInfo) bool { return os.SameFile(s, info) }) {
				continue
			}
			seen = append(seen, info)
			e.Size += info.Size()
			if info.ModTime().After(e.Used) {
				e.Used = info.ModTime()
			}
		}
		if now.Sub(e.Used) > slotMaxAge {
			_ = os.RemoveAll(dir)
			continue
		}
		kept = append(kept, e)
	}
	for _, e := range evict.LRU(kept, c.cacheMax) {
		_ = os.RemoveAll(e.Name)
	}
}
