//go:build windows

package greet

import "runtime"

// platform is never built by the sample's gobake.yaml (it has no windows
// platform); it exists so a change to it must not rebuild any image.
func platform() string { return "windows (" + runtime.GOARCH + ")" }
