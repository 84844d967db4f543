//go:build !unix

package layering

import "context"

// lockLayout does nothing where flock(2) is missing: only the publisher's
// own mutex serializes index.json updates, within one process.
func lockLayout(ctx context.Context, dir string) (unlock func(), err error) {
	return func() {}, nil
}

// lockBlobs does nothing where flock(2) is missing: PruneLayout must not
// run while a build writes the layout there.
func lockBlobs(ctx context.Context, dir string, exclusive bool) (unlock func(), err error) {
	return func() {}, nil
}
