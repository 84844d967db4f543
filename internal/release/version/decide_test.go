package version_test

import (
	"context"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-cmp/cmp"

	"github.com/gobake/gobake/internal/release/gitrepo"
	"github.com/gobake/gobake/internal/release/gitrepo/gittest"
	"github.com/gobake/gobake/internal/release/version"
)

// inputs says which files feed each image of the test repository.
func inputs(image string) func(string) bool {
	return func(f string) bool {
		return strings.HasPrefix(f, "svc/"+image+"/") || strings.HasPrefix(f, "lib/")
	}
}

// TestDecide walks a two-image repository through a series of releases,
// each step building on the state the previous ones left.
func TestDecide(t *testing.T) {
	ctx := context.Background()
	g := gittest.New(t)
	repo, err := gitrepo.Open(ctx, g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		Version, Tag, OCITag, Last, Reason string
	}
	steps := []struct {
		name   string
		setup  func()
		image  string
		opts   version.Options
		want   want
		tagged bool // tag the release when there is one
	}{
		{
			name: "first release of api",
			setup: func() {
				g.Commit("chore: init", map[string]string{
					"svc/api/main.go": "package main\n", "svc/web/main.go": "package main\n", "lib/lib.go": "package lib\n",
				})
			},
			image:  "api",
			want:   want{"0.1.0", "api/v0.1.0", "0.1.0", "", "first release"},
			tagged: true,
		},
		{
			name:   "first release of web",
			image:  "web",
			want:   want{"0.1.0", "web/v0.1.0", "0.1.0", "", "first release"},
			tagged: true,
		},
		{
			name: "a feat in web does not bump api",
			setup: func() {
				g.Commit("feat(web): dark mode", map[string]string{"svc/web/main.go": "package main // dark\n"})
			},
			image: "api",
			want:  want{"", "", "", "api/v0.1.0", "no change since api/v0.1.0"},
		},
		{
			name:  "but bumps web",
			image: "web",
			want:  want{"0.2.0", "web/v0.2.0", "0.2.0", "web/v0.1.0", "minor: feat(web): dark mode (%s)"},
		},
		{
			name: "fix is a patch",
			setup: func() {
				g.Commit("fix(api): nil token", map[string]string{"svc/api/main.go": "package main // fixed\n"})
			},
			image: "api",
			want:  want{"0.1.1", "api/v0.1.1", "0.1.1", "api/v0.1.0", "patch: fix(api): nil token (%s)"},
		},
		{
			name:  "breaking change before 1.0.0 is a minor",
			setup: func() { g.Commit("feat(lib)!: new claims", map[string]string{"lib/lib.go": "package lib // v2\n"}) },
			image: "api",
			want:  want{"0.2.0", "api/v0.2.0", "0.2.0", "api/v0.1.0", "minor (breaking change before 1.0.0): feat(lib)!: new claims (%s) and 1 more commit"},
		},
		{
			name:   "override",
			image:  "api",
			opts:   version.Options{Override: semver.MustParse("1.0.0")},
			want:   want{"1.0.0", "api/v1.0.0", "1.0.0", "api/v0.1.0", "version 1.0.0 given"},
			tagged: true,
		},
		{
			name:   "first pre-release",
			setup:  func() { g.Commit("feat(api): refresh", map[string]string{"svc/api/refresh.go": "package main\n"}) },
			image:  "api",
			opts:   version.Options{Pre: "rc"},
			want:   want{"1.1.0-rc.1", "api/v1.1.0-rc.1", "1.1.0-rc.1", "api/v1.0.0", "minor: feat(api): refresh (%s)"},
			tagged: true,
		},
		{
			name: "second pre-release",
			setup: func() {
				g.Commit("fix(api): refresh race", map[string]string{"svc/api/refresh.go": "package main // no race\n"})
			},
			image:  "api",
			opts:   version.Options{Pre: "rc"},
			want:   want{"1.1.0-rc.2", "api/v1.1.0-rc.2", "1.1.0-rc.2", "api/v1.0.0", "minor: feat(api): refresh (%s) and 1 more commit"},
			tagged: true,
		},
		{
			name:   "final release after pre-releases",
			image:  "api",
			want:   want{"1.1.0", "api/v1.1.0", "1.1.0", "api/v1.0.0", "minor: feat(api): refresh (%s) and 1 more commit"},
			tagged: true,
		},
		{
			name: "release commits are ignored",
			setup: func() {
				g.Commit("chore(release): api 1.1.0\n\nGobake-Release: true",
					map[string]string{"svc/api/deploy.yaml": "image: api:1.1.0\n"})
			},
			image: "api",
			want:  want{"", "", "", "api/v1.1.0", "no change since api/v1.1.0"},
		},
		{
			name: "breaking footer is a major; build metadata is mapped in the image tag",
			setup: func() {
				g.Commit("refactor(api): drop v1 routes\n\nBREAKING CHANGE: /v1 is gone", map[string]string{"svc/api/main.go": "package main // v2\n"})
			},
			image:  "api",
			opts:   version.Options{Metadata: "build.5"},
			want:   want{"2.0.0+build.5", "api/v2.0.0+build.5", "2.0.0_build.5", "api/v1.1.0", "major: refactor(api): drop v1 routes (%s)"},
			tagged: true,
		},
		{
			name:  "a tag with build metadata is the last release",
			setup: func() { g.Commit("perf(api): faster", map[string]string{"svc/api/main.go": "package main // fast\n"}) },
			image: "api",
			want:  want{"2.0.1", "api/v2.0.1", "2.0.1", "api/v2.0.0+build.5", "patch: perf(api): faster (%s)"},
		},
		{
			name: "tags on another branch are not the last release",
			setup: func() {
				g.Git("checkout", "--quiet", "-b", "side")
				g.Commit("feat(web): side", map[string]string{"svc/web/side.go": "package main\n"})
				g.Tag("web/v0.9.0", "HEAD")
				g.Git("checkout", "--quiet", "main")
			},
			image: "web",
			want:  want{"0.2.0", "web/v0.2.0", "0.2.0", "web/v0.1.0", "minor (breaking change before 1.0.0): feat(lib)!: new claims (%s) and 1 more commit"},
		},
	}
	for _, s := range steps {
		t.Run(s.name, func(t *testing.T) {
			if s.setup != nil {
				s.setup()
			}
			r, err := version.Decide(ctx, repo, version.Query{Image: s.image, Relevant: inputs(s.image), Options: s.opts})
			if err != nil {
				t.Fatal(err)
			}
			got := want{Tag: r.Tag, OCITag: r.OCITag, Reason: r.Reason}
			if r.Version != nil {
				got.Version = r.Version.String()
			}
			if r.Last != nil {
				got.Last = r.Last.Tag
			}
			w := s.want
			if strings.Contains(w.Reason, "%s") {
				if len(r.Causes) == 0 {
					t.Fatalf("no causes; reason %q", r.Reason)
				}
				w.Reason = strings.Replace(w.Reason, "%s", topCause(r).Commit.Short(), 1)
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("Decide (-want +got):\n%s", diff)
			}
			if head := g.Git("rev-parse", "HEAD"); r.Commit != head {
				t.Errorf("Commit = %s, want HEAD %s", r.Commit, head)
			}
			if s.tagged && r.Tag != "" {
				if err := repo.CreateTag(ctx, r.Tag, r.Commit, "release "+r.Tag+"\n"); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// topCause is the cause the reason names: the first with the highest bump.
func topCause(r version.Release) version.Cause {
	top := r.Causes[0]
	for _, c := range r.Causes[1:] {
		if c.Bump > top.Bump {
			top = c
		}
	}
	return top
}

func TestLastAndTags(t *testing.T) {
	ctx := context.Background()
	g := gittest.New(t)
	c1 := g.Commit("one", map[string]string{"a": "1"})
	c2 := g.Commit("two", map[string]string{"a": "2"})
	for tag, rev := range map[string]string{
		"api/v0.1.0": c1, "api/v0.2.0-rc.1": c2, "api/v0.10.0-rc.1": c2, "api/v0.2.0": c2,
		"api-gateway/v9.0.0": c2, "api/latest": c2, "web/v3.0.0": c2, "v1.0.0": c1,
	} {
		g.Tag(tag, rev)
	}
	repo, err := gitrepo.Open(ctx, g.Dir)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := version.Tags(ctx, repo, "api", version.DefaultTagTemplate, "")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tg := range tags {
		names = append(names, tg.Tag)
	}
	if diff := cmp.Diff([]string{"api/v0.1.0", "api/v0.2.0-rc.1", "api/v0.2.0", "api/v0.10.0-rc.1"}, names); diff != "" {
		t.Errorf("Tags (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		at, want, commit string
	}{
		{"", "api/v0.2.0", c2},
		{c1, "api/v0.1.0", c1},
	} {
		l, err := version.Last(ctx, repo, "api", version.DefaultTagTemplate, tc.at)
		if err != nil {
			t.Fatal(err)
		}
		if l == nil || l.Tag != tc.want || l.Commit != tc.commit {
			t.Errorf("Last at %q = %+v, want %s at %s", tc.at, l, tc.want, tc.commit)
		}
	}
	l, err := version.Last(ctx, repo, "worker", version.DefaultTagTemplate, "")
	if err != nil || l != nil {
		t.Errorf("Last of an unreleased image = %+v, %v; want nil, nil", l, err)
	}
}
