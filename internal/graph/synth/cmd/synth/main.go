// Command synth writes the synthetic monorepo of package synth, with its
// gobake.yaml, into a directory, for benchmarking gobake plan by hand or
// from bench/plan.sh.
//
//	go run ./internal/graph/synth/cmd/synth [-mains N] [-core N] [-per-domain N] [-modules N] [-extras] [-realistic [-modules-from go.mod]] DIR
//
// With -realistic, mains link much of the standard library; with
// -modules-from, also modules required by that go.mod (gobake's own: a
// registry client, YAML, go/packages) at its versions: run `go mod tidy`
// in DIR afterwards (GOPROXY=off works when they are in the module cache).
package main

import (
	"flag"
	"fmt"
	"os"

	"golang.org/x/mod/modfile"

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
	flag.BoolVar(&s.Realistic, "realistic", false, "mains link much of the standard library (binaries of tens of MB)")
	modulesFrom := flag.String("modules-from", "", "with -realistic, also link modules at the versions this go.mod requires")
	flag.Usage = func() {
		fmt.Fprintln(flag.CommandLine.Output(), "usage: synth [flags] DIR")
		flag.PrintDefaults()
	}
	flag.Parse()
	if flag.NArg() != 1 {
		flag.Usage()
		os.Exit(2)
	}
	if *modulesFrom != "" {
		b, err := os.ReadFile(*modulesFrom)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		f, err := modfile.ParseLax(*modulesFrom, b, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		s.Require = map[string]string{}
		for _, r := range f.Require {
			s.Require[r.Mod.Path] = r.Mod.Version
		}
	}
	if _, err := synth.Generate(flag.Arg(0), s); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
