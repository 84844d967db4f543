package gitinfo

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/gobake/gobake/internal/gitexec"
)

// Read collects the facts about the commit checked out in dir with the git
// command-line tool. Outside a git work tree, without any commit yet, or
// when git is not installed, it returns an empty Info and a nil error.
//
// It runs three git commands at once: status (branch, commit and tree
// state; the slow one, as it looks at every file of the tree), log
// (short hash and commit time) and describe (the tag).
func Read(ctx context.Context, dir string) (Info, error) {
	var (
		wg             sync.WaitGroup
		logOut, tag    string
		logErr, tagErr error
	)
	wg.Go(func() { logOut, logErr = git(ctx, dir, "log", "-1", "--no-show-signature", "--format=%h %ct", "HEAD") })
	// describe fails when no tag points at HEAD: Tag stays empty.
	wg.Go(func() { tag, tagErr = git(ctx, dir, "describe", "--tags", "--exact-match", "HEAD") })
	// Without optional locks, status never refreshes (writes) the index:
	// a gobake killed meanwhile would leave index.lock behind, and the
	// next git commit in the clone would fail. --no-ahead-behind: the
	// distance to the upstream branch is not needed and can be costly.
	status, statErr := git(ctx, dir, "--no-optional-locks", "status", "--porcelain=v2", "--branch", "--no-ahead-behind", "--untracked-files=normal")
	wg.Wait()
	if statErr != nil {
		// Tell "not a work tree, or no git" (no facts) from a failure.
		inside, err := git(ctx, dir, "rev-parse", "--is-inside-work-tree")
		if err != nil || inside != "true" {
			if err == nil || gitexec.ExitCode(err) >= 0 || gitexec.Missing(err) {
				return Info{}, nil
			}
			return Info{}, fmt.Errorf("read git info in %s: %w", dir, err)
		}
		return Info{}, fmt.Errorf("read git info in %s: %w", dir, statErr)
	}
	info := parseStatus(status)
	if info.Commit == "" {
		return Info{}, nil // a work tree without commits
	}
	if logErr != nil {
		return Info{}, fmt.Errorf("read git info in %s: %w", dir, logErr)
	}
	var ok bool
	if info.ShortCommit, info.CommitTimestamp, ok = strings.Cut(logOut, " "); !ok {
		return Info{}, fmt.Errorf("read git info in %s: git log printed %q, not a hash and a time", dir, logOut)
	}
	if tagErr == nil {
		info.Tag = tag
	}
	return info, nil
}

// parseStatus reads the commit, the branch and the tree state from the
// output of git status --porcelain=v2 --branch: its "# branch.oid" and
// "# branch.head" headers, then one line per changed or untracked file.
// Commit stays empty before the first commit, Branch on a detached HEAD.
func parseStatus(out string) Info {
	info := Info{TreeState: "clean"}
	for line := range strings.Lines(out) {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "# branch.oid "):
			if oid := strings.TrimPrefix(line, "# branch.oid "); oid != "(initial)" {
				info.Commit = oid
			}
		case strings.HasPrefix(line, "# branch.head "):
			if head := strings.TrimPrefix(line, "# branch.head "); head != "(detached)" {
				info.Branch = head
			}
		case strings.HasPrefix(line, "#"), line == "":
		default:
			info.TreeState = "dirty"
		}
	}
	return info
}

// git runs one git command in dir and returns its trimmed standard output.
func git(ctx context.Context, dir string, args ...string) (string, error) {
	return gitexec.Runner{Dir: dir}.Run(ctx, append([]string{"-c", "core.quotePath=false"}, args...)...)
}
