package engine

import (
	"context"
	"errors"
	"io"
	"os/exec"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// onPath is a lookPath finding only the programs given.
func onPath(progs ...string) func(string) (string, error) {
	return func(p string) (string, error) {
		for _, q := range progs {
			if p == q {
				return "/usr/bin/" + p, nil
			}
		}
		return "", exec.ErrNotFound
	}
}

func TestFind(t *testing.T) {
	tests := []struct {
		name    string
		spec    string
		path    []string
		want    []string
		wantErr string
	}{
		{name: "podman first", spec: "", path: []string{"docker", "podman"}, want: []string{"/usr/bin/podman"}},
		{name: "auto", spec: Auto, path: []string{"podman"}, want: []string{"/usr/bin/podman"}},
		{name: "docker when no podman", spec: "auto", path: []string{"docker"}, want: []string{"/usr/bin/docker"}},
		{name: "named", spec: "docker", path: []string{"docker", "podman"}, want: []string{"/usr/bin/docker"}},
		{name: "with arguments", spec: " podman  --root /s/root --runroot /s/run ", path: []string{"podman"}, want: []string{"/usr/bin/podman", "--root", "/s/root", "--runroot", "/s/run"}},
		{name: "none", path: nil, wantErr: "no container engine: neither podman nor docker is on $PATH (install one, or name it with --engine or $GOBAKE_ENGINE)"},
		{name: "named missing", spec: "nerdctl", path: []string{"podman"}, wantErr: `container engine "nerdctl": executable file not found in $PATH`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := Find(tt.spec, onPath(tt.path...))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("Find error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, e.Command); diff != "" {
				t.Errorf("command (-want +got):\n%s", diff)
			}
		})
	}
}

// TestLoadFailure checks that a load that fails early reports the engine's
// own message, not a broken pipe, and does not hang the writer.
func TestLoadFailure(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	// sh -c 'echo …; exit 3' load: the "engine" refuses at once.
	e := Engine{Command: []string{sh, "-c", "echo refused: no space left >&2; exit 3"}}
	err = e.Load(context.Background(), func(w io.Writer) error {
		for range 1 << 10 { // 64 MiB, far over a pipe's buffer
			if _, err := w.Write(make([]byte, 64<<10)); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || !strings.Contains(err.Error(), "sh load: exit status 3: refused: no space left") {
		t.Errorf("Load error = %v", err)
	}
	if errors.Is(err, io.ErrClosedPipe) {
		t.Errorf("Load error is the pipe's: %v", err)
	}
}

// TestRun checks the command line Run gives the engine and that the
// engine's status is returned as the status, not as an error.
func TestRun(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Fatal(err)
	}
	// The "engine" prints its arguments and exits with the last one.
	e := Engine{Command: []string{sh, "-c", `echo "$@"; eval "exit \${$#}"`, "engine"}}
	var out strings.Builder
	code, err := e.Run(context.Background(), "localhost/echo:latest", []string{"-p", "8080:8080"}, []string{"a", "9"}, IO{Stdout: &out})
	if err != nil {
		t.Fatal(err)
	}
	if code != 9 {
		t.Errorf("status %d, want 9", code)
	}
	if diff := cmp.Diff("run --rm -p 8080:8080 localhost/echo:latest a 9\n", out.String()); diff != "" {
		t.Errorf("engine arguments (-want +got):\n%s", diff)
	}
}
