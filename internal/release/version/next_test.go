package version

import (
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
	"github.com/google/go-cmp/cmp"
)

// commit makes a commit of msg changing files, with a hash made of the
// message so that tests can name it.
func commit(hash, msg string, files ...string) Commit {
	subject, body, _ := strings.Cut(msg, "\n\n")
	return Commit{Hash: hash + strings.Repeat("0", 40-len(hash)), Subject: subject, Body: body, Files: files}
}

func versions(vs ...string) []*semver.Version {
	var out []*semver.Version
	for _, v := range vs {
		out = append(out, semver.MustParse(v))
	}
	return out
}

func last(v string) *Tagged {
	return &Tagged{Version: semver.MustParse(v), Tag: "api/v" + v, Commit: "ffff"}
}

// apiFiles are the inputs of the image under test.
func apiFiles(f string) bool {
	return strings.HasPrefix(f, "svc/api/") || strings.HasPrefix(f, "lib/")
}

func TestNext(t *testing.T) {
	type want struct {
		version string // "" for nothing to release
		bump    Bump
		reason  string
		causes  []string // short hashes of the causes
	}
	for _, tc := range []struct {
		name string
		in   Input
		opts Options
		want want
	}{
		{"fix is a patch",
			Input{Last: last("1.2.0"), Commits: []Commit{commit("aa", "fix: nil token", "svc/api/a.go")}},
			Options{},
			want{"1.2.1", BumpPatch, "patch: fix: nil token (aa00000)", []string{"aa00000"}}},
		{"feat is a minor",
			Input{Last: last("1.2.3"), Commits: []Commit{
				commit("bb", "fix: y", "svc/api/b.go"),
				commit("aa", "feat(api): refresh", "svc/api/a.go"),
				commit("99", "chore: z", "lib/z.go"),
			}},
			Options{},
			want{"1.3.0", BumpMinor, "minor: feat(api): refresh (aa00000) and 2 more commits", []string{"bb00000", "aa00000", "9900000"}}},
		{"bang is a major",
			Input{Last: last("1.2.3"), Commits: []Commit{commit("aa", "feat!: drop v1", "svc/api/a.go"), commit("bb", "feat: x", "lib/x.go")}},
			Options{},
			want{"2.0.0", BumpMajor, "major: feat!: drop v1 (aa00000) and 1 more commit", []string{"aa00000", "bb00000"}}},
		{"breaking footer is a major",
			Input{Last: last("1.2.3"), Commits: []Commit{commit("aa", "fix: claims\n\nBREAKING CHANGE: new claims", "lib/a.go")}},
			Options{},
			want{"2.0.0", BumpMajor, "major: fix: claims (aa00000)", []string{"aa00000"}}},
		{"breaking before 1.0.0 is a minor",
			Input{Last: last("0.4.2"), Commits: []Commit{commit("aa", "feat!: drop v1", "svc/api/a.go")}},
			Options{},
			want{"0.5.0", BumpMinor, "minor (breaking change before 1.0.0): feat!: drop v1 (aa00000)", []string{"aa00000"}}},
		{"feat before 1.0.0 is a minor",
			Input{Last: last("0.4.2"), Commits: []Commit{commit("aa", "feat: x", "svc/api/a.go")}},
			Options{},
			want{"0.5.0", BumpMinor, "minor: feat: x (aa00000)", []string{"aa00000"}}},
		{"feat in another image does not count",
			Input{Last: last("1.2.0"), Commits: []Commit{
				commit("aa", "feat(web): dark mode", "svc/web/a.go"),
				commit("bb", "fix(api): typo", "svc/api/a.go", "svc/web/b.go"),
			}, Relevant: apiFiles},
			Options{},
			want{"1.2.1", BumpPatch, "patch: fix(api): typo (bb00000)", []string{"bb00000"}}},
		{"nothing relevant",
			Input{Last: last("1.2.0"), Commits: []Commit{commit("aa", "feat(web): dark mode", "svc/web/a.go")}, Relevant: apiFiles},
			Options{Pre: "rc"},
			want{"", BumpNone, "no change since api/v1.2.0", nil}},
		{"release commits do not count",
			Input{Last: last("1.2.0"), Commits: []Commit{
				commit("aa", "chore(release): api 1.2.0\n\nGobake-Release: true", "svc/api/deploy.yaml"),
			}, Relevant: apiFiles},
			Options{},
			want{"", BumpNone, "no change since api/v1.2.0", nil}},
		{"merge commits have no files",
			Input{Last: last("1.2.0"), Commits: []Commit{commit("aa", "Merge branch 'x'")}},
			Options{},
			want{"", BumpNone, "no change since api/v1.2.0", nil}},
		{"changed only by a dependency",
			Input{Last: last("1.2.0"), Commits: []Commit{commit("aa", "feat(web): x", "svc/web/a.go")}, Relevant: apiFiles,
				Changed: "golang.org/x/net v0.20.0 → v0.21.0"},
			Options{},
			want{"1.2.1", BumpPatch, "patch: golang.org/x/net v0.20.0 → v0.21.0", nil}},
		{"commits win over other changes",
			Input{Last: last("1.2.0"), Commits: []Commit{commit("aa", "feat: x", "lib/a.go")}, Relevant: apiFiles, Changed: "base image changed"},
			Options{},
			want{"1.3.0", BumpMinor, "minor: feat: x (aa00000)", []string{"aa00000"}}},
		{"first release",
			Input{Commits: []Commit{commit("aa", "feat!: everything", "svc/api/a.go")}},
			Options{},
			want{"0.1.0", BumpNone, "first release", []string{"aa00000"}}},
		{"first release with no commits",
			Input{},
			Options{},
			want{"0.1.0", BumpNone, "first release", nil}},
		{"first release at a configured version",
			Input{},
			Options{Initial: semver.MustParse("1.0.0")},
			want{"1.0.0", BumpNone, "first release", nil}},
		{"first pre-release",
			Input{Existing: versions("0.1.0-rc.1")},
			Options{Pre: "rc"},
			want{"0.1.0-rc.2", BumpNone, "first release", nil}},
		{"pre-release",
			Input{Last: last("1.2.0"), Commits: []Commit{commit("aa", "feat: x", "lib/a.go")}, Existing: versions("1.2.0")},
			Options{Pre: "rc"},
			want{"1.3.0-rc.1", BumpMinor, "minor: feat: x (aa00000)", []string{"aa00000"}}},
		{"next pre-release number",
			Input{Last: last("1.2.0"), Commits: []Commit{commit("bb", "fix: y", "lib/b.go"), commit("aa", "feat: x", "lib/a.go")},
				Existing: versions("1.2.0", "1.3.0-rc.1", "1.3.0-rc.2", "1.3.0-beta.7", "1.2.0-rc.9", "1.3.0-rc.x")},
			Options{Pre: "rc"},
			want{"1.3.0-rc.3", BumpMinor, "minor: feat: x (aa00000) and 1 more commit", []string{"bb00000", "aa00000"}}},
		{"final after pre-releases",
			Input{Last: last("1.2.0"), Commits: []Commit{commit("aa", "feat: x", "lib/a.go")}, Existing: versions("1.2.0", "1.3.0-rc.1", "1.3.0-rc.2")},
			Options{},
			want{"1.3.0", BumpMinor, "minor: feat: x (aa00000)", []string{"aa00000"}}},
		{"build metadata",
			Input{Last: last("1.2.0"), Commits: []Commit{commit("aa", "fix: x", "lib/a.go")}},
			Options{Pre: "rc", Metadata: "build.5"},
			want{"1.2.1-rc.1+build.5", BumpPatch, "patch: fix: x (aa00000)", []string{"aa00000"}}},
		{"override",
			Input{Last: last("1.2.0"), Commits: []Commit{commit("aa", "fix: x", "lib/a.go")}},
			Options{Override: semver.MustParse("2.0.0")},
			want{"2.0.0", BumpNone, "version 2.0.0 given", []string{"aa00000"}}},
		{"override with a pre-release identifier",
			Input{Last: last("1.2.0"), Commits: []Commit{commit("aa", "fix: x", "lib/a.go")}, Existing: versions("1.2.0", "2.0.0-rc.1", "2.0.0-beta.4")},
			Options{Override: semver.MustParse("2.0.0"), Pre: "rc"},
			want{"2.0.0-rc.2", BumpNone, "version 2.0.0 given, pre-release rc", []string{"aa00000"}}},
		{"override without changes",
			Input{Last: last("1.2.0")},
			Options{Override: semver.MustParse("1.2.1+hotfix")},
			want{"1.2.1+hotfix", BumpNone, "version 1.2.1+hotfix given", nil}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := Next(tc.in, tc.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := want{bump: d.Bump, reason: d.Reason}
			if d.Version != nil {
				got.version = d.Version.String()
			}
			for _, c := range d.Causes {
				got.causes = append(got.causes, c.Commit.Short())
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(want{})); diff != "" {
				t.Errorf("Next (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNextCauseFiles(t *testing.T) {
	d, err := Next(Input{
		Last:     last("1.0.0"),
		Commits:  []Commit{commit("aa", "feat: x", "svc/web/a.go", "lib/a.go", "svc/api/b.go")},
		Relevant: apiFiles,
	}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Cause{{
		Commit: commit("aa", "feat: x", "svc/web/a.go", "lib/a.go", "svc/api/b.go"),
		Header: Conventional{Type: "feat", Description: "x"},
		Bump:   BumpMinor,
		Files:  []string{"lib/a.go", "svc/api/b.go"},
	}}
	if diff := cmp.Diff(want, d.Causes); diff != "" {
		t.Errorf("Causes (-want +got):\n%s", diff)
	}
}

func TestNextErrors(t *testing.T) {
	fix := []Commit{commit("aa", "fix: x", "lib/a.go")}
	for _, tc := range []struct {
		name string
		in   Input
		opts Options
		want string
	}{
		{"override not above last", Input{Last: last("1.2.0")}, Options{Override: semver.MustParse("1.2.0")},
			"version 1.2.0 is not above the last release 1.2.0 (api/v1.2.0)"},
		{"override is a pre-release and a pre-release identifier is given", Input{Last: last("1.2.0")}, Options{Override: semver.MustParse("2.0.0-rc.3"), Pre: "rc"},
			`version 2.0.0-rc.3 is a pre-release already; give X.Y.Z to make X.Y.Z-rc.N, or leave out the pre-release identifier "rc"`},
		{"override with pre-release not above last", Input{Last: last("2.0.0")}, Options{Override: semver.MustParse("2.0.0"), Pre: "rc"},
			"version 2.0.0-rc.1 is not above the last release 2.0.0 (api/v2.0.0)"},
		{"override already tagged", Input{Last: last("1.2.0"), Existing: versions("1.2.0", "2.0.0")}, Options{Override: semver.MustParse("2.0.0")},
			"version 2.0.0 is already tagged (as 2.0.0)"},
		{"computed version tagged on another branch", Input{Last: last("1.2.0"), Commits: fix, Existing: versions("1.2.0", "1.2.1+other")}, Options{},
			"version 1.2.1 is already tagged (as 1.2.1+other)"},
		{"dotted pre-release", Input{Last: last("1.2.0"), Commits: fix}, Options{Pre: "rc.x"},
			`pre-release identifier "rc.x": must be one word, e.g. rc`},
		{"bad pre-release", Input{Last: last("1.2.0"), Commits: fix}, Options{Pre: "r c"},
			`pre-release identifier "r c": invalid prerelease string`},
		{"bad metadata", Input{Last: last("1.2.0"), Commits: fix}, Options{Metadata: "a+b"},
			`build metadata "a+b": invalid metadata string`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Next(tc.in, tc.opts)
			if err == nil {
				t.Fatal("Next succeeded")
			}
			if !strings.HasPrefix(err.Error(), tc.want) {
				t.Errorf("error = %q, want prefix %q", err, tc.want)
			}
		})
	}
}

func TestParseOverride(t *testing.T) {
	for _, tc := range []struct {
		in, image, version string
		wantErr            bool
	}{
		{"api=2.0.0", "api", "2.0.0", false},
		{"api=v2.0.0-rc.1+b.1", "api", "2.0.0-rc.1+b.1", false},
		{"api=2.0", "", "", true},
		{"api", "", "", true},
		{"=1.0.0", "", "", true},
		{"api=", "", "", true},
	} {
		t.Run(tc.in, func(t *testing.T) {
			image, v, err := ParseOverride(tc.in)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			if err != nil {
				return
			}
			if image != tc.image || v.String() != tc.version {
				t.Errorf("ParseOverride = %s, %s; want %s, %s", image, v, tc.image, tc.version)
			}
		})
	}
}
