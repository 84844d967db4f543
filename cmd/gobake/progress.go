package main

import (
	"context"
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/gobake/gobake/internal/layering"
)

// display shows the progress of a build: plain lines or bars.
type display interface {
	// log is where the builder's progress lines go.
	log() io.Writer
	// status is where a command's own progress lines go (a release's
	// steps: claims, tags, GitOps), whole lines per write.
	status() io.Writer
	// observer receives the build's and the publisher's events; nil when
	// the display has no use for them.
	observer() layering.Observer
	// settle shows an image that was built but will not be published
	// (a dry run, a release that failed before its push, a build that
	// is its last release) as done, with note where the table shows
	// references. Images the display has not seen are left out.
	settle(image, note string)
	// finish stops the display; bars end with a table of the images.
	// Calls after the first do nothing.
	finish()
}

// plainDisplay is today's line-per-event log (or nothing with --quiet).
type plainDisplay struct{ w io.Writer }

func (d plainDisplay) log() io.Writer              { return d.w }
func (d plainDisplay) status() io.Writer           { return d.w }
func (d plainDisplay) observer() layering.Observer { return nil }
func (d plainDisplay) settle(string, string)       {}
func (d plainDisplay) finish()                     {}

// barDisplay draws one bar per image, with its phase and the bytes it
// pushed, and prints a table of the images when finished.
type barDisplay struct {
	out  io.Writer
	p    *mpb.Progress
	once sync.Once // finish's

	mu     sync.Mutex // guards images, order and statusBar, never held calling mpb
	images map[string]*imageProgress
	order  []string // images in order of their first event

	statusBar  *mpb.Bar     // the line under the bars showing status's last line; nil before it
	statusText atomic.Value // string
}

// imageProgress is what the display knows of one image. Its mutex is
// never held while calling mpb, whose drawing calls its decorators.
type imageProgress struct {
	bar *mpb.Bar

	mu              sync.Mutex
	phase           layering.Phase
	platforms       []string
	complete, total int64
	reference       string
	start, end      time.Time
}

// newBarDisplay starts bars drawn on out, a terminal (or forced to be
// treated as one).
func newBarDisplay(ctx context.Context, out io.Writer) *barDisplay {
	return &barDisplay{
		out:    out,
		p:      mpb.NewWithContext(ctx, mpb.WithOutput(out), mpb.ForceTTY(), mpb.WithAutoRefresh(), mpb.WithWidth(60), mpb.WithRefreshRate(100*time.Millisecond)),
		images: map[string]*imageProgress{},
	}
}

// log drops the builder's lines: the bars say the same.
func (d *barDisplay) log() io.Writer { return io.Discard }

// status shows the last line written to it on a line under the bars,
// never between them; the command's summary says the rest afterwards.
func (d *barDisplay) status() io.Writer { return statusWriter{d} }

// statusWriter is barDisplay.status's writer.
type statusWriter struct{ d *barDisplay }

// Write shows the last non-empty line of p as the status.
func (w statusWriter) Write(p []byte) (int, error) {
	lines := strings.Split(strings.TrimSpace(string(p)), "\n")
	if last := strings.TrimSpace(lines[len(lines)-1]); last != "" {
		w.d.statusText.Store(last)
		w.d.mu.Lock()
		if w.d.statusBar == nil {
			w.d.statusBar = w.d.p.New(0, mpb.NopStyle(), mpb.BarPriority(math.MaxInt),
				mpb.PrependDecorators(decor.Any(func(decor.Statistics) string { s, _ := w.d.statusText.Load().(string); return s })))
		}
		w.d.mu.Unlock()
	}
	return len(p), nil
}

func (d *barDisplay) observer() layering.Observer { return layering.ObserverFunc(d.observe) }

// image returns the progress of name, adding its bar on first use.
func (d *barDisplay) image(name string) *imageProgress {
	d.mu.Lock()
	defer d.mu.Unlock()
	im := d.images[name]
	if im == nil {
		im = &imageProgress{start: time.Now()}
		im.bar = d.p.AddBar(0,
			mpb.PrependDecorators(decor.Name(name, decor.WCSyncSpaceR), decor.Any(im.phaseText, decor.WCSyncSpaceR)),
			mpb.AppendDecorators(decor.Any(im.bytesText)),
			mpb.BarFillerOnAbort("failed"))
		d.images[name] = im
		d.order = append(d.order, name)
	}
	return im
}

// observe updates the bar of e's image.
func (d *barDisplay) observe(e layering.Event) {
	im := d.image(e.Image)
	im.mu.Lock()
	if e.Platform != "" && !slices.Contains(im.platforms, e.Platform) {
		im.platforms = append(im.platforms, e.Platform)
	}
	if im.phase == layering.PhaseFailed || im.phase == layering.PhaseDone {
		im.mu.Unlock()
		return // a final state stays
	}
	im.phase = e.Phase
	switch e.Phase {
	case layering.PhasePush:
		if e.Total > 0 {
			im.complete, im.total = e.Complete, e.Total
		}
	case layering.PhaseDone:
		im.reference, im.end = e.Reference, time.Now()
	case layering.PhaseFailed:
		im.end = time.Now()
	}
	im.mu.Unlock()

	switch e.Phase {
	case layering.PhasePush:
		if e.Total > 0 {
			im.bar.SetTotal(e.Total, false)
			im.bar.SetCurrent(e.Complete)
		}
	case layering.PhaseDone:
		im.bar.SetTotal(-1, true)
	case layering.PhaseFailed:
		im.bar.Abort(false)
	}
}

// phaseText is the decorator showing im's phase.
func (im *imageProgress) phaseText(decor.Statistics) string {
	im.mu.Lock()
	defer im.mu.Unlock()
	return string(im.phase)
}

// bytesText is the decorator showing the bytes im pushed.
func (im *imageProgress) bytesText(decor.Statistics) string {
	im.mu.Lock()
	defer im.mu.Unlock()
	if im.total == 0 {
		return ""
	}
	return fmt.Sprintf("%.1f / %.1f MiB", float64(im.complete)/(1<<20), float64(im.total)/(1<<20))
}

// settle marks image done with note as its reference, when it has a bar.
func (d *barDisplay) settle(image, note string) {
	d.mu.Lock()
	_, seen := d.images[image]
	d.mu.Unlock()
	if seen {
		d.observe(layering.Event{Image: image, Phase: layering.PhaseDone, Reference: note})
	}
}

// finish ends every bar still running (a failed build), waits for the
// last drawing and prints one row per image: its platforms, its reference
// (or failed) and how long it took.
func (d *barDisplay) finish() { d.once.Do(d.stop) }

// stop is finish, once.
func (d *barDisplay) stop() {
	d.mu.Lock()
	images := make([]*imageProgress, len(d.order))
	for i, name := range d.order {
		images[i] = d.images[name]
	}
	status := d.statusBar
	d.mu.Unlock()
	for _, im := range images {
		im.bar.Abort(false) // a no-op on completed bars
	}
	if status != nil {
		status.Abort(true) // the summary that follows says what it said
	}
	d.p.Wait()

	if len(images) == 0 {
		return
	}
	tw := tabwriter.NewWriter(d.out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "IMAGE\tPLATFORMS\tREFERENCE\tTIME")
	for i, im := range images {
		im.mu.Lock()
		ref, end := im.reference, im.end
		if ref == "" {
			ref = "failed"
		}
		if end.IsZero() {
			end = time.Now()
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", d.order[i], strings.Join(im.platforms, ","), ref, end.Sub(im.start).Round(100*time.Millisecond))
		im.mu.Unlock()
	}
	tw.Flush()
}
