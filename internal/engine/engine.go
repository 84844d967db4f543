// Package engine drives the local container engine's command line (podman
// or docker) to load images built by gobake and run them. gobake talks to
// neither engine's API: images are streamed to `<engine> load` as a
// docker-archive tarball, and containers are run with `<engine> run`.
package engine

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
)

// EnvVar names the environment variable choosing the engine, as --engine
// does.
const EnvVar = "GOBAKE_ENGINE"

// Auto is the engine spec that picks podman when it is on $PATH, else
// docker.
const Auto = "auto"

// Engine is a container engine's command line: the program and the global
// arguments every invocation starts with (e.g. podman --root DIR).
type Engine struct {
	Command []string // program and global arguments
}

// Name is the engine's program name without its directory, e.g. "podman".
func (e Engine) Name() string {
	if len(e.Command) == 0 {
		return ""
	}
	return filepath.Base(e.Command[0])
}

// Find returns the engine spec chooses. spec is "" or Auto (podman when
// it is on $PATH, else docker: podman first, as it needs no daemon), or a
// command line split on blanks, e.g. "docker" or
// "podman --root /tmp/storage". lookPath finds programs (exec.LookPath).
func Find(spec string, lookPath func(string) (string, error)) (Engine, error) {
	words := strings.Fields(spec)
	if len(words) == 0 || (len(words) == 1 && words[0] == Auto) {
		for _, prog := range []string{"podman", "docker"} {
			if path, err := lookPath(prog); err == nil {
				return Engine{Command: []string{path}}, nil
			}
		}
		return Engine{}, errors.New("no container engine: neither podman nor docker is on $PATH (install one, or name it with --engine or $" + EnvVar + ")")
	}
	path, err := lookPath(words[0])
	if err != nil {
		return Engine{}, fmt.Errorf("container engine %q: %w", words[0], err)
	}
	return Engine{Command: append([]string{path}, words[1:]...)}, nil
}

// cmd is the engine's command with args after its global arguments.
func (e Engine) cmd(ctx context.Context, args ...string) *exec.Cmd {
	full := append(append([]string{}, e.Command[1:]...), args...)
	return exec.CommandContext(ctx, e.Command[0], full...)
}

// Load runs `<engine> load` with a docker-archive tarball on its standard
// input, written by write. The engine's output is returned with the error
// when it fails.
func (e Engine) Load(ctx context.Context, write func(io.Writer) error) error {
	cmd := e.cmd(ctx, "load")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("%s load: %w", e.Name(), err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("%s load: %w", e.Name(), err)
	}
	// A load that dies early makes the writes fail (broken pipe) rather
	// than block; its own error, then, says more.
	werr := write(stdin)
	if cerr := stdin.Close(); werr == nil {
		werr = cerr
	}
	err = cmd.Wait()
	if err != nil {
		return fmt.Errorf("%s load: %w: %s", e.Name(), err, strings.TrimSpace(out.String()))
	}
	if werr != nil {
		return fmt.Errorf("%s load: write the images: %w", e.Name(), werr)
	}
	return nil
}

// IO is where a container's standard streams go.
type IO struct {
	Stdin          io.Reader
	Stdout, Stderr io.Writer
}

// Run runs `<engine> run --rm [runArgs...] image args...` and returns the
// container's exit status. The error is set only when the engine could
// not be started or was killed; a non-zero status of the engine (which
// passes on the container's) is returned as the status.
func (e Engine) Run(ctx context.Context, image string, runArgs, args []string, stdio IO) (int, error) {
	cmdArgs := append([]string{"run", "--rm"}, runArgs...)
	cmdArgs = append(append(cmdArgs, image), args...)
	cmd := e.cmd(ctx, cmdArgs...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdio.Stdin, stdio.Stdout, stdio.Stderr
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() >= 0 {
		return ee.ExitCode(), nil
	}
	if err != nil {
		return -1, fmt.Errorf("%s run %s: %w", e.Name(), image, err)
	}
	return 0, nil
}
