package gitrepo

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gobake/gobake/internal/gitexec"
)

// ErrTaken is wrapped by Claim when a tag it would create already exists
// (on the remote, or locally without one).
var ErrTaken = errors.New("already claimed")

// NewTag is a tag Claim creates.
type NewTag struct {
	Name    string // without refs/tags/
	Commit  string // full hash of the commit tagged
	Message string // message of the annotated tag
}

// Claim creates the tags all at once or none. With a remote, the tags are
// pushed there atomically first (git push --atomic fails when any exists,
// so of two runs claiming one tag exactly one wins), then created locally;
// no local tag is touched before the push succeeds, so a run that loses
// never disturbs another's. Without a remote ("") they are created locally
// in one transaction that fails when any exists. A tag that exists already
// makes Claim fail with an error wrapping ErrTaken.
func (r *Repo) Claim(ctx context.Context, remote string, tags []NewTag) error {
	if len(tags) == 0 {
		return nil
	}
	defer r.cache.forget()
	ident, err := r.git(ctx, "var", "GIT_COMMITTER_IDENT")
	if ident = strings.TrimSpace(ident); err != nil || ident == "" {
		ident = fmt.Sprintf("gobake <gobake@localhost> %d +0000", time.Now().Unix())
	}
	var names []string
	bodies := make([]string, len(tags))
	for i, t := range tags {
		if err := gitexec.CheckTag(t.Name); err != nil {
			return err
		}
		bodies[i] = fmt.Sprintf("object %s\ntype commit\ntag %s\ntagger %s\n\n%s", t.Commit, t.Name, ident, t.Message)
		names = append(names, t.Name)
	}
	objs, err := r.writeTagObjects(ctx, bodies)
	if err != nil {
		return fmt.Errorf("create tags %s: %w", strings.Join(names, ", "), err)
	}
	if remote != "" {
		args := []string{"push", "--atomic", "--porcelain", "--no-verify", remote}
		for i, t := range tags {
			args = append(args, objs[i]+":refs/tags/"+t.Name)
		}
		if _, err := r.git(ctx, args...); err != nil {
			// Rejected because a tag exists (whatever words git used for
			// it), or failed for another reason: the remote tells which.
			taken, lerr := r.remoteHas(ctx, remote, names)
			switch {
			case lerr != nil:
				return fmt.Errorf("push tags %s to %s: %w (and then: %w)", strings.Join(names, ", "), remote, err, lerr)
			case len(taken) > 0:
				return fmt.Errorf("push tags %s to %s: %s %w by another release", strings.Join(names, ", "), remote, strings.Join(taken, ", "), ErrTaken)
			}
			return fmt.Errorf("push tags %s to %s: %w", strings.Join(names, ", "), remote, err)
		}
	}
	// Local refs: in one transaction that creates each (fails when one
	// exists). After a push, a tag may exist locally already, fetched by
	// another run of this clone: the same object then, which is fine.
	lock, err := r.lockRefs(ctx)
	if err != nil {
		return err
	}
	defer lock.unlock()
	var tx strings.Builder
	tx.WriteString("start\n")
	local := map[string]string{}
	if remote != "" {
		if local, err = r.tagObjects(ctx, names); err != nil {
			return err
		}
	}
	for i, t := range tags {
		if have, ok := local[t.Name]; ok {
			if have != objs[i] {
				return fmt.Errorf("tag %s was pushed to %s, but the local tag names another object: run git fetch --tags --force", t.Name, remote)
			}
			continue
		}
		fmt.Fprintf(&tx, "create refs/tags/%s %s\n", t.Name, objs[i])
	}
	tx.WriteString("commit\n")
	if _, err := r.gitIn(ctx, []byte(tx.String()), "update-ref", "--stdin"); err != nil {
		if remote == "" && strings.Contains(err.Error(), "reference already exists") {
			return fmt.Errorf("create tags %s: %w by another release", strings.Join(names, ", "), ErrTaken)
		}
		return fmt.Errorf("create tags %s: %w", strings.Join(names, ", "), err)
	}
	return nil
}

// writeTagObjects writes the tag objects bodies into the object database,
// checked as git mktag checks them, with one git process, and returns
// their names in order.
func (r *Repo) writeTagObjects(ctx context.Context, bodies []string) ([]string, error) {
	dir, err := os.MkdirTemp("", "gobake-tags-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	var paths strings.Builder
	for i, b := range bodies {
		p := filepath.Join(dir, strconv.Itoa(i))
		if err := os.WriteFile(p, []byte(b), 0o600); err != nil {
			return nil, err
		}
		paths.WriteString(p + "\n")
	}
	out, err := r.gitIn(ctx, []byte(paths.String()), "hash-object", "-t", "tag", "-w", "--stdin-paths")
	if err != nil {
		return nil, err
	}
	objs := strings.Fields(out)
	if len(objs) != len(bodies) {
		return nil, fmt.Errorf("git hash-object wrote %d tag object(s), want %d", len(objs), len(bodies))
	}
	return objs, nil
}

// tagObjects returns the object each of the local tags names names, by
// name; tags that do not exist are left out. One git process.
func (r *Repo) tagObjects(ctx context.Context, names []string) (map[string]string, error) {
	args := []string{"for-each-ref", "--format=%(refname:strip=2)%00%(objectname)"}
	for _, n := range names {
		args = append(args, "refs/tags/"+n)
	}
	out, err := r.git(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("read tags %s: %w", strings.Join(names, ", "), err)
	}
	has := map[string]string{}
	for _, line := range strings.Split(out, "\n") {
		if n, obj, ok := strings.Cut(line, "\x00"); ok && slices.Contains(names, n) {
			has[n] = obj
		}
	}
	return has, nil
}

// remoteHas returns those of the tags names that remote has.
func (r *Repo) remoteHas(ctx context.Context, remote string, names []string) ([]string, error) {
	args := []string{"ls-remote", "--tags", remote}
	for _, n := range names {
		args = append(args, "refs/tags/"+n)
	}
	out, err := r.git(ctx, args...)
	if err != nil {
		return nil, fmt.Errorf("list tags of %s: %w", remote, err)
	}
	var has []string
	for _, line := range strings.Split(out, "\n") {
		if _, ref, ok := strings.Cut(line, "\t"); ok {
			if n := strings.TrimPrefix(ref, "refs/tags/"); slices.Contains(names, n) && !slices.Contains(has, n) {
				has = append(has, n)
			}
		}
	}
	return has, nil
}

// TagMessage returns the message of the annotated tag name ("" for a
// lightweight tag or no tag). The messages of every tag are read at once,
// by one git process, and kept until the tags change: a release reads
// those of many.
func (r *Repo) TagMessage(ctx context.Context, name string) (string, error) {
	r.cache.mu.Lock()
	msgs := r.cache.msgs
	r.cache.mu.Unlock()
	if msgs == nil {
		// A record per tag: name NUL type NUL message, ended by a record separator,
		// which no tag name nor message of gobake holds.
		out, err := r.git(ctx, "for-each-ref", "--format=%(refname:strip=2)%00%(objecttype)%00%(contents)%1e", "refs/tags/")
		if err != nil {
			return "", fmt.Errorf("read tag %s: %w", name, err)
		}
		msgs = map[string]string{}
		for _, rec := range strings.Split(out, "\x1e") {
			rec = strings.TrimPrefix(rec, "\n") // for-each-ref ends each record with a newline
			f := strings.SplitN(rec, "\x00", 3)
			if len(f) == 3 && f[1] == "tag" { // a lightweight tag's contents are its commit's
				msgs[f[0]] = f[2]
			}
		}
		r.cache.mu.Lock()
		r.cache.msgs = msgs
		r.cache.mu.Unlock()
	}
	return msgs[name], nil
}

// IsShallow reports whether the repository is a shallow clone.
func (r *Repo) IsShallow(ctx context.Context) (bool, error) {
	out, err := r.git(ctx, "rev-parse", "--is-shallow-repository")
	if err != nil {
		return false, fmt.Errorf("is the clone shallow: %w", err)
	}
	return strings.TrimSpace(out) == "true", nil
}

// FetchTags fetches every tag of remote (an existing local tag that names
// something else is an error, never overwritten) and, in a shallow clone,
// the whole history (--unshallow), so that versions are decided from what
// the remote has. It holds gobake's lock on the refs meanwhile (see
// lockRefs); a fetch that fails for a ref lock (another git writing) is
// tried again a few times.
func (r *Repo) FetchTags(ctx context.Context, remote string) error {
	defer r.cache.forget()
	shallow, err := r.IsShallow(ctx)
	if err != nil {
		return err
	}
	lock, err := r.lockRefs(ctx)
	if err != nil {
		return err
	}
	defer lock.unlock()
	args := []string{"fetch", "--quiet", "--no-write-fetch-head", "--no-auto-maintenance"}
	if shallow {
		args = append(args, "--unshallow")
		if err := lock.mark(unshallowMark); err != nil {
			return fmt.Errorf("fetch tags and history from %s: %w", remote, err)
		}
		defer func() { _ = lock.mark("") }() // left set, it only removes a shallow.lock nobody holds
	}
	args = append(args, remote, "refs/tags/*:refs/tags/*")
	for attempt := 1; ; attempt++ {
		_, err = r.git(ctx, args...)
		if err == nil {
			return nil
		}
		if attempt == 3 || !strings.Contains(err.Error(), "lock") {
			break
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
		if shallow, _ = r.IsShallow(ctx); !shallow {
			args = slices.DeleteFunc(args, func(a string) bool { return a == "--unshallow" })
		}
	}
	if strings.Contains(err.Error(), "would clobber existing tag") {
		return fmt.Errorf("fetch tags from %s: a local tag differs from the remote's: %w (delete the local one, or git fetch --tags --force)", remote, err)
	}
	if shallow {
		return fmt.Errorf("fetch tags and history from %s: %w (a shallow clone cannot tell the last release: fetch the whole history, e.g. actions/checkout with fetch-depth: 0)", remote, err)
	}
	return fmt.Errorf("fetch tags from %s: %w", remote, err)
}
