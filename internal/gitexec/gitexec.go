// Package gitexec is gobake's one way of running the git command-line
// tool: prompts off (no terminal, no askpass helper, ssh in batch mode), C
// locale so that messages can be matched, credentials in URLs redacted from
// every error, and git's own rules for reference names.
package gitexec

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"strings"
)

// Runner runs git commands in one directory.
type Runner struct {
	Dir string   // directory git runs in; "" means the current one
	Env []string // extra environment (KEY=VALUE), after the defaults of Environ
}

// Environ returns the environment git runs with: base (os.Environ() when
// nil) with prompts turned off and the C locale. An ssh command the user
// chose (GIT_SSH_COMMAND, GIT_SSH) is kept as is.
func Environ(base []string) []string {
	if base == nil {
		base = os.Environ()
	}
	env := append([]string(nil), base...)
	env = append(env, "GIT_TERMINAL_PROMPT=0", "GIT_ASKPASS=", "SSH_ASKPASS=", "LC_ALL=C", "LANGUAGE=")
	if !hasVar(base, "GIT_SSH_COMMAND") && !hasVar(base, "GIT_SSH") {
		env = append(env, "GIT_SSH_COMMAND=ssh -o BatchMode=yes")
	}
	return env
}

func hasVar(env []string, key string) bool {
	for _, kv := range env {
		if strings.HasPrefix(kv, key+"=") {
			return true
		}
	}
	return false
}

// Command returns the git command args to run in r.Dir with the
// environment of Environ plus r.Env.
func (r Runner) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = r.Dir
	cmd.Env = append(Environ(nil), r.Env...)
	return cmd
}

// Run runs git with args and returns its standard output, trimmed of
// surrounding white space.
func (r Runner) Run(ctx context.Context, args ...string) (string, error) {
	out, err := r.RunIn(ctx, nil, args...)
	return strings.TrimSpace(out), err
}

// RunIn runs git with args and stdin (nil for none) and returns its
// standard output as is. The error (an *Error) holds git's standard error,
// redacted.
func (r Runner) RunIn(ctx context.Context, stdin io.Reader, args ...string) (string, error) {
	cmd := r.Command(ctx, args...)
	cmd.Stdin = stdin
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), &Error{Args: args, Err: err, Stderr: strings.TrimSpace(stderr.String())}
	}
	return stdout.String(), nil
}

// Error is a git command that failed.
type Error struct {
	Args   []string // the arguments, as given
	Err    error    // how it failed: usually an *exec.ExitError
	Stderr string   // git's standard error, trimmed
}

// Error returns "git ARGS: ERR: STDERR" on one line, with credentials in
// URLs redacted.
func (e *Error) Error() string {
	msg := "git " + strings.Join(e.Args, " ") + ": " + e.Err.Error()
	if e.Stderr != "" {
		msg += ": " + strings.ReplaceAll(e.Stderr, "\n", "; ")
	}
	return Redact(msg)
}

func (e *Error) Unwrap() error { return e.Err }

// ExitCode returns the exit code of the git command that err reports, or
// -1 when err is not a git command that ran and exited.
func ExitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	return -1
}

// Missing reports whether err says that git is not installed.
func Missing(err error) bool { return errors.Is(err, exec.ErrNotFound) }
