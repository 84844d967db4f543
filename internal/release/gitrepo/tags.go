package gitrepo

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/gobake/gobake/internal/gitexec"
)

// Tag is a git tag and the commit it points at (peeled for annotated tags).
type Tag struct {
	Name   string // without refs/tags/
	Commit string // full hash of the commit
}

// Tags returns every tag, sorted by name. When merged is not "", only the
// tags whose commit is reachable from the revision merged are returned.
// Tags of objects other than commits are left out.
func (r *Repo) Tags(ctx context.Context, merged string) ([]Tag, error) {
	var filter []string
	if merged != "" {
		filter = []string{"--merged=" + merged}
	}
	return r.tags(ctx, filter...)
}

// TagsContaining returns the tags whose commit has commit in its history
// (or is it), sorted by name.
func (r *Repo) TagsContaining(ctx context.Context, commit string) ([]Tag, error) {
	return r.tags(ctx, "--contains="+commit)
}

// tags lists the tags for-each-ref filters with filter.
func (r *Repo) tags(ctx context.Context, filter ...string) ([]Tag, error) {
	key := strings.Join(filter, "\x00")
	r.cache.mu.Lock()
	cached, ok := r.cache.lists[key]
	r.cache.mu.Unlock()
	if ok {
		return slices.Clone(cached), nil
	}
	tags, err := r.listTags(ctx, filter...)
	if err != nil {
		return nil, err
	}
	r.cache.mu.Lock()
	if r.cache.lists == nil {
		r.cache.lists = map[string][]Tag{}
	}
	r.cache.lists[key] = tags
	r.cache.mu.Unlock()
	return slices.Clone(tags), nil
}

// listTags runs for-each-ref for tags.
func (r *Repo) listTags(ctx context.Context, filter ...string) ([]Tag, error) {
	args := []string{"for-each-ref", "--format=%(refname:strip=2)%00%(objecttype)%00%(objectname)%00%(*objecttype)%00%(*objectname)", "--sort=refname"}
	args = append(args, filter...)
	out, err := r.git(ctx, append(args, "refs/tags/")...)
	if err != nil {
		return nil, fmt.Errorf("list tags: %w", err)
	}
	var tags []Tag
	for _, line := range strings.Split(out, "\n") {
		if line == "" {
			continue
		}
		f := strings.Split(line, "\x00")
		if len(f) != 5 {
			return nil, fmt.Errorf("list tags: malformed line %q", line)
		}
		switch {
		case f[1] == "commit":
			tags = append(tags, Tag{Name: f[0], Commit: f[2]})
		case f[1] == "tag" && f[3] == "commit":
			tags = append(tags, Tag{Name: f[0], Commit: f[4]})
		}
	}
	return tags, nil
}

// CreateTag tags commit as name: an annotated tag with message, or a
// lightweight one when message is "". It fails when the tag exists.
func (r *Repo) CreateTag(ctx context.Context, name, commit, message string) error {
	defer r.cache.forget()
	if err := r.CheckTagName(ctx, name); err != nil {
		return err
	}
	lock, err := r.lockRefs(ctx)
	if err != nil {
		return err
	}
	defer lock.unlock()
	args := []string{"tag"}
	if message != "" {
		args = append(args, "--annotate", "--file=-")
	}
	args = append(args, "--end-of-options", name, commit+"^{commit}")
	var stdin []byte
	if message != "" {
		stdin = []byte(message)
	}
	if _, err := r.gitIn(ctx, stdin, args...); err != nil {
		return fmt.Errorf("create tag %s: %w", name, err)
	}
	return nil
}

// CheckTagName fails when name is not a valid tag name for git.
func (r *Repo) CheckTagName(ctx context.Context, name string) error {
	return gitexec.CheckTag(name)
}

// PushTags pushes the tags names to remote atomically: all or none.
func (r *Repo) PushTags(ctx context.Context, remote string, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	args := []string{"push", "--atomic", "--porcelain", remote}
	for _, n := range names {
		args = append(args, "refs/tags/"+n+":refs/tags/"+n)
	}
	if _, err := r.git(ctx, args...); err != nil {
		return fmt.Errorf("push tags %s to %s: %w", strings.Join(names, ", "), remote, err)
	}
	return nil
}

// Remotes returns the names of the repository's remotes.
func (r *Repo) Remotes(ctx context.Context) ([]string, error) {
	out, err := r.git(ctx, "remote")
	if err != nil {
		return nil, err
	}
	return strings.Fields(out), nil
}
