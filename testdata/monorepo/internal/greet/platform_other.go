//go:build !windows

package greet

import "runtime"

func platform() string { return runtime.GOOS + "/" + runtime.GOARCH }
