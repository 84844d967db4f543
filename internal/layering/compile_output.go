package layering

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/gobake/gobake/internal/platform"
)

// compileOne builds req alone.
func (c *GoCompiler) compileOne(ctx context.Context, req CompileRequest) error {
	return c.build(ctx, []CompileRequest{req}, []string{filepath.Base(req.Output)})
}

// build runs one go build of reqs, which share their settings, into a fresh
// directory where the binary of reqs[i] is names[i], then moves each binary
// to its request's Output. With an output cache, the directory is seeded
// with the binaries of the previous run, which go leaves alone when they
// are up to date (their build ID says which inputs made them), and the new
// binaries are kept for the next run.
func (c *GoCompiler) build(ctx context.Context, reqs []CompileRequest, names []string) error {
	fail := func(err error) error {
		if len(reqs) == 1 {
			return compileError(reqs[0], err)
		}
		images := make([]string, len(reqs))
		for i, r := range reqs {
			images[i] = r.Image
		}
		return fmt.Errorf("go build %s for %s: %w", strings.Join(images, ", "), platform.Format(reqs[0].Platform), err)
	}
	tmp, err := c.workDir()
	if err != nil {
		return fail(err)
	}
	defer os.RemoveAll(tmp)

	slots := make([]string, len(reqs))
	mains := make([]string, len(reqs))
	for i, req := range reqs {
		mains[i] = req.Main
		if c.cacheDir == "" {
			continue
		}
		slots[i] = c.slot(req, names[i])
		_ = os.Link(slots[i], filepath.Join(tmp, names[i])) // a miss only costs a link
	}
	output := filepath.Join(tmp, names[0])
	if len(reqs) > 1 {
		output = tmp + string(filepath.Separator)
	}
	cmd, err := c.commandFor(ctx, reqs[0], output, mains)
	if err != nil {
		return fail(err)
	}
	if err := c.run(ctx, cmd); err != nil {
		return fail(err)
	}
	for i, req := range reqs {
		built := filepath.Join(tmp, names[i])
		if err := linkOrCopy(built, req.Output); err != nil {
			return compileError(req, err)
		}
		if slots[i] != "" {
			c.keep(built, slots[i])
		}
	}
	return nil
}

// linkOrCopy makes dst a hard link to src, or a copy where links fail.
func linkOrCopy(src, dst string) error {
	if err := os.Link(src, dst); err == nil {
		return nil
	}
	in, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("binary: %w", err)
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o755)
	if err != nil {
		return fmt.Errorf("binary: %w", err)
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return fmt.Errorf("binary %s: %w", dst, err)
	}
	if err := out.Close(); err != nil {
		return fmt.Errorf("binary %s: %w", dst, err)
	}
	return nil
}

// compileError names the image and platform of req in err.
func compileError(req CompileRequest, err error) error {
	return fmt.Errorf("go build %s for %s: %w", req.Image, platform.Format(req.Platform), err)
}
