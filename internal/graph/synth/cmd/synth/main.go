// Command synth writes the synthetic monorepo of package synth, with its
// gobake.yaml, into a directory, for benchmarking gobake plan by hand or
// from bench/plan.sh.
//
//	go run ./internal/graph/synth/cmd/synth [-mains N] [-core N] [-per-domain N] [-modules N] [-extras] DIR
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/gobake/gobake/internal/graph/synth"
)

func main() {
	s := synth.Default()
	flag.IntVar(&s.Mains, "mains", s.Mains, "services, one image each")
	flag.IntVar(&s.Core, "core", s.Core, "shared core packages")
	flag.IntVar(&s.PerDomain, "per-domain", s.PerDomain, "packages of each service's domain")
	flag.Uint64Var(&s.Seed, "seed", s.Seed, "random seed")
	flag.IntVar(&s.Modules, "modules", s.Modules, "third-party modules, vendored")
	flag.BoolVar(&s.Extras, "extras", s.Extras, "kodata dirs, windows-only files and a README")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: synth [flags] DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if _, err := synth.Generate(flag.Arg(0), s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
