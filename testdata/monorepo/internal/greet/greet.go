// Package greet formats the lines every sample binary prints.
package greet

import (
	"fmt"

	"example.com/greeting"
)

// Line returns the greeting of the binary called name.
func Line(name string) string { return greeting.For(name) }

// Header returns the first lines a binary prints: its name, version and
// the platform it was built for.
func Header(name, version string) []string {
	return []string{
		fmt.Sprintf("name: %s", name),
		fmt.Sprintf("version: %s", version),
		fmt.Sprintf("greeting: %s", Line(name)),
		fmt.Sprintf("platform: %s", platform()),
	}
}
