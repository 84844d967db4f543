//go:build tools

// Package tools pins the code generators go.mod requires.
package tools
