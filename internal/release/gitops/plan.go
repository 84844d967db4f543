package gitops

import (
	"context"
)

// Plan shows what Apply would do, without committing or pushing: it edits
// a fresh shallow clone and returns the unified diff of every changed file
// (git diff) and the commit message. Its errors are those of Apply before
// the push.
func Plan(ctx context.Context, o Options) (Result, error) {
	return inWorkTree(ctx, o, plan)
}

// plan is Plan in the work tree dir, with errors that may hold
// credentials.
func plan(ctx context.Context, dir string, o Options) (Result, error) {
	var err error
	res := Result{Branch: o.PushBranch, Attempts: 1}
	if res.Commit, _, err = checkout(ctx, dir, o); err != nil {
		return res, err
	}
	files, err := edit(dir, o, &res)
	if err != nil || len(files) == 0 {
		return res, err
	}
	// New changelogs show in the diff as added files.
	if _, err := git(ctx, dir, nil, append([]string{"add", "--intent-to-add", "--"}, files...)...); err != nil {
		return res, err
	}
	diff, err := git(ctx, dir, nil, append([]string{"diff", "--no-color", "--no-ext-diff", "--"}, files...)...)
	if err != nil {
		return res, err
	}
	res.Diff = diff + "\n"
	return res, nil
}
