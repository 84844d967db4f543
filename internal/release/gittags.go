package release

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// remote returns the source remote: the one versions come from and the
// git tags are pushed to: origin, else the
// only remote; "" when the repository has none.
func (r *run) remote(ctx context.Context) (string, error) {
	remotes, err := r.repo.Remotes(ctx)
	if err != nil {
		return "", err
	}
	switch {
	case slices.Contains(remotes, "origin"):
		return "origin", nil
	case len(remotes) == 1:
		return remotes[0], nil
	case len(remotes) == 0:
		return "", nil
	}
	return "", fmt.Errorf("git tags: the repository has several remotes (%s) and none is origin", strings.Join(remotes, ", "))
}
