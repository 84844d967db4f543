package planner

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/graph"
	"github.com/gobake/gobake/internal/layering"
)

// Since computes the records of the selected images as they were at the
// git ref, from a temporary worktree. Images that did not exist then have
// no record; neither has any image when gobake.yaml did not exist.
func Since(ctx context.Context, cfg *config.Config, ref string, opts Options, registry ...layering.RegistryOption) (recs map[string]*graph.Record, err error) {
	dir, cleanup, err := graph.Worktree(ctx, cfg.Root, ref)
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := cleanup(); err == nil && cerr != nil {
			err = cerr
		}
	}()
	relPath, err := filepath.Rel(cfg.Root, cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("inputs at %s: %w", ref, err)
	}
	path := filepath.Join(dir, relPath)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return map[string]*graph.Record{}, nil
	}
	old, err := config.Load(path)
	if err != nil {
		return nil, fmt.Errorf("gobake.yaml at %s: %w", ref, err)
	}
	var present []string
	for _, img := range old.Images {
		if len(opts.Images) == 0 || slices.Contains(opts.Images, img.Name) {
			present = append(present, img.Name)
		}
	}
	if len(present) == 0 {
		return map[string]*graph.Record{}, nil
	}
	bases := layering.NewBases(ctx, old.Root, registry...)
	p, err := plan(ctx, old, bases, Options{Images: present, Platforms: opts.Platforms}, nil, "")
	if err != nil {
		return nil, fmt.Errorf("inputs at %s: %w", ref, err)
	}
	return p.Snapshot.Records, nil
}
