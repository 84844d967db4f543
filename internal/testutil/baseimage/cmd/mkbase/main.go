// Command mkbase (re)writes the test base image as an OCI layout:
//
//	go run ./internal/testutil/baseimage/cmd/mkbase testdata/monorepo/bases/static
//
// The directory is replaced as a whole.
package main

import (
	"fmt"
	"os"

	"github.com/gobake/gobake/internal/testutil/baseimage"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: mkbase DIR")
		os.Exit(2)
	}
	dir := os.Args[1]
	if err := os.RemoveAll(dir); err != nil {
		fmt.Fprintf(os.Stderr, "mkbase: %v\n", err)
		os.Exit(1)
	}
	if err := baseimage.WriteLayout(dir); err != nil {
		fmt.Fprintf(os.Stderr, "mkbase: %v\n", err)
		os.Exit(1)
	}
}
