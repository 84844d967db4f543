package gitrepo

import (
	"context"
	"fmt"
	"strings"
)

// ReadFile returns the content of file (relative to Repo.Dir) at revision
// rev, without a work tree.
func (r *Repo) ReadFile(ctx context.Context, rev, file string) ([]byte, error) {
	out, err := r.git(ctx, "cat-file", "blob", rev+":./"+file)
	if err != nil {
		return nil, fmt.Errorf("read %s at %s: %w", file, rev, err)
	}
	return []byte(out), nil
}

// ListFiles returns the files under dir (relative to Repo.Dir; "" or "."
// for all) at revision rev, sorted, relative to Repo.Dir.
func (r *Repo) ListFiles(ctx context.Context, rev, dir string) ([]string, error) {
	args := []string{"ls-tree", "-r", "-z", "--name-only", rev}
	if dir != "" && dir != "." {
		args = append(args, "--", dir)
	}
	out, err := r.git(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("list files of %s at %s: %w", dir, rev, err)
	}
	var files []string
	for _, f := range strings.Split(out, "\x00") {
		if f != "" {
			files = append(files, f)
		}
	}
	return files, nil
}
