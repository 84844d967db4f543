package main

import (
	"fmt"
	"runtime/debug"
)

// version is set at link time by gobake's own gobake.yaml (-X main.version=…).
var version = ""

type versionCmd struct{}

func (versionCmd) Run(g *globals) error {
	v := version
	if v == "" {
		v = "(devel)"
		if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
			v = bi.Main.Version
		}
	}
	_, err := fmt.Fprintf(g.stdout, "gobake %s\n", v)
	return err
}
