package graph

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Worktree checks ref out into a temporary directory with `git worktree
// add --detach` and returns the directory that corresponds to dir (which
// may be below the top of the work tree) in the checkout. cleanup removes
// the worktree; call it even when the caller fails.
func Worktree(ctx context.Context, dir, ref string) (path string, cleanup func() error, err error) {
	top, err := git(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", nil, err
	}
	sub, err := git(ctx, dir, "rev-parse", "--show-prefix")
	if err != nil {
		return "", nil, err
	}
	commit, err := git(ctx, dir, "rev-parse", "--verify", ref+"^{commit}")
	if err != nil {
		return "", nil, fmt.Errorf("resolving %s: %w", ref, err)
	}
	tmp, err := os.MkdirTemp("", "gobake-since-")
	if err != nil {
		return "", nil, fmt.Errorf("worktree for %s: %w", ref, err)
	}
	wt := filepath.Join(tmp, "tree")
	if _, err := git(ctx, top, "worktree", "add", "--detach", "--quiet", wt, commit); err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("worktree for %s: %w", ref, err)
	}
	cleanup = func() error {
		_, err := git(context.WithoutCancel(ctx), top, "worktree", "remove", "--force", wt)
		if rmErr := os.RemoveAll(tmp); err == nil {
			err = rmErr
		}
		return err
	}
	return filepath.Join(wt, filepath.FromSlash(sub)), cleanup, nil
}

// git runs git in dir and returns its trimmed standard output.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(stderr.Bytes()))
	}
	return strings.TrimSpace(string(out)), nil
}
