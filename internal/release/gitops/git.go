package gitops

import (
	"context"
	"io"
	"strings"

	"github.com/gobake/gobake/internal/gitexec"
)

// git runs the git CLI in dir with stdin and returns its trimmed output.
// Prompts are off (see gitexec): authentication comes from credential
// helpers and agents; errors never show a password of a URL.
func git(ctx context.Context, dir string, stdin io.Reader, args ...string) (string, error) {
	out, err := gitexec.Runner{Dir: dir}.RunIn(ctx, stdin, args...)
	return strings.TrimSpace(out), err
}

// remoteHeads returns the commit of each branch the remote has, of those
// named.
func remoteHeads(ctx context.Context, dir string, branches ...string) (map[string]string, error) {
	args := []string{"ls-remote", "--heads", "origin"}
	for _, b := range branches {
		args = append(args, "refs/heads/"+b)
	}
	out, err := git(ctx, dir, nil, args...)
	if err != nil {
		return nil, err
	}
	heads := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		sha, ref, ok := strings.Cut(line, "\t")
		if ok {
			heads[strings.TrimPrefix(ref, "refs/heads/")] = sha
		}
	}
	return heads, nil
}
