package version

import (
	"context"
	"fmt"
	"strings"

	"github.com/gobake/gobake/internal/release/gitrepo"
)

// ReleaseTrailer is the git trailer key that gobake's own release commits
// (GitOps updates) carry, e.g. "Gobake-Release: true"; its value does not
// matter. Commits with it never count as changes of an image.
const ReleaseTrailer = "Gobake-Release"

// Commit is a commit with the files it changed, relative to the
// repository root.
type Commit = gitrepo.Commit

// Commits returns the commits reachable from until ("" for HEAD) but not
// from since ("" for the whole history), newest first, with their files.
func Commits(ctx context.Context, repo *gitrepo.Repo, since, until string) ([]Commit, error) {
	cs, err := repo.Log(ctx, since, until)
	if err != nil {
		return nil, fmt.Errorf("commits since %q: %w", since, err)
	}
	return cs, nil
}

// IsRelease reports whether c is one of gobake's release commits: the last
// paragraph of its message (its trailers) has a ReleaseTrailer line. The
// key is matched case-insensitively, as git does.
func IsRelease(c Commit) bool {
	msg := strings.TrimSpace(c.Message())
	if i := strings.LastIndex(msg, "\n\n"); i >= 0 {
		msg = msg[i+2:]
	} else {
		return false // a subject alone has no trailers
	}
	for _, line := range strings.Split(msg, "\n") {
		key, _, ok := strings.Cut(line, ":")
		if ok && strings.EqualFold(strings.TrimSpace(key), ReleaseTrailer) {
			return true
		}
	}
	return false
}
