package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"runtime/trace"
)

// startProfiles starts the profiles the hidden variables ask for and
// returns what stops them: GOBAKE_CPUPROFILE=FILE writes a CPU profile of
// the run (for `go tool pprof`), GOBAKE_TRACE=FILE an execution trace (for
// `go tool trace`: where the wall time goes, goroutines blocked on I/O
// and on go build included). A profile that cannot be written is reported
// on standard error and the run goes on.
func startProfiles(cpu, tr string) func() {
	stopCPU := startProfile("GOBAKE_CPUPROFILE", cpu, pprof.StartCPUProfile, pprof.StopCPUProfile)
	stopTrace := startProfile("GOBAKE_TRACE", tr, trace.Start, trace.Stop)
	return func() {
		stopTrace()
		stopCPU()
	}
}

// startProfile starts one profile into path, named by variable name in
// errors; "" profiles nothing.
func startProfile(name, path string, start func(w io.Writer) error, stop func()) func() {
	if path == "" {
		return func() {}
	}
	f, err := os.Create(path)
	if err != nil {
		fmt.Fprintf(os.Stderr, "gobake: %s: %v\n", name, err)
		return func() {}
	}
	if err := start(f); err != nil {
		fmt.Fprintf(os.Stderr, "gobake: %s: %v\n", name, err)
		f.Close()
		return func() {}
	}
	return func() {
		stop()
		f.Close()
	}
}
