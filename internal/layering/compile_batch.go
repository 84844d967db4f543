package layering

import (
	"context"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/gobake/gobake/internal/platform"
)

// BatchCompiler is a Compiler that can also build many requests together,
// so that requests sharing a build configuration share one go command: one
// load of the module graph, and the standard library and shared packages
// compiled once instead of by racing processes.
type BatchCompiler interface {
	Compiler
	// CompileAll builds every request and returns one error (nil on
	// success) per request, in order. Each error names its image and
	// platform, as Compile's do.
	CompileAll(ctx context.Context, reqs []CompileRequest) []error
	// CompileEach builds every request as CompileAll does and calls done
	// with each request's index and error as soon as its go command
	// ends, while others may still run; done may be called concurrently.
	// It returns when every request is done.
	CompileEach(ctx context.Context, reqs []CompileRequest, done func(i int, err error))
}

var _ BatchCompiler = (*GoCompiler)(nil)

// compileUnit is requests one go command builds. names are the files go
// writes in its output directory, one per request.
type compileUnit struct {
	reqs  []int // indexes into the requests
	names []string
}

// CompileAll builds reqs with as few go commands as it can: requests with
// the same directory, platform, environment and flags (ldflags rendered)
// are built by one go build -o DIR/ main1 main2 …, except that mains whose
// binaries would have the same name go to separate commands. Commands of
// different configurations run concurrently, at most WithCompileJobs at a
// time; commands of one configuration run in turn, so that they do not
// compile the same packages twice. When a shared command fails, each of its
// requests is built alone, so that every error belongs to one image.
func (c *GoCompiler) CompileAll(ctx context.Context, reqs []CompileRequest) []error {
	errs := make([]error, len(reqs))
	c.CompileEach(ctx, reqs, func(i int, err error) { errs[i] = err })
	return errs
}

// CompileEach implements BatchCompiler: it builds reqs as CompileAll does
// and reports each request when the go command that built it ends.
//
// A request whose binary the output cache keeps for its inputs (see
// CompileRequest.Inputs) is done at once, before any go command starts.
func (c *GoCompiler) CompileEach(ctx context.Context, reqs []CompileRequest, done func(i int, err error)) {
	var rest []CompileRequest
	var index []int // of rest's requests in reqs
	for i, req := range reqs {
		if c.reuse(req) {
			done(i, nil)
			continue
		}
		rest = append(rest, req)
		index = append(index, i)
	}
	c.compileEach(ctx, rest, func(k int, err error) { done(index[k], err) })
}

// compileEach is CompileEach without the reuse of kept binaries.
func (c *GoCompiler) compileEach(ctx context.Context, reqs []CompileRequest, done func(i int, err error)) {
	sem := make(chan struct{}, max(c.jobs, 1))
	var wg sync.WaitGroup
	for _, units := range planUnits(reqs) {
		wg.Go(func() {
			for _, u := range units {
				select {
				case sem <- struct{}{}:
					c.compileUnit(ctx, reqs, u, done)
					<-sem
				case <-ctx.Done():
					for _, i := range u.reqs {
						done(i, compileError(reqs[i], ctx.Err()))
					}
				}
			}
		})
	}
	wg.Wait()
	c.prune(time.Now())
}

// compileUnit builds u and reports each of its requests to done once:
// as soon as go has linked its binary (see build), else when the command
// ends. When a shared command fails, each request it did not link is
// built alone, so that every error belongs to one image.
func (c *GoCompiler) compileUnit(ctx context.Context, reqs []CompileRequest, u compileUnit, done func(i int, err error)) {
	alone := func(k int) {
		i := u.reqs[k]
		if err := ctx.Err(); err != nil {
			done(i, compileError(reqs[i], err))
			return
		}
		done(i, c.build(ctx, []CompileRequest{reqs[i]}, u.names[k:k+1], nil))
	}
	if len(u.reqs) == 1 {
		alone(0)
		return
	}
	batch := make([]CompileRequest, len(u.reqs))
	for k, i := range u.reqs {
		batch[k] = reqs[i]
	}
	handed := make([]bool, len(u.reqs))
	err := c.build(ctx, batch, u.names, func(k int, err error) {
		handed[k] = true
		done(u.reqs[k], err)
	})
	for k, i := range u.reqs {
		switch {
		case handed[k]:
		case err == nil:
			done(i, nil)
		default:
			alone(k)
		}
	}
}

// planUnits groups reqs by build configuration, in order of first
// appearance, and splits each group into units whose binary names differ.
// A request whose binary name go would not derive from its main package
// path alone gets a unit of its own.
func planUnits(reqs []CompileRequest) [][]compileUnit {
	var groups [][]compileUnit
	index := map[string]int{}
	for i, req := range reqs {
		name, ok := batchName(req)
		if !ok {
			groups = append(groups, []compileUnit{{reqs: []int{i}, names: []string{filepath.Base(req.Output)}}})
			continue
		}
		key := batchKey(req)
		g, seen := index[key]
		if !seen {
			g = len(groups)
			index[key] = g
			groups = append(groups, nil)
		}
		placed := false
		for k := range groups[g] {
			u := &groups[g][k]
			if !slices.Contains(u.names, name) {
				u.reqs, u.names = append(u.reqs, i), append(u.names, name)
				placed = true
				break
			}
		}
		if !placed {
			groups[g] = append(groups[g], compileUnit{reqs: []int{i}, names: []string{name}})
		}
	}
	return groups
}

// batchKey is what requests built by one go command must share.
func batchKey(req CompileRequest) string {
	return req.PackagesKey() + "\x00" + strings.Join(req.Ldflags, "\x01")
}

// PackagesKey is what requests whose packages go compiles alike share:
// directory, platform, environment and flags; not the ldflags, which
// only link.
func (req CompileRequest) PackagesKey() string {
	fields := []string{req.Dir, platform.Format(req.Platform), req.Platform.OSVersion}
	fields = append(fields, strings.Join(req.Env, "\x01"), strings.Join(req.Flags, "\x01"))
	return strings.Join(fields, "\x00")
}

// versionElem matches a major version path element, which go skips when
// naming a binary.
var versionElem = regexp.MustCompile(`^v[0-9]+$`)

// batchName is the file name go build -o DIR/ gives the binary of req's
// main package, and whether it can be told from the main path alone: not
// for ".", files, patterns, major version suffixes or a user's own -o.
func batchName(req CompileRequest) (string, bool) {
	if hasFlag(req.Flags, "-o") {
		return "", false
	}
	m := path.Clean(filepath.ToSlash(req.Main))
	base := path.Base(m)
	switch {
	case m == "." || m == ".." || strings.HasSuffix(m, "/.."), strings.HasSuffix(m, ".go"),
		strings.Contains(m, "..."), strings.ContainsAny(m, "*?[\\"), versionElem.MatchString(base):
		return "", false
	}
	if req.Platform.OS == "windows" {
		base += ".exe"
	}
	return base, true
}
