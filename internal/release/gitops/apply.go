package gitops

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/redact"
)

// DefaultAttempts bounds the pushes Apply tries when others push first.
const DefaultAttempts = 5

// Options say what Apply and Plan write where.
type Options struct {
	Repo       string                // URL or local path of the deployment repository
	Branch     string                // branch to start from; default config.DefaultGitOpsBranch
	PushBranch string                // branch to push to (--gitops-branch); "" pushes to Branch
	Message    string                // commit message template; default config.DefaultGitOpsMessage
	Pin        config.Pin            // how references are written; default config.DefaultGitOpsPin
	Targets    []config.GitOpsTarget // files to edit
	Updates    []Update              // the released images
	Attempts   int                   // pushes to try; default DefaultAttempts
	Backoff    time.Duration         // mean wait before a retry, jittered; default 500ms
	Partial    bool                  // the updates are some of the images only: a target may hold none of them, as long as one target holds one
	Changelog  string                // path template of each image's changelog, which gets its release notes in the same commit; "" for none
	// Refresh, when set, is called in each attempt of Apply, once the
	// head to edit is read and before the edits, and returns the updates
	// to write then: a release drops the images a newer release has
	// claimed meanwhile, so that it never takes a deployment back (a
	// newer release that claims after Refresh read pushes after the head
	// was read: the push fails and the next attempt sees its claim). No
	// updates left means nothing to do.
	Refresh func(ctx context.Context, updates []Update) ([]Update, error)
}

// OptionsFor returns the options of the gitops stanza g for updates.
func OptionsFor(g *config.GitOps, updates []Update) Options {
	return Options{
		Repo: g.Repo, Branch: g.Branch, Message: g.Message, Pin: g.Pin,
		Targets: slices.Clone(g.Targets), Updates: slices.Clone(updates), Changelog: g.Changelog,
	}
}

// Result is what Apply or Plan did.
type Result struct {
	Commit     string   // the commit pushed; with no change or in Plan, the head the edits were made on
	Branch     string   // the branch pushed to (or that would be)
	Pushed     bool     // whether a commit was pushed
	Attempts   int      // fetch-edit-push rounds made
	Changes    []Change // every value matched, changed or not
	Changelogs []string // changelog files written, slash-separated
	Message    string   // the commit message ("" when nothing changed)
	Diff       string   // unified diff of every changed file (Plan only)
}

// withDefaults fills in the defaults of o and checks it.
func (o Options) withDefaults() (Options, error) {
	o.Branch = cmp.Or(o.Branch, config.DefaultGitOpsBranch)
	o.PushBranch = cmp.Or(o.PushBranch, o.Branch)
	o.Message = cmp.Or(o.Message, config.DefaultGitOpsMessage)
	o.Pin = cmp.Or(o.Pin, config.DefaultGitOpsPin)
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Backoff <= 0 {
		o.Backoff = 500 * time.Millisecond
	}
	switch {
	case o.Repo == "":
		return o, errors.New("gitops: no repository")
	case len(o.Targets) == 0:
		return o, errors.New("gitops: no targets")
	case len(o.Updates) == 0:
		return o, errors.New("gitops: no images to write")
	case !config.ValidBranch(o.Branch) || !config.ValidBranch(o.PushBranch):
		return o, fmt.Errorf("gitops: invalid branch %q or %q", o.Branch, o.PushBranch)
	}
	return o, checkUpdates(o.Updates, o.Pin)
}

// Apply writes the updates into the targets of the deployment repository
// and pushes one commit to PushBranch. It works in a fresh shallow clone in
// a temporary directory. The push is a compare-and-swap on the branch:
// when another push lands first, Apply fetches the new head, edits the new
// files again and retries, up to Attempts times with jittered backoff. A
// target where none of the images appears, or a file that is not YAML,
// fails before anything is pushed. With nothing to change, Apply pushes
// nothing. Its errors never show the credentials a repository URL holds.
//
// Apply is Prepare, then Push.
func Apply(ctx context.Context, o Options) (Result, error) {
	p, err := Prepare(ctx, o)
	defer p.Close()
	if err != nil {
		return p.Result(), err
	}
	return p.Push(ctx)
}

// Pending is a commit of Apply made and not pushed yet: see Prepare.
type Pending struct {
	o        Options // with its defaults
	dir      string  // the work tree; "" once closed, or when none was made
	cleanup  func()
	res      Result
	expected string // the commit the push branch must still be at ("" when it must not exist)
	ready    bool   // whether there is a commit to push
}

// Prepare does what Apply does before its first push: it checks out the
// head, refreshes the updates (Options.Refresh), edits the targets and
// commits, in a fresh shallow clone in a temporary directory. Push then
// pushes that commit as Apply does (fetching, editing and committing
// again when another push landed first); until then the deployment
// repository is untouched, so a release can prepare its commit while it
// tags its images and push it only once every tag is in place. Prepare
// always returns a Pending, whose Result says what was done also on
// error; Close removes its work tree. Its errors never show the
// credentials a repository URL holds.
func Prepare(ctx context.Context, o Options) (*Pending, error) {
	p := &Pending{res: Result{Branch: o.PushBranch}}
	o, err := o.withDefaults()
	if err != nil {
		return p, redact.Error(err)
	}
	p.o, p.res.Branch = o, o.PushBranch
	if p.dir, p.cleanup, err = workTree(ctx, o.Repo); err != nil {
		return p, redact.Error(err)
	}
	p.expected, p.ready, err = p.round(ctx)
	return p, redact.Error(err)
}

// Result is what Prepare and Push did so far.
func (p *Pending) Result() Result {
	return p.res
}

// Push pushes the commit Prepare made to PushBranch, with compare-and-swap
// retries (see Apply), and returns what was done. With nothing to change,
// it pushes nothing.
func (p *Pending) Push(ctx context.Context) (Result, error) {
	err := p.push(ctx)
	return p.res, redact.Error(err)
}

// Close removes the work tree of p; it may be called more than once.
func (p *Pending) Close() {
	if p.dir != "" {
		p.cleanup()
		p.dir = ""
	}
}

// round is one fetch-edit-commit round of Apply in the work tree of p:
// it checks out the head to edit, refreshes the updates, edits the
// targets and commits. It returns the commit the push branch must still
// be at for the push to land, and whether there is a commit to push (no
// updates left or nothing to change: none). Its errors may hold
// credentials.
func (p *Pending) round(ctx context.Context) (expected string, ready bool, err error) {
	o := &p.o
	p.res.Attempts++
	head, expected, err := checkout(ctx, p.dir, *o)
	if err != nil {
		return "", false, err
	}
	p.res.Commit = head
	// After the head is read: a push made after Refresh has read, by a
	// release it did not see, fails the compare-and-swap.
	if o.Refresh != nil {
		if o.Updates, err = o.Refresh(ctx, o.Updates); err != nil || len(o.Updates) == 0 {
			return "", false, err
		}
	}
	files, err := edit(p.dir, *o, &p.res)
	if err != nil || len(files) == 0 {
		return "", false, err // or already up to date
	}
	if p.res.Commit, err = commit(ctx, p.dir, files, p.res.Message); err != nil {
		return "", false, err
	}
	return expected, true, nil
}

// push pushes the commit of p, and when another push landed first, makes
// another round and tries again, up to Attempts rounds in all. Its errors
// may hold credentials.
func (p *Pending) push(ctx context.Context) error {
	o := p.o
	if p.ready && p.dir == "" {
		return fmt.Errorf("gitops %s: push: the work tree was closed", o.Repo)
	}
	for p.ready {
		lease := "--force-with-lease=refs/heads/" + o.PushBranch + ":" + p.expected
		_, pushErr := git(ctx, p.dir, nil, "push", "--quiet", "--no-verify", lease, "origin", "HEAD:refs/heads/"+o.PushBranch)
		if pushErr == nil {
			p.res.Pushed, p.ready = true, false
			return nil
		}
		heads, err := remoteHeads(ctx, p.dir, o.PushBranch)
		if err != nil {
			return fmt.Errorf("%w (and then: %w)", pushErr, err)
		}
		if heads[o.PushBranch] == p.expected {
			return fmt.Errorf("gitops %s: push: %w", o.Repo, pushErr)
		}
		if p.res.Attempts >= o.Attempts {
			return fmt.Errorf("gitops %s: branch %s kept moving: gave up after %d attempts", o.Repo, o.PushBranch, o.Attempts)
		}
		if err := sleep(ctx, o.Backoff); err != nil {
			return err
		}
		if p.expected, p.ready, err = p.round(ctx); err != nil {
			return err
		}
	}
	return nil
}

// edit writes the updates into the files of the checkout in dir and
// returns those it changed, recording the changes and, when there are
// any, the commit message in res.
func edit(dir string, o Options, res *Result) ([]string, error) {
	edits, changes, err := editTree(dir, o.Targets, o.Updates, o.Pin, o.Partial)
	if err != nil {
		return nil, fmt.Errorf("gitops %s: %w", o.Repo, err)
	}
	res.Changes = changes
	files, err := writeEdits(dir, edits)
	if err != nil || len(files) == 0 {
		return files, err
	}
	if res.Changelogs, err = writeChangelogs(dir, o, changes); err != nil {
		return nil, fmt.Errorf("gitops %s: %w", o.Repo, err)
	}
	files = append(files, res.Changelogs...)
	if res.Message, err = Message(o.Message, messageData(o.Updates, changes, o.Pin)); err != nil {
		return nil, err
	}
	return files, nil
}

// inWorkTree runs do with o's defaults in the work tree of a new
// temporary directory, removed after, and returns what it returns with
// errors that never show the credentials a repository URL holds.
func inWorkTree(ctx context.Context, o Options, do func(ctx context.Context, dir string, o Options) (Result, error)) (Result, error) {
	res, err := func() (Result, error) {
		o, err := o.withDefaults()
		if err != nil {
			return Result{}, err
		}
		dir, cleanup, err := workTree(ctx, o.Repo)
		if err != nil {
			return Result{}, err
		}
		defer cleanup()
		return do(ctx, dir, o)
	}()
	return res, redact.Error(err)
}

// workTree makes an empty repository with the deployment repository as
// origin, in a new temporary directory.
func workTree(ctx context.Context, repo string) (string, func(), error) {
	dir, err := os.MkdirTemp("", "gobake-gitops-")
	if err != nil {
		return "", nil, fmt.Errorf("gitops: %w", err)
	}
	cleanup := func() { _ = os.RemoveAll(dir) }
	if _, err := git(ctx, dir, nil, "-c", "init.defaultBranch=gobake", "init", "--quiet"); err != nil {
		cleanup()
		return "", nil, err
	}
	if _, err := git(ctx, dir, nil, "remote", "add", "origin", repo); err != nil {
		cleanup()
		return "", nil, err
	}
	return dir, cleanup, nil
}

// checkout fetches the head to edit, shallowly, and checks it out: the
// push branch when it exists, else the base branch. It returns the head
// and the commit the push branch must still be at for the push to land
// ("" when it must not exist).
func checkout(ctx context.Context, dir string, o Options) (head, expected string, err error) {
	heads, err := remoteHeads(ctx, dir, o.Branch, o.PushBranch)
	if err != nil {
		return "", "", fmt.Errorf("gitops %s: %w", o.Repo, err)
	}
	from := o.PushBranch
	if heads[from] == "" {
		from = o.Branch
	}
	if heads[from] == "" {
		return "", "", fmt.Errorf("gitops %s: no branch %s", o.Repo, o.Branch)
	}
	if _, err := git(ctx, dir, nil, "fetch", "--quiet", "--depth=1", "--no-tags", "--no-auto-maintenance", "origin", "refs/heads/"+from); err != nil {
		return "", "", fmt.Errorf("gitops %s: %w", o.Repo, err)
	}
	if _, err := git(ctx, dir, nil, "checkout", "--quiet", "--force", "-B", "gobake-gitops", "FETCH_HEAD"); err != nil {
		return "", "", err
	}
	if _, err := git(ctx, dir, nil, "clean", "-fdxq"); err != nil {
		return "", "", err
	}
	if head, err = git(ctx, dir, nil, "rev-parse", "HEAD"); err != nil {
		return "", "", err
	}
	if from == o.PushBranch {
		expected = head
	}
	return head, expected, nil
}

// commit commits files with message and returns the new commit. Without an
// identity in git's configuration or environment, it commits as gobake.
func commit(ctx context.Context, dir string, files []string, message string) (string, error) {
	if _, err := git(ctx, dir, nil, append([]string{"add", "--"}, files...)...); err != nil {
		return "", err
	}
	args := []string{"commit", "--quiet", "--no-verify", "--file=-"}
	if _, err := git(ctx, dir, nil, "var", "GIT_COMMITTER_IDENT"); err != nil {
		args = append([]string{"-c", "user.name=gobake", "-c", "user.email=gobake@localhost"}, args...)
	}
	if _, err := git(ctx, dir, strings.NewReader(message), args...); err != nil {
		return "", err
	}
	return git(ctx, dir, nil, "rev-parse", "HEAD")
}

// sleep waits about d (between d/2 and 3d/2), or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	d = d/2 + rand.N(d)
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
