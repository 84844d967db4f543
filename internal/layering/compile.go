package layering

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gobake/gobake/internal/platform"
)

// CompileRequest is one go build of one image for one platform. Env, Flags
// and Ldflags are already rendered.
type CompileRequest struct {
	Image    string      // image name in gobake.yaml, for messages
	Dir      string      // directory where go runs
	Main     string      // main package, relative to Dir
	Platform v1.Platform // target platform
	Env      []string    // the image's KEY=VALUE build environment
	Flags    []string    // go build flags
	Ldflags  []string    // joined with spaces into -ldflags
	Output   string      // path of the binary to write
	// Inputs is the input digest of the image for the platform (the
	// planner's), "" when unknown. With an output cache, a binary built
	// for the same inputs and settings is reused without running go.
	Inputs string
}

// Compiler turns a main package into a binary. Tests and the planner fake
// or wrap it.
type Compiler interface {
	Compile(ctx context.Context, req CompileRequest) error
}

// CompilerFunc adapts a function to Compiler.
type CompilerFunc func(ctx context.Context, req CompileRequest) error

// Compile calls f.
func (f CompilerFunc) Compile(ctx context.Context, req CompileRequest) error { return f(ctx, req) }

// GoCompiler runs the go command. Create it with NewGoCompiler.
type GoCompiler struct {
	goBin    string
	environ  []string
	tail     int
	jobs     int    // go commands run at once by CompileAll
	cacheDir string // where linked binaries are kept between runs, "" for nowhere
	cacheMax int64  // bound on the cached binaries' total size
}

// GoCompilerOption configures a GoCompiler.
type GoCompilerOption func(*GoCompiler)

// WithGoBinary sets the go command to run (default "go" from PATH).
func WithGoBinary(path string) GoCompilerOption {
	return func(c *GoCompiler) { c.goBin = path }
}

// WithBuildEnviron sets the environment every build starts from (default
// os.Environ()); platform and image variables are added on top.
func WithBuildEnviron(environ []string) GoCompilerOption {
	return func(c *GoCompiler) { c.environ = environ }
}

// WithCompileJobs bounds how many go commands CompileAll runs at once
// (default GOMAXPROCS). Values below 1 mean the default.
func WithCompileJobs(n int) GoCompilerOption {
	return func(c *GoCompiler) {
		if n >= 1 {
			c.jobs = n
		}
	}
}

// WithOutputCache keeps the binaries go links under dir, so that a later
// build whose inputs did not change finds them up to date and skips the
// link, as go install does. An empty dir turns the cache off (the default).
func WithOutputCache(dir string) GoCompilerOption {
	return func(c *GoCompiler) { c.cacheDir = dir }
}

// WithOutputCacheSize bounds the output cache to maxBytes: after each
// CompileAll the least recently used binaries are removed until the rest
// fit (DefaultOutputCacheSize when maxBytes < 1).
func WithOutputCacheSize(maxBytes int64) GoCompilerOption {
	return func(c *GoCompiler) {
		if maxBytes >= 1 {
			c.cacheMax = maxBytes
		}
	}
}

// NewGoCompiler returns a Compiler that runs go build with CGO_ENABLED=0,
// -trimpath and -buildvcs=false unless the request overrides them, so that
// the same source gives the same binary on any machine.
func NewGoCompiler(opts ...GoCompilerOption) *GoCompiler {
	c := &GoCompiler{goBin: "go", tail: 20, jobs: runtime.GOMAXPROCS(0), cacheMax: DefaultOutputCacheSize}
	for _, o := range opts {
		o(c)
	}
	if c.environ == nil {
		c.environ = os.Environ()
	}
	return c
}

// Compile runs go build for req. A failure carries the last lines of the
// go command's output.
func (c *GoCompiler) Compile(ctx context.Context, req CompileRequest) error {
	if c.reuse(req) {
		return nil
	}
	return c.compileOne(ctx, req)
}

// run runs cmd; a failure carries the last lines of its output.
func (c *GoCompiler) run(ctx context.Context, cmd *exec.Cmd) error {
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("%w%s", err, lastLines(out.String(), c.tail))
	}
	return nil
}

// command builds the exec.Cmd for req without running it.
func (c *GoCompiler) command(ctx context.Context, req CompileRequest) (*exec.Cmd, error) {
	return c.commandFor(ctx, req, req.Output, []string{req.Main})
}

// commandFor builds the go build of mains with the settings of req, writing
// to output: a file, or a directory (ending in a separator) for several
// mains; "" writes nothing (packages that are not mains, into the build
// cache only).
func (c *GoCompiler) commandFor(ctx context.Context, req CompileRequest, output string, mains []string) (*exec.Cmd, error) {
	platformEnv, err := platform.GoEnv(req.Platform)
	if err != nil {
		return nil, err
	}
	args := []string{"build"}
	if output != "" {
		args = append(args, "-o", output)
	}
	if !hasFlag(req.Flags, "-trimpath") {
		args = append(args, "-trimpath")
	}
	if !hasFlag(req.Flags, "-buildvcs") {
		args = append(args, "-buildvcs=false")
	}
	args = append(args, req.Flags...)
	if len(req.Ldflags) > 0 {
		args = append(args, "-ldflags", strings.Join(req.Ldflags, " "))
	}
	args = append(args, mains...)

	cmd := exec.CommandContext(ctx, c.goBin, args...)
	// Cancelling kills go (its compile and link processes die with it);
	// Wait then returns within waitDelay even if a pipe is still held.
	cmd.WaitDelay = waitDelay
	dieWithParent(cmd)
	cmd.Dir = req.Dir
	env := make([]string, 0, len(c.environ)+len(platformEnv)+len(req.Env)+1)
	env = append(env, c.environ...)
	env = append(env, "CGO_ENABLED=0")
	env = append(env, platformEnv...)
	env = append(env, req.Env...) // later entries win in os/exec
	cmd.Env = env
	return cmd, nil
}

// waitDelay bounds how long a cancelled go command may take to be reaped.
const waitDelay = 2 * time.Second

// hasFlag reports whether flags set the boolean or valued flag name, in any
// of the spellings go accepts (-f, --f, -f=v).
func hasFlag(flags []string, name string) bool {
	bare := strings.TrimLeft(name, "-")
	for _, f := range flags {
		if !strings.HasPrefix(f, "-") {
			continue
		}
		f = strings.TrimLeft(f, "-")
		if f == bare || strings.HasPrefix(f, bare+"=") {
			return true
		}
	}
	return false
}

// lastLines returns up to n final non-empty lines of s, each on a line of
// its own, prefixed by a newline; "" when s is blank.
func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	text := strings.TrimSpace(strings.Join(lines, "\n"))
	if text == "" {
		return ""
	}
	return "\n" + text
}
