package graph

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
)

// codegenVars are the go env variables that change the code the toolchain
// generates, besides GOOS and GOARCH (which the platform fixes).
var codegenVars = []string{
	"GOEXPERIMENT", "GOFLAGS", "GOAMD64", "GOARM", "GOARM64", "GO386",
	"GOMIPS", "GOMIPS64", "GOPPC64", "GORISCV64", "GOWASM", "GOFIPS140",
}

// goEnv is what go env reports for one build configuration.
type goEnv struct {
	Version  string            // GOVERSION
	Root     string            // GOROOT
	ModCache string            // GOMODCACHE
	Work     string            // GOWORK, "" when none
	Codegen  map[string]string // codegenVars that are set
	All      map[string]string // every variable of goEnvVars: what a stored graph must match
}

// goEnvVars are the go env variables read: besides codegenVars, those that
// choose the toolchain, the modules and the packages go list finds.
var goEnvVars = append([]string{
	"GOVERSION", "GOROOT", "GOMODCACHE", "GOWORK", "GOMOD", "GO111MODULE", "GOPATH",
	"GOTOOLCHAIN", "GOOS", "GOARCH", "CGO_ENABLED", "GOPROXY", "GONOSUMDB", "GOPRIVATE",
}, codegenVars...)

// readGoEnv runs go env in b.Dir with b's environment.
func readGoEnv(ctx context.Context, b buildConfig) (goEnv, error) {
	args := append([]string{"env", "-json"}, goEnvVars...)
	cmd := exec.CommandContext(ctx, "go", args...)
	cmd.Dir = b.Dir
	cmd.Env = append(os.Environ(), b.Env...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return goEnv{}, fmt.Errorf("go env in %s: %w: %s", b.Dir, err, bytes.TrimSpace(stderr.Bytes()))
	}
	var m map[string]string
	if err := json.Unmarshal(out, &m); err != nil {
		return goEnv{}, fmt.Errorf("go env in %s: %w", b.Dir, err)
	}
	e := goEnv{Version: m["GOVERSION"], Root: m["GOROOT"], ModCache: m["GOMODCACHE"], Codegen: map[string]string{}, All: m}
	if w := m["GOWORK"]; w != "" && w != "off" {
		e.Work = w
	}
	for _, v := range codegenVars {
		if m[v] != "" {
			e.Codegen[v] = m[v]
		}
	}
	return e, nil
}
