package main

import (
	"os/exec"
	"runtime"

	"github.com/gobake/gobake/internal/engine"
)

// engineFlag chooses the local container engine of --load and gobake run.
type engineFlag struct {
	Engine string `placeholder:"CMD" env:"GOBAKE_ENGINE" default:"auto" help:"Local container engine: auto (podman if on $PATH, else docker), or its command line, e.g. docker, or 'podman --root DIR'."`
}

// engine finds the engine the flag names.
func (f engineFlag) engine() (engine.Engine, error) {
	return engine.Find(f.Engine, exec.LookPath)
}

// hostPlatform is the platform a local engine runs natively: linux on
// gobake's architecture.
func hostPlatform() string {
	return "linux/" + hostArch()
}

// hostArch is the architecture of hostPlatform.
func hostArch() string {
	return runtime.GOARCH
}
