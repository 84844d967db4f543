package graph

import (
	"context"
	"runtime"
	"sync"

	"golang.org/x/sync/errgroup"
)

// RunHashes is a HashCache as one run sees it: each file is looked at
// once, whoever asks first (the stored graph's check or the inputs), and
// the answer is kept for the rest of the run. The Computes of one run
// may share it (Options.Run): the plan of the working tree and the
// records of a ref computed beside it with its graph (Options.Ref) look
// at each working tree file once between them.
type RunHashes struct {
	c  *HashCache
	mu sync.Mutex
	m  map[string]hashResult
}

type hashResult struct {
	hash string
	err  error
}

// NewRunHashes returns the hashes of a run that starts now, from c.
func NewRunHashes(c *HashCache) *RunHashes {
	return &RunHashes{c: c, m: make(map[string]hashResult)}
}

// Cache returns the HashCache r reads and adds to (to save it).
func (r *RunHashes) Cache() *HashCache { return r.c }

// Hash returns the hex SHA-256 of the file at path.
func (r *RunHashes) Hash(path string) (string, error) {
	r.mu.Lock()
	res, ok := r.m[path]
	r.mu.Unlock()
	if ok {
		return res.hash, res.err
	}
	h, err := r.c.Hash(path)
	r.mu.Lock()
	r.m[path] = hashResult{h, err}
	r.mu.Unlock()
	return h, err
}

// HashAll hashes paths in parallel and returns their hashes by path.
func (r *RunHashes) HashAll(ctx context.Context, paths []string) (map[string]string, error) {
	return hashAll(ctx, paths, r.Hash)
}

// hashAll hashes paths with hash, in parallel, and returns their hashes by
// path: the one loop of HashCache.HashAll and RunHashes.HashAll.
func hashAll(ctx context.Context, paths []string, hash func(path string) (string, error)) (map[string]string, error) {
	out := make(map[string]string, len(paths))
	var mu sync.Mutex
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(2 * runtime.GOMAXPROCS(0))
	const chunk = 256 // files per goroutine: a stat is quicker than starting one
	for i := 0; i < len(paths); i += chunk {
		part := paths[i:min(i+chunk, len(paths))]
		g.Go(func() error {
			for _, p := range part {
				if err := ctx.Err(); err != nil {
					return err
				}
				h, err := hash(p)
				if err != nil {
					return err
				}
				mu.Lock()
				out[p] = h
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return out, nil
}
