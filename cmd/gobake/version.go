package main

import (
	"fmt"
	"runtime/debug"
)

// version is set at link time by gobake's own gobake.yaml (-X main.version=…).
var version = ""

type versionCmd struct{}

func (versionCmd) Run(g *globals) error {
	_, err := fmt.Fprintf(g.stdout, "gobake %s\n", gobakeVersion())
	return err
}

// gobakeVersion is gobake's version: set at link time, else the module's,
// else "(devel)".
func gobakeVersion() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
