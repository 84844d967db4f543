package version

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"

	"github.com/gobake/gobake/internal/reltag"
)

// DefaultInitial is the version of an image's first release when
// release.initialVersion is not set.
const DefaultInitial = reltag.DefaultInitial

// Input is what Next decides the version of one image from.
type Input struct {
	Last     *Tagged                // the last final release (see Last); nil before the first
	Commits  []Commit               // the commits since Last (the whole history before the first), newest first
	Relevant func(file string) bool // whether a file, relative to the repository root, is an input of the image; nil: every file is
	Changed  string                 // why the inputs changed besides the commits' files ("base image changed"); "" when they did not
	Existing []*semver.Version      // every version tagged for the image anywhere (see Tags with at ""), to number pre-releases and refuse duplicates
}

// Options are the choices of the person releasing.
type Options struct {
	Initial  *semver.Version // version of the first release; nil means DefaultInitial
	Pre      string          // pre-release identifier ("rc"): X.Y.Z-rc.N; "" for a final release
	Metadata string          // build metadata appended after "+" ("build.7"); "" for none
	Override *semver.Version // the version to release as given (--version image=V); nil to compute it
}

// Cause is a commit that changes an image, and the bump it asks for.
type Cause struct {
	Commit Commit       // the commit
	Header Conventional // its parsed message
	Bump   Bump         // what it asks for (before the 0.x rule)
	Files  []string     // its changed files that are inputs of the image
}

// Decision is the next version of an image and why.
type Decision struct {
	Version *semver.Version // the version to release; nil when there is nothing to release
	Bump    Bump            // the bump applied to Last (after the 0.x rule); BumpNone for a first release or an override
	Reason  string          // one line for the release summary
	Causes  []Cause         // the commits that change the image, newest first
}

// CausesOf returns the commits that change an image, newest first as
// commits are: those that are not gobake's release commits and touch a
// file relevant says is an input (every file when relevant is nil).
func CausesOf(commits []Commit, relevant func(file string) bool) []Cause {
	var causes []Cause
	for _, c := range commits {
		if IsRelease(c) {
			continue
		}
		var files []string
		for _, f := range c.Files {
			if relevant == nil || relevant(f) {
				files = append(files, f)
			}
		}
		if len(files) == 0 {
			continue
		}
		h := ParseConventional(c.Message())
		causes = append(causes, Cause{Commit: c, Header: h, Bump: h.Bump(), Files: files})
	}
	return causes
}

// Next decides the next version of an image: see the package
// documentation for the rules.
func Next(in Input, opts Options) (Decision, error) {
	d := Decision{Causes: CausesOf(in.Commits, in.Relevant)}
	want, top := BumpNone, -1
	for i, c := range d.Causes {
		if c.Bump > want {
			want, top = c.Bump, i
		}
	}

	switch {
	case opts.Override != nil:
		// A pre-release identifier applies to a given version as to a
		// computed one: 2.0.0 with rc is 2.0.0-rc.N, numbered after the
		// existing ones. A given pre-release cannot take another.
		v := opts.Override
		d.Reason = "version " + opts.Override.String() + " given"
		if opts.Pre != "" {
			if v.Prerelease() != "" {
				return Decision{}, fmt.Errorf("version %s is a pre-release already; give X.Y.Z to make X.Y.Z-%s.N, or leave out the pre-release identifier %q", v, opts.Pre, opts.Pre)
			}
			var err error
			if v, err = decorate(v, Options{Pre: opts.Pre}, in.Existing); err != nil {
				return Decision{}, err
			}
			d.Reason += ", pre-release " + opts.Pre
		}
		if in.Last != nil && !v.GreaterThan(in.Last.Version) {
			return Decision{}, fmt.Errorf("version %s is not above the last release %s (%s)", v, in.Last.Version, in.Last.Tag)
		}
		d.Version = v
		return d, checkUnused(d.Version, in.Existing)
	case in.Last == nil:
		initial := opts.Initial
		if initial == nil {
			initial = semver.MustParse(DefaultInitial)
		}
		d.Version = initial
		d.Reason = "first release"
	case want == BumpNone && in.Changed != "":
		d.Bump = BumpPatch
		d.Version = bump(in.Last.Version, BumpPatch)
		d.Reason = "patch: " + in.Changed
	case want == BumpNone:
		d.Reason = "no change since " + in.Last.Tag
		return d, nil
	default:
		d.Bump = want
		why := ""
		if want == BumpMajor && in.Last.Version.Major() == 0 {
			d.Bump = BumpMinor
			why = " (breaking change before 1.0.0)"
		}
		d.Version = bump(in.Last.Version, d.Bump)
		d.Reason = fmt.Sprintf("%s%s: %s (%s)", d.Bump, why, d.Causes[top].Commit.Subject, d.Causes[top].Commit.Short())
		if n := len(d.Causes) - 1; n > 0 {
			d.Reason += fmt.Sprintf(" and %d more %s", n, plural(n, "commit", "commits"))
		}
	}

	v, err := decorate(d.Version, opts, in.Existing)
	if err != nil {
		return Decision{}, err
	}
	d.Version = v
	return d, checkUnused(v, in.Existing)
}

// bump applies b to v, which is a final version.
func bump(v *semver.Version, b Bump) *semver.Version {
	var n semver.Version
	switch b {
	case BumpMajor:
		n = v.IncMajor()
	case BumpMinor:
		n = v.IncMinor()
	default:
		n = v.IncPatch()
	}
	return &n
}

// decorate adds the pre-release and the build metadata of opts to v: the
// pre-release number is one more than the highest of existing for the same
// X.Y.Z and identifier.
func decorate(v *semver.Version, opts Options, existing []*semver.Version) (*semver.Version, error) {
	out := *v
	if opts.Pre != "" {
		if strings.Contains(opts.Pre, ".") {
			return nil, fmt.Errorf("pre-release identifier %q: must be one word, e.g. rc", opts.Pre)
		}
		n := 0
		for _, e := range existing {
			if e.Major() != v.Major() || e.Minor() != v.Minor() || e.Patch() != v.Patch() {
				continue
			}
			id, num, ok := strings.Cut(e.Prerelease(), ".")
			if k, err := strconv.Atoi(num); ok && id == opts.Pre && err == nil && k > n {
				n = k
			}
		}
		var err error
		if out, err = out.SetPrerelease(opts.Pre + "." + strconv.Itoa(n+1)); err != nil {
			return nil, fmt.Errorf("pre-release identifier %q: %w", opts.Pre, err)
		}
	}
	if opts.Metadata != "" {
		var err error
		if out, err = out.SetMetadata(opts.Metadata); err != nil {
			return nil, fmt.Errorf("build metadata %q: %w", opts.Metadata, err)
		}
	}
	return &out, nil
}

// checkUnused fails when v is already tagged (build metadata aside).
func checkUnused(v *semver.Version, existing []*semver.Version) error {
	for _, e := range existing {
		if e.Equal(v) {
			return fmt.Errorf("version %s is already tagged (as %s)", v, e)
		}
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}
