// Command gobake builds, plans and releases the container images of a Go
// monorepo, declared in gobake.yaml, without a Docker engine.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"sync"
	"syscall"

	"github.com/alecthomas/kong"
	"golang.org/x/term"

	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/pingcache"
	"github.com/gobake/gobake/internal/redact"
	"github.com/gobake/gobake/internal/runtmp"
)

// cli is the command tree. Each command lives in a file of its own.
type cli struct {
	Config string `short:"c" default:"gobake.yaml" type:"path" env:"GOBAKE_CONFIG" help:"Path of gobake.yaml."`

	Build    buildCmd    `cmd:"" help:"Build images and publish them to a registry, an OCI layout or a tarball."`
	Plan     planCmd     `cmd:"" help:"Say which images changed since their last build, and why."`
	Release  releaseCmd  `cmd:"" help:"Release the changed images: next versions, push by digest, move tags, GitOps commit and git tags, all or nothing."`
	Affected affectedCmd `cmd:"" help:"List the images a file or package feeds."`
	Schema   schemaCmd   `cmd:"" help:"Print the JSON Schema of gobake.yaml."`
	Version  versionCmd  `cmd:"" help:"Print gobake's version."`
	Init     initCmd     `cmd:"" help:"Write a gobake.yaml with one image per main package (translating .ko.yaml when present)."`
	Resolve  resolveCmd  `cmd:"" help:"Replace ko:// and gobake:// references in YAML with image digests."`
	Apply    applyCmd    `cmd:"" help:"Resolve YAML like resolve and pipe it to kubectl apply -f -."`
	Run      runCmd      `cmd:"" help:"Build one image for this machine, load it into the local podman or docker and run it."`

	Completion completionCmd `cmd:"" help:"Print the script that makes bash, zsh or fish complete gobake's commands, flags and image names."`
	Prune      pruneCmd      `cmd:"" help:"Remove from the OCI layout the blobs no tag reaches any more."`
	Cache      cacheCmd      `cmd:"" help:"Manage gobake's caches (gobake cache clean)."`
}

// globals carries what every command needs from the process.
type globals struct {
	ctx    context.Context
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
	config string // path of gobake.yaml, from --config
	// stderrTTY is whether stderr is a terminal (progress bars can be
	// drawn there).
	stderrTTY bool

	transportsMu sync.Mutex
	transports   map[bool]http.RoundTripper // by insecure: see registry
}

// registry returns the options of the command's registry requests: all
// of them share one transport per insecure setting, which pings each
// registry once (pingcache).
func (g *globals) registry(insecure bool) []layering.RegistryOption {
	g.transportsMu.Lock()
	defer g.transportsMu.Unlock()
	t, ok := g.transports[insecure]
	if !ok {
		if g.transports == nil {
			g.transports = map[bool]http.RoundTripper{}
		}
		t = pingcache.New(insecure)
		g.transports[insecure] = t
	}
	return []layering.RegistryOption{layering.WithRegistryInsecure(insecure), layering.WithRegistryTransport(t)}
}

func main() {
	// SIGINT or SIGTERM cancels the context: go build and other
	// subprocesses are killed and the command returns promptly. Once the
	// first has arrived the handler is removed, so a second one kills
	// gobake at once.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		<-ctx.Done()
		stop()
	}()
	// Every temporary file of the run, go build's included, goes under a
	// run directory that is removed at the end, or by the next run when
	// this one is killed.
	tmp, err := runtmp.Open(filepath.Join(os.TempDir(), fmt.Sprintf("gobake-runs-%d", os.Getuid())))
	if err == nil {
		os.Setenv("TMPDIR", tmp.Path())
	}
	stopProfile := startProfiles(os.Getenv("GOBAKE_CPUPROFILE"), os.Getenv("GOBAKE_TRACE"))
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stopProfile()
	stop()
	if tmp != nil {
		tmp.Close()
	}
	os.Exit(code)
}

// run parses args and runs the chosen command. It returns the process exit
// code. Whatever goes to stderr loses the credentials of URLs in it.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	f, isFile := stderr.(*os.File)
	stderrTTY := isFile && term.IsTerminal(int(f.Fd()))
	rs := redact.NewWriter(stderr)
	defer rs.Flush()
	stderr = rs
	var c cli
	exitCode := -1
	parser, err := kong.New(&c,
		kong.Name("gobake"),
		kong.Description("Declarative, daemonless container builds and releases for Go monorepos."),
		kong.UsageOnError(),
		kong.Writers(stdout, stderr),
		kong.Exit(func(code int) { exitCode = code }),
	)
	if err != nil {
		fmt.Fprintf(stderr, "gobake: %v\n", err)
		return 2
	}
	if answerCompletion(parser, os.Getenv) { // the shell asks, $COMP_LINE set
		return 0
	}
	kctx, err := parser.Parse(args)
	if exitCode >= 0 { // --help and friends
		return exitCode
	}
	if err != nil {
		fmt.Fprintf(stderr, "gobake: %v\n", err)
		return 2
	}
	g := &globals{ctx: ctx, stdin: os.Stdin, stdout: stdout, stderr: stderr, config: c.Config, stderrTTY: stderrTTY}
	if err := kctx.Run(g); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintf(stderr, "gobake: %s\n", ee.msg)
			}
			return ee.code
		}
		fmt.Fprintf(stderr, "gobake: %v\n", missingConfig(err, c.Config))
		return 1
	}
	return 0
}

// missingConfig turns the error of a command that found no gobake.yaml at
// path into one that says how to get one; other errors are returned as
// they are.
func missingConfig(err error, path string) error {
	var pe *fs.PathError
	if !errors.As(err, &pe) || !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if abs, aerr := filepath.Abs(pe.Path); aerr != nil || abs != path {
		return err
	}
	return fmt.Errorf("no %s in %s: run `gobake init` to write one, or pass --config PATH", filepath.Base(path), filepath.Dir(path))
}
