package e2e

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/testutil"
)

// argsMain prints its arguments and exits with the status its first one
// names, so that a run shows both passed through.
const argsMain = `package main

import (
	"fmt"
	"os"
	"strconv"
)

func main() {
	fmt.Println("args:", os.Args[1:])
	if len(os.Args) > 1 {
		code, _ := strconv.Atoi(os.Args[1])
		os.Exit(code)
	}
}
`

// localEnv is the environment of a gobake run whose engine is podman with
// its storage under storage, as testutil.Podman runs it.
func localEnv(t *testing.T, storage string) []string {
	t.Helper()
	return []string{
		"GOPROXY=off",
		"CONTAINERS_CONF=" + filepath.Join(testutil.RepoRoot(t), filepath.FromSlash(testutil.PodmanConf)),
		"GOBAKE_ENGINE=podman --root " + filepath.Join(storage, "root") + " --runroot " + filepath.Join(storage, "run"),
	}
}

// podmanImages lists the REPOSITORY:TAG names in podman's storage.
func podmanImages(t *testing.T, storage string) []string {
	t.Helper()
	out, err := testutil.Podman(t, storage, "images", "--format", "{{.Repository}}:{{.Tag}}")
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(out.Stdout)
}

// TestLocalLoop loads a built image into podman (build --load), builds and
// runs one (gobake run, its arguments and exit status passed through),
// runs docs/skaffold.md's build command as Skaffold's custom builder does
// with push: false and finds $IMAGE in podman, and fails with one line
// when no engine is found. One tiny scratch image, one podman storage.
func TestLocalLoop(t *testing.T) {
	parallelAfterWarmup(t)
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"go.mod":           "module example.com/loop\n\ngo 1.22\n",
		"cmd/echo/main.go": argsMain,
		"gobake.yaml":      "version: 1\ndefaults:\n  base: scratch\n  platforms: [linux/amd64, linux/arm64]\nimages:\n  echo:\n    main: ./cmd/echo\n",
	})
	testutil.GitInit(t, dir)
	storage := testutil.PodmanStorage(t)
	env := localEnv(t, storage)

	t.Run("build --load", func(t *testing.T) {
		out := gobake.MustRun(t, dir, env, "build", "--load")
		if !regexp.MustCompile(`(?m)^echo@sha256:[0-9a-f]{64}$`).MatchString(out.Stdout) {
			t.Errorf("stdout is not the loaded image's reference:\n%s", out.Stdout)
		}
		if got := podmanImages(t, storage); !cmp.Equal([]string{"localhost/echo:latest"}, got) {
			t.Errorf("podman images = %v, want [localhost/echo:latest]", got)
		}
	})

	t.Run("run", func(t *testing.T) {
		// --network=none: podman sets up no network, as the
		// container needs none (and it is quicker).
		out := gobake.Run(t, dir, env, "run", "echo", "--engine-arg=--network=none", "--", "7", "--flag", "two words")
		if out.ExitCode != 7 {
			t.Fatalf("gobake run exited %d, want the container's 7: %s", out.ExitCode, out)
		}
		if diff := cmp.Diff("args: [7 --flag two words]\n", out.Stdout); diff != "" {
			t.Errorf("container output (-want +got):\n%s", diff)
		}
		out = gobake.Run(t, dir, env, "run", "echo", "-q", "--engine-arg=--network=none")
		if out.ExitCode != 0 || out.Stdout != "args: []\n" || out.Stderr != "" {
			t.Errorf("gobake run -q echo without arguments: %s", out)
		}
	})

	t.Run("skaffold push false", func(t *testing.T) {
		doc, err := os.ReadFile(filepath.Join(testutil.RepoRoot(t), "docs", "skaffold.md"))
		if err != nil {
			t.Fatal(err)
		}
		m := regexp.MustCompile(`(?m)^\s*buildCommand: (.+)$`).FindSubmatch(doc)
		if m == nil {
			t.Fatal("docs/skaffold.md gives no buildCommand")
		}
		script := string(m[1])
		const image = "localhost:5000/team/echo:v1-3f2a9c1"
		// What Skaffold's custom builder sets, with push: false.
		skaffoldEnv := append(env, "IMAGE="+image, "PUSH_IMAGE=false", "BUILD_CONTEXT="+dir,
			"PATH="+filepath.Dir(gobake.Path(t))+string(os.PathListSeparator)+os.Getenv("PATH"))
		cmd := exec.CommandContext(t.Context(), "sh", "-c", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), skaffoldEnv...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("sh -c %q: %v\n%s", script, err, out)
		}
		if _, err := testutil.Podman(t, storage, "image", "exists", image); err != nil {
			t.Errorf("Skaffold would not find $IMAGE in the local engine: %v (images: %v)", err, podmanImages(t, storage))
		}
	})

	t.Run("no engine", func(t *testing.T) {
		goBin, err := exec.LookPath("go")
		if err != nil {
			t.Fatal(err)
		}
		out := gobake.Run(t, dir, []string{"GOBAKE_ENGINE=auto", "PATH=" + filepath.Dir(goBin)}, "build", "--load")
		want := "gobake: no container engine: neither podman nor docker is on $PATH (install one, or name it with --engine or $GOBAKE_ENGINE)\n"
		if out.ExitCode != 1 || out.Stderr != want {
			t.Errorf("build --load without an engine: %s\nwant exit 1 and stderr %q", out, want)
		}
	})
}
