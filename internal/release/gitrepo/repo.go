// Package gitrepo runs the git CLI for gobake's release: the log with the
// files each commit changed, tags, creating and pushing tags, and reads of
// files at a revision that need no work tree.
package gitrepo

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"

	"github.com/gobake/gobake/internal/gitexec"
)

// Repo is a directory inside a git work tree: gobake's repository root,
// which may be below the top of the work tree. Paths given to and returned
// by its methods are slash-separated and relative to Dir.
type Repo struct {
	Dir string // absolute directory git runs in
	Top string // absolute top of the work tree

	cache   tagCache
	managed func(tag string) bool // gobake's own tags (WithManagedTags)

	commonMu sync.Mutex
	common   string // the common git directory, absolute, once found
}

// tagCache holds what the tags of a Repo were when last listed, so that a
// release, which asks about them many times, runs git once per question
// between two changes. Every method that changes the local tags (a fetch,
// a claim, a new tag) empties it; tags that another process creates
// locally meanwhile are seen after the next such change (a release
// fetches the tags of the source remote before each decision that
// counts).
type tagCache struct {
	mu    sync.Mutex
	lists map[string][]Tag  // by for-each-ref filter
	msgs  map[string]string // message by tag name: every tag's, read at once
	logs  map[string][]Commit
	revs  map[string]string // full hash by revision, for full hashes only
}

// forget empties the cache: the tags changed.
func (c *tagCache) forget() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.lists, c.msgs, c.logs, c.revs = nil, nil, nil, nil
}

// Open returns the Repo of dir, failing when dir is not inside a git work
// tree.
func Open(ctx context.Context, dir string, opts ...Option) (*Repo, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open git repository %s: %w", dir, err)
	}
	r := &Repo{Dir: abs}
	for _, o := range opts {
		o(r)
	}
	top, err := r.git(ctx, "rev-parse", "--show-toplevel")
	if err != nil {
		return nil, fmt.Errorf("open git repository %s: %w", dir, err)
	}
	r.Top = strings.TrimSpace(top)
	return r, nil
}

// git runs git in r.Dir and returns its standard output.
func (r *Repo) git(ctx context.Context, args ...string) (string, error) {
	return r.gitIn(ctx, nil, args...)
}

// gitIn runs git in r.Dir with stdin and returns its standard output; the
// error holds git's standard error, credentials redacted.
func (r *Repo) gitIn(ctx context.Context, stdin []byte, args ...string) (string, error) {
	var in io.Reader
	if stdin != nil {
		in = bytes.NewReader(stdin)
	}
	return gitexec.Runner{Dir: r.Dir}.RunIn(ctx, in, args...)
}

// RevParse resolves rev to the full hash of the commit it names. A full
// hash, which always names the same commit, is resolved once.
func (r *Repo) RevParse(ctx context.Context, rev string) (string, error) {
	fixed := isFullHash(rev)
	if fixed {
		r.cache.mu.Lock()
		h, ok := r.cache.revs[rev]
		r.cache.mu.Unlock()
		if ok {
			return h, nil
		}
	}
	out, err := r.git(ctx, "rev-parse", "--verify", "--quiet", "--end-of-options", rev+"^{commit}")
	if err != nil {
		return "", fmt.Errorf("resolve %s: %w", rev, err)
	}
	h := strings.TrimSpace(out)
	if fixed {
		r.cache.mu.Lock()
		if r.cache.revs == nil {
			r.cache.revs = map[string]string{}
		}
		r.cache.revs[rev] = h
		r.cache.mu.Unlock()
	}
	return h, nil
}

// isFullHash reports whether rev is a full object name (SHA-1 or
// SHA-256), which names the same object whatever the refs.
func isFullHash(rev string) bool {
	if len(rev) != 40 && len(rev) != 64 {
		return false
	}
	for _, c := range rev {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// IsAncestor reports whether commit a is an ancestor of (or equal to) b.
func (r *Repo) IsAncestor(ctx context.Context, a, b string) (bool, error) {
	_, err := r.git(ctx, "merge-base", "--is-ancestor", a, b)
	switch {
	case err == nil:
		return true, nil
	case gitexec.ExitCode(err) == 1:
		return false, nil
	}
	return false, fmt.Errorf("is %s an ancestor of %s: %w", a, b, err)
}
