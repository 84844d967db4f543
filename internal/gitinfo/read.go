package gitinfo

import (
	"context"
	"fmt"
	"sync"

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
	// The other facts are independent: asked at once, they cost the time
	// of the slowest (git status) instead of the sum.
	var (
		commit, short, branch, tag, status, timestamp                   string
		commitErr, shortErr, branchErr, tagErr, statusErr, timestampErr error
		wg                                                              sync.WaitGroup
	)
	ask := func(out *string, err *error, args ...string) {
		wg.Go(func() { *out, *err = git(ctx, dir, args...) })
	}
	ask(&commit, &commitErr, "rev-parse", "--verify", "--quiet", "HEAD")
	ask(&short, &shortErr, "rev-parse", "--short", "HEAD")
	ask(&branch, &branchErr, "symbolic-ref", "--quiet", "--short", "HEAD") // fails on a detached HEAD
	ask(&tag, &tagErr, "describe", "--tags", "--exact-match", "HEAD")      // fails when no tag points at HEAD
	ask(&status, &statusErr, "--no-optional-locks", "status", "--porcelain", "--untracked-files=normal")
	ask(&timestamp, &timestampErr, "log", "-1", "--format=%ct", "HEAD")
	wg.Wait()
	if commitErr != nil {
		return Info{}, nil // a work tree without commits
	}
	for _, err := range []error{shortErr, statusErr, timestampErr} {
		if err != nil {
			return Info{}, fmt.Errorf("read git info in %s: %w", dir, err)
		}
	}
	info := Info{Commit: commit, ShortCommit: short, TreeState: "clean", CommitTimestamp: timestamp}
	if branchErr == nil {
		info.Branch = branch
	}
	if tagErr == nil {
		info.Tag = tag
	}
	if status != "" {
		info.TreeState = "dirty"
	}
	return info, nil
}

func git(ctx context.Context, dir string, args ...string) (string, error) {
	return gitexec.Runner{Dir: dir}.Run(ctx, append([]string{"-c", "core.quotePath=false"}, args...)...)
}
