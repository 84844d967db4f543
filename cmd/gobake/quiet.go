package main

import "io"

// quietFlag chooses how a command shows its progress on stderr: bars on a
// terminal, plain lines otherwise, nothing with --quiet; errors are still
// printed.
type quietFlag struct {
	Quiet    bool   `short:"q" help:"Print no progress on stderr: only the output and errors."`
	Progress string `default:"auto" enum:"auto,plain,tty" help:"How progress is shown on stderr: a bar per image and a final table on a terminal (tty), one line per event (plain), or tty when stderr is a terminal (${enum}; default: ${default})."`
}

// progress is where progress lines go: stderr, or nowhere with --quiet.
func (f quietFlag) progress(g *globals) io.Writer {
	if f.Quiet {
		return io.Discard
	}
	return g.stderr
}

// bars reports whether progress is shown as bars: with --progress=tty, or
// with auto when stderr is a terminal; never with --quiet.
func (f quietFlag) bars(g *globals) bool {
	switch {
	case f.Quiet || f.Progress == "plain":
		return false
	case f.Progress == "tty":
		return true
	}
	return g.stderrTTY
}

// display starts the progress display of a build: bars (see bars), else
// plain lines to progress.
func (f quietFlag) display(g *globals) display {
	if f.bars(g) {
		return newBarDisplay(g.ctx, g.stderr)
	}
	return plainDisplay{w: f.progress(g)}
}
