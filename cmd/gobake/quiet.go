package main

import "io"

// quietFlag silences a command's progress lines; errors are still printed.
type quietFlag struct {
	Quiet bool `short:"q" help:"Print no progress on stderr: only the output and errors."`
}

// progress is where progress lines go: stderr, or nowhere with --quiet.
func (f quietFlag) progress(g *globals) io.Writer {
	if f.Quiet {
		return io.Discard
	}
	return g.stderr
}
