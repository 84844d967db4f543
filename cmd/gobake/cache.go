package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/gobake/gobake/internal/layering"
)

// cacheCmd groups the commands on gobake's caches.
type cacheCmd struct {
	Clean cacheCleanCmd `cmd:"" help:"Empty gobake's caches: the binary and layer caches ($GOBAKE_CACHE) and the repository's .gobake/cache."`
}

// Help shows examples of gobake cache.
func (*cacheCmd) Help() string {
	return helpText("cache", ""+
		"    gobake cache clean\n\n"+
		"    # the binary cache is bounded anyway: 2 GiB by default, least recently used first out\n"+
		"    GOBAKE_BIN_CACHE_MB=512 gobake build\n")
}

type cacheCleanCmd struct{}

// Help shows examples of gobake cache clean.
func (*cacheCleanCmd) Help() string {
	return helpText("cache", ""+
		"    gobake cache clean\n\n"+
		"    # another cache directory\n"+
		"    GOBAKE_CACHE=/var/cache/gobake gobake cache clean\n")
}

func (cacheCleanCmd) Run(g *globals) error {
	now := time.Now()
	var dirs []string
	if dir := layering.CacheDir(os.Environ()); dir != "" {
		dirs = append(dirs, dir)
	}
	// The repository's outputs cache, when gobake.yaml is there.
	if _, err := os.Stat(g.config); err == nil {
		dirs = append(dirs, filepath.Join(filepath.Dir(g.config), ".gobake", "cache"))
	} else if !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("cache clean: %w", err)
	}
	for _, dir := range dirs {
		freed, err := layering.CleanCache(dir, now)
		if err != nil {
			return err
		}
		fmt.Fprintf(g.stderr, "%s: removed %s\n", dir, humanBytes(freed))
	}
	return nil
}
