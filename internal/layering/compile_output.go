package layering

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/gobake/gobake/internal/platform"
)

// compileOne builds req alone.
func (c *GoCompiler) compileOne(ctx context.Context, req CompileRequest) error {
	return c.build(ctx, []CompileRequest{req}, []string{filepath.Base(req.Output)}, nil)
}

// build runs one go build of reqs, which share their settings, into a fresh
// directory where the binary of reqs[i] is names[i], then moves each binary
// to its request's Output. With an output cache, the directory is seeded
// with the binaries of the previous run, which go leaves alone when they
// are up to date (their build ID says which inputs made them), and the new
// binaries are kept for the next run.
//
// When handed is not nil, each binary go links while it still links
// others is handed over at once (see outputWatch): linked to its Output and
// reported to handed with the error of that, if any; the error build
// returns is about the others.
func (c *GoCompiler) build(ctx context.Context, reqs []CompileRequest, names []string, handed func(k int, err error)) error {
	fail := func(err error) error {
		ce := &CompileError{Err: err}
		for _, r := range reqs {
			ce.Builds = append(ce.Builds, CompileBuild{Image: r.Image, Platform: platform.Format(r.Platform)})
		}
		return ce
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
	// finish hands the binary of reqs[i] over: to its Output, and to the
	// output cache by inputs; keep moves it into its slot once go is done.
	finish := func(i int) error {
		built := filepath.Join(tmp, names[i])
		if err := linkOrCopy(built, reqs[i].Output); err != nil {
			return compileError(reqs[i], err)
		}
		c.keepInputs(reqs[i], built)
		return nil
	}
	var w *outputWatch
	if handed != nil && len(reqs) > 1 {
		w = c.watchOutputs(cmd, tmp, names, func(i int) { handed(i, finish(i)) })
	}
	err = c.run(ctx, cmd)
	done := w.stop()
	if done == nil {
		done = make([]bool, len(reqs))
	}
	for i := range reqs {
		if err == nil && !done[i] {
			if err := finish(i); err != nil {
				return err
			}
			done[i] = true
		}
		if done[i] && slots[i] != "" { // whole, whether or not go failed on others
			c.keep(filepath.Join(tmp, names[i]), slots[i])
		}
	}
	if err != nil {
		return fail(err)
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
	return &CompileError{Builds: []CompileBuild{{Image: req.Image, Platform: platform.Format(req.Platform)}}, Err: err}
}

// CompileBuild is one image and platform a go command built.
type CompileBuild struct {
	Image    string
	Platform string // os/arch[/variant]
}

// CompileError is a failed go build: the images and platforms it was for
// and why, with the last lines of go's output. Errors whose reasons read
// the same (a broken package several images share) are reported as one
// (see mergeCompileErrors), so that a compiler message is shown once.
type CompileError struct {
	Builds []CompileBuild
	Err    error
}

// Error is "go build IMAGES for PLATFORMS: ERR": images built for the same
// platforms share one "for", groups are separated by "; ".
func (e *CompileError) Error() string {
	byImage := map[string][]string{}
	var images []string
	for _, b := range e.Builds {
		if _, ok := byImage[b.Image]; !ok {
			images = append(images, b.Image)
		}
		if !slices.Contains(byImage[b.Image], b.Platform) {
			byImage[b.Image] = append(byImage[b.Image], b.Platform)
		}
	}
	slices.Sort(images)
	var groups []string              // platform lists, in order of first image
	members := map[string][]string{} // images by platform list
	for _, img := range images {
		ps := slices.Sorted(slices.Values(byImage[img]))
		key := strings.Join(ps, ", ")
		if _, ok := members[key]; !ok {
			groups = append(groups, key)
		}
		members[key] = append(members[key], img)
	}
	parts := make([]string, len(groups))
	for i, g := range groups {
		parts[i] = strings.Join(members[g], ", ") + " for " + g
	}
	return fmt.Sprintf("go build %s: %v", strings.Join(parts, "; "), e.Err)
}

// Unwrap returns the reason.
func (e *CompileError) Unwrap() error { return e.Err }

// mergeCompileErrors returns errs with the CompileErrors whose reasons
// read the same merged into the first of them; other errors are kept as
// they are, in order.
func mergeCompileErrors(errs []error) []error {
	var out []error
	first := map[string]*CompileError{} // merged error by reason
	for _, err := range errs {
		ce, ok := err.(*CompileError)
		if !ok || ce.Err == nil {
			out = append(out, err)
			continue
		}
		key := ce.Err.Error()
		if m, ok := first[key]; ok {
			m.Builds = append(m.Builds, ce.Builds...)
			continue
		}
		m := &CompileError{Builds: slices.Clone(ce.Builds), Err: ce.Err}
		first[key] = m
		out = append(out, m)
	}
	return out
}
