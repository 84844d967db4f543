//go:build !unix

package layering

import "context"

// lockLayout does nothing where flock(2) is missing: only the publisher's
// own mutex serializes index.json updates, within one process.
func lockLayout(ctx context.Context, dir string) (unlock func(), err error) {
	return func() {}, nil
}
