package gitinfo

import (
	"context"
	"fmt"

	"github.com/gobake/gobake/internal/gitexec"
)

// Read collects the facts about the commit checked out in dir with the git
// command-line tool. Outside a git work tree, without any commit yet, or
// when git is not installed, it returns an empty Info and a nil error.
func Read(ctx context.Context, dir string) (Info, error) {
	inside, err := git(ctx, dir, "rev-parse", "--is-inside-work-tree")
	if err != nil || inside != "true" {
		if err == nil || gitexec.ExitCode(err) >= 0 || gitexec.Missing(err) {
			return Info{}, nil // not a work tree, or no git to tell
		}
		return Info{}, fmt.Errorf("read git info in %s: %w", dir, err)
	}
	commit, err := git(ctx, dir, "rev-parse", "--verify", "--quiet", "HEAD")
	if err != nil {
		return Info{}, nil // a work tree without commits
	}
	var info Info
	info.Commit = commit
	if info.ShortCommit, err = git(ctx, dir, "rev-parse", "--short", "HEAD"); err != nil {
		return Info{}, fmt.Errorf("read git info in %s: %w", dir, err)
	}
	// symbolic-ref fails on a detached HEAD: Branch stays empty.
	if branch, err := git(ctx, dir, "symbolic-ref", "--quiet", "--short", "HEAD"); err == nil {
		info.Branch = branch
	}
	// describe fails when no tag points at HEAD: Tag stays empty.
	if tag, err := git(ctx, dir, "describe", "--tags", "--exact-match", "HEAD"); err == nil {
		info.Tag = tag
	}
	// Without optional locks, status never refreshes (writes) the index:
	// a gobake killed meanwhile would leave index.lock behind, and the
	// next git commit in the clone would fail.
	status, err := git(ctx, dir, "--no-optional-locks", "status", "--porcelain", "--untracked-files=normal")
	if err != nil {
		return Info{}, fmt.Errorf("read git info in %s: %w", dir, err)
	}
	info.TreeState = "clean"
	if status != "" {
		info.TreeState = "dirty"
	}
	if info.CommitTimestamp, err = git(ctx, dir, "log", "-1", "--format=%ct", "HEAD"); err != nil {
		return Info{}, fmt.Errorf("read git info in %s: %w", dir, err)
	}
	return info, nil
}

// git runs one git command in dir and returns its trimmed standard output.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	return gitexec.Runner{Dir: dir}.Run(ctx, append([]string{"-c", "core.quotePath=false"}, args...)...)
}
