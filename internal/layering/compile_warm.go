package layering

import (
	"context"
	"fmt"
)

// Warm compiles the packages pkgs (import paths, none of them a main) as
// a build of req would compile them as dependencies of its main — same
// directory, platform, environment and flags; ldflags only link — into
// the Go build cache, and writes nothing else. With a build cache shared
// by several machines (GOCACHEPROG), it compiles once, ahead of them,
// what all their builds need. It fails with go's last lines of output.
func (c *GoCompiler) Warm(ctx context.Context, req CompileRequest, pkgs []string) error {
	if len(pkgs) == 0 {
		return nil
	}
	cmd, err := c.commandFor(ctx, req, "", pkgs)
	if err != nil {
		return fmt.Errorf("compile %d shared package(s) for %s: %w", len(pkgs), req.Platform, err)
	}
	if err := c.run(ctx, cmd); err != nil {
		return fmt.Errorf("compile %d shared package(s) for %s: %w", len(pkgs), req.Platform, err)
	}
	return nil
}
