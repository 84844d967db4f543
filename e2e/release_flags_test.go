package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/gobake/gobake/internal/testutil"
	"github.com/gobake/gobake/schema"
)

// fullReport is the whole --output of gobake release, as documented in
// docs/release.md, read with its own field names so that renaming one
// breaks this test.
type fullReport struct {
	Schema   int         `json:"schema"`
	Commit   string      `json:"commit"`
	DryRun   bool        `json:"dryRun"`
	Released bool        `json:"released"`
	Images   []fullImage `json:"images"`
	Skipped  []struct {
		Image  string `json:"image"`
		Reason string `json:"reason"`
	} `json:"skipped"`
	GitOps *struct {
		Repo    string   `json:"repo"`
		Branch  string   `json:"branch"`
		Commit  string   `json:"commit"`
		Pushed  bool     `json:"pushed"`
		Files   []string `json:"files"`
		Message string   `json:"message"`
	} `json:"gitops"`
	GitTags []string `json:"gitTags"`
	Remote  string   `json:"remote"`
	Errors  []string `json:"errors"`
}

// fullImage is one image of fullReport.
type fullImage struct {
	Image      string   `json:"image"`
	Repository string   `json:"repository"`
	Version    string   `json:"version"`
	Previous   string   `json:"previous"`
	Bump       string   `json:"bump"`
	Reason     string   `json:"reason"`
	GitTag     string   `json:"gitTag"`
	Tags       []string `json:"tags"`
	Digest     string   `json:"digest"`
	Reference  string   `json:"reference"`
	Platforms  []string `json:"platforms"`
	SBOM       []string `json:"sbom"`
	Inputs     string   `json:"inputs"`
	Reused     bool     `json:"reused"`
	Pushed     bool     `json:"pushed"`
	Tagged     bool     `json:"tagged"`
	Completed  bool     `json:"completed"`
	Commit     string   `json:"commit"`
}

// releaseFull runs gobake release in e.src with --output, fails the test
// unless it succeeds, and returns the report both ways.
func (e *releaseEnv) releaseFull(t *testing.T, args ...string) (releaseReport, fullReport) {
	t.Helper()
	out := filepath.Join(t.TempDir(), "release.json")
	res := gobake.Run(t, e.src, nil, append([]string{"release", "--output", out}, args...)...)
	if res.ExitCode != 0 {
		t.Fatalf("release %v: %s", args, res)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	testutil.CheckSchema(t, "release.schema.json", schema.Release, b)
	var rep releaseReport
	var full fullReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("parse %s: %v\n%s", out, err, b)
	}
	if err := json.Unmarshal(b, &full); err != nil {
		t.Fatalf("parse %s: %v\n%s", out, err, b)
	}
	var names []string
	for _, img := range full.Images {
		names = append(names, img.Image)
	}
	refs := parseRefs(t, res.Stdout, names)
	for _, img := range full.Images {
		if refs[img.Image].Ref != img.Reference {
			t.Errorf("%s: stdout %s, report %s", img.Image, refs[img.Image].Ref, img.Reference)
		}
	}
	return rep, full
}

// direct returns ref (under the proxy) as a reference to the registry
// itself.
func (e *releaseEnv) direct(ref string) string {
	return strings.Replace(ref, e.proxy.Addr, e.reg.Host, 1)
}

// tagDigest returns the digest of the manifest the registry serves as
// repo:tag (repo under the proxy).
func (e *releaseEnv) tagDigest(t *testing.T, repo, tag string) string {
	t.Helper()
	return "sha256:" + sha256Hex(testutil.Skopeo(t, "inspect", "--raw", "docker://"+e.direct(repo)+":"+tag))
}

// registryTags returns the tags of repository acme/image.
func (e *releaseEnv) registryTags(t *testing.T, image string) []string {
	t.Helper()
	var tags struct{ Tags []string }
	getJSON(t, "http://"+e.reg.Host+"/v2/acme/"+image+"/tags/list", &tags)
	return tags.Tags
}

// checkOutput checks every field of the --output report of a successful
// release from e.src against the source repository, the registry and
// branch of the GitOps remote.
func (e *releaseEnv) checkOutput(t *testing.T, rep fullReport, branch string) {
	t.Helper()
	if head := strings.TrimSpace(testutil.Git(t, e.src, "rev-parse", "HEAD")); rep.Schema != 1 || rep.Commit != head || rep.DryRun || !rep.Released || len(rep.Errors) != 0 {
		t.Errorf("report: schema %d commit %s dryRun %v released %v errors %q; want 1, %s, false, true, none",
			rep.Schema, rep.Commit, rep.DryRun, rep.Released, rep.Errors, head)
	}
	var gitTags []string
	for _, img := range rep.Images {
		gitTags = append(gitTags, img.GitTag)
		if img.Repository != e.prefix+"/"+img.Image || img.Reference != img.Repository+"@"+img.Digest {
			t.Errorf("%s: repository %s, reference %s; want %s/%s@%s", img.Image, img.Repository, img.Reference, e.prefix, img.Image, img.Digest)
		}
		if img.GitTag != img.Image+"/v"+img.Version || len(img.Tags) == 0 || img.Tags[0] != img.Version {
			t.Errorf("%s %s: git tag %s, image tags %v", img.Image, img.Version, img.GitTag, img.Tags)
		}
		if !strings.HasPrefix(img.Inputs, "sha256:") || !img.Pushed || !img.Tagged || img.Reused {
			t.Errorf("%s: inputs %q pushed %v tagged %v reused %v", img.Image, img.Inputs, img.Pushed, img.Tagged, img.Reused)
		}

		// The digest, and every tag moved, is what the registry serves.
		raw := testutil.Skopeo(t, "inspect", "--raw", "docker://"+e.direct(img.Reference))
		if got := "sha256:" + sha256Hex(raw); got != img.Digest {
			t.Errorf("%s: registry serves %s, report says %s", img.Image, got, img.Digest)
		}
		for _, tag := range img.Tags {
			if got := e.tagDigest(t, img.Repository, tag); got != img.Digest {
				t.Errorf("%s: tag %s names %s, report says %s", img.Image, tag, got, img.Digest)
			}
		}

		// The platforms are those of the manifest; the SBOMs' subjects are
		// the image or its platform manifests.
		var m struct {
			MediaType string          `json:"mediaType"`
			Manifests []v1.Descriptor `json:"manifests"`
		}
		if err := json.Unmarshal([]byte(raw), &m); err != nil {
			t.Fatalf("%s: parse manifest: %v\n%s", img.Image, err, raw)
		}
		var platforms []string
		subjects := []string{img.Digest}
		if len(m.Manifests) > 0 {
			for _, d := range m.Manifests {
				platforms = append(platforms, d.Platform.OS+"/"+d.Platform.Architecture)
				subjects = append(subjects, d.Digest.String())
			}
		} else {
			var cf struct{ OS, Architecture string }
			if err := json.Unmarshal([]byte(testutil.Skopeo(t, "inspect", "--config", "docker://"+e.direct(img.Reference))), &cf); err != nil {
				t.Fatal(err)
			}
			platforms = []string{cf.OS + "/" + cf.Architecture}
		}
		slices.Sort(platforms)
		if got := slices.Sorted(slices.Values(img.Platforms)); !slices.Equal(got, platforms) {
			t.Errorf("%s: platforms %v, registry has %v", img.Image, img.Platforms, platforms)
		}
		if len(img.SBOM) != len(platforms) {
			t.Errorf("%s: %d SBOM(s) %v, want one SPDX per platform (%d)", img.Image, len(img.SBOM), img.SBOM, len(platforms))
		}
		for _, s := range img.SBOM {
			repo, digest, ok := strings.Cut(s, "@")
			if !ok || repo != img.Repository {
				t.Errorf("%s: SBOM reference %s is not %s@sha256:…", img.Image, s, img.Repository)
				continue
			}
			raw := testutil.Skopeo(t, "inspect", "--raw", "docker://"+e.direct(s))
			if got := "sha256:" + sha256Hex(raw); got != digest {
				t.Errorf("%s: SBOM %s: registry serves %s", img.Image, s, got)
			}
			var sm v1.Manifest
			if err := json.Unmarshal([]byte(raw), &sm); err != nil {
				t.Fatalf("%s: parse SBOM manifest: %v\n%s", img.Image, err, raw)
			}
			if sm.Subject == nil || !slices.Contains(subjects, sm.Subject.Digest.String()) {
				t.Errorf("%s: SBOM %s has subject %v, want one of %v", img.Image, s, sm.Subject, subjects)
			}
			if len(sm.Layers) != 1 || sm.Layers[0].MediaType != "application/spdx+json" {
				t.Errorf("%s: SBOM %s layers %+v, want one application/spdx+json", img.Image, s, sm.Layers)
			}
		}
	}

	// Git tags, created locally and pushed to origin.
	if !slices.Equal(rep.GitTags, gitTags) || rep.Remote != "origin" {
		t.Errorf("git tags %v to %q, want %v to origin", rep.GitTags, rep.Remote, gitTags)
	}
	for _, tag := range rep.GitTags {
		want := strings.TrimSpace(testutil.Git(t, e.src, "rev-parse", "HEAD"))
		for _, dir := range []string{e.src, e.origin} {
			if got := strings.TrimSpace(testutil.Git(t, dir, "rev-parse", tag+"^{commit}")); got != want {
				t.Errorf("git tag %s in %s names %s, want %s", tag, dir, got, want)
			}
		}
	}

	// The GitOps commit is the head of branch on the remote.
	g := rep.GitOps
	if g == nil {
		t.Fatal("report has no gitops")
	}
	head := strings.TrimSpace(testutil.Git(t, e.deploy, "rev-parse", "refs/heads/"+branch))
	msg := testutil.Git(t, e.deploy, "log", "-1", "--format=%B", head)
	if g.Repo != e.deploy || g.Branch != branch || !g.Pushed || g.Commit != head {
		t.Errorf("gitops %s %s pushed %v commit %s; want %s %s pushed, head %s", g.Repo, g.Branch, g.Pushed, g.Commit, e.deploy, branch, head)
	}
	if strings.TrimSpace(g.Message) != strings.TrimSpace(msg) {
		t.Errorf("gitops message %q, the head's is %q", g.Message, msg)
	}
	changed := strings.Fields(testutil.Git(t, e.deploy, "diff-tree", "--no-commit-id", "--name-only", "-r", head))
	if !slices.Equal(slices.Sorted(slices.Values(g.Files)), changed) {
		t.Errorf("gitops files %v, the head commit changed %v", g.Files, changed)
	}
}

// TestReleaseFlags releases api (and ctl) of the sample again and again,
// with --pre, --version and --gitops-branch, checking the whole --output
// report of every release against the registry and the git remotes.
func TestReleaseFlags(t *testing.T) {
	parallelAfterWarmup(t)
	e := newReleaseEnv(t)
	apiMain := "services/api/cmd/api/main.go"

	var first fullReport
	t.Run("first release", func(t *testing.T) {
		_, first = e.releaseFull(t, "api", "ctl")
		got := map[string]string{}
		for _, img := range first.Images {
			got[img.Image] = img.Version + " " + img.Bump + " " + img.Previous + " " + strings.Join(img.Tags, ",")
		}
		want := map[string]string{"api": "0.1.0 none  0.1.0,latest", "ctl": "0.1.0 none  0.1.0,latest"}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("version bump previous tags (-want +got):\n%s", diff)
		}
		if len(first.Skipped) != 0 {
			t.Errorf("skipped %+v, want none", first.Skipped)
		}
		e.checkOutput(t, first, "main")
	})
	if t.Failed() {
		t.FailNow()
	}
	digests := map[string]string{} // api version → digest
	for _, img := range first.Images {
		if img.Image == "api" {
			digests[img.Version] = img.Digest
		}
	}

	// Pre-releases of 0.2.0 move only their own tag, latest stays on
	// 0.1.0 (docs/release.md: "--pre rc … moves only the version tag");
	// the final release then takes latest.
	t.Run("pre-releases then final", func(t *testing.T) {
		steps := []struct {
			name, commit string // commit: message of a change to api first; "" for none
			args         []string
			version      string
			tags         []string
			latest       string // the version latest names afterwards
		}{
			{"first rc", "feat: api greets by name", []string{"--pre", "rc"}, "0.2.0-rc.1", []string{"0.2.0-rc.1"}, "0.1.0"},
			{"second rc", "fix: api greets politely", []string{"--pre", "rc"}, "0.2.0-rc.2", []string{"0.2.0-rc.2"}, "0.1.0"},
			{"final", "", nil, "0.2.0", []string{"0.2.0", "latest"}, "0.2.0"},
		}
		for _, st := range steps {
			t.Run(st.name, func(t *testing.T) {
				if st.commit != "" {
					commitChange(t, e.src, apiMain, "// "+st.commit, st.commit)
				}
				rep, full := e.releaseFull(t, append([]string{"api"}, st.args...)...)
				if len(full.Images) != 1 {
					t.Fatalf("released %+v, want api only", full.Images)
				}
				img := full.Images[0]
				if img.Image != "api" || img.Version != st.version || img.Previous != "0.1.0" || img.Bump != "minor" || !slices.Equal(img.Tags, st.tags) {
					t.Errorf("released %s %s (previous %s, bump %s, tags %v), want api %s (previous 0.1.0, bump minor, tags %v)",
						img.Image, img.Version, img.Previous, img.Bump, img.Tags, st.version, st.tags)
				}
				digests[img.Version] = img.Digest
				e.checkReleased(t, e.src, rep)
				e.checkOutput(t, full, "main")
				if got := e.tagDigest(t, img.Repository, "latest"); got != digests[st.latest] {
					t.Errorf("latest names %s, want %s (%s)", got, digests[st.latest], st.latest)
				}
			})
		}
		// Every release keeps its image tag and its git tag.
		regTags := e.registryTags(t, "api")
		origin := strings.Fields(testutil.Git(t, e.origin, "tag", "-l", "api/*"))
		local := strings.Fields(testutil.Git(t, e.src, "tag", "-l", "api/*"))
		for _, v := range []string{"0.1.0", "0.2.0-rc.1", "0.2.0-rc.2", "0.2.0"} {
			if !slices.Contains(regTags, v) {
				t.Errorf("registry tags %v lack %s", regTags, v)
			} else if got := e.tagDigest(t, e.prefix+"/api", v); got != digests[v] {
				t.Errorf("tag %s names %s, released as %s", v, got, digests[v])
			}
			if !slices.Contains(origin, "api/v"+v) || !slices.Contains(local, "api/v"+v) {
				t.Errorf("git tag api/v%s missing: local %v, origin %v", v, local, origin)
			}
		}
	})

	t.Run("version given", func(t *testing.T) {
		// A fix would make 0.2.1; ctl, selected too, has nothing to release.
		commitChange(t, e.src, apiMain, "// fix: api before 2.0", "fix: api before 2.0")
		rep, full := e.releaseFull(t, "api", "ctl", "--version", "api=2.0.0")
		if len(full.Images) != 1 {
			t.Fatalf("released %+v, want api only", full.Images)
		}
		img := full.Images[0]
		if img.Image != "api" || img.Version != "2.0.0" || img.Previous != "0.2.0" || img.Bump != "none" ||
			img.GitTag != "api/v2.0.0" || !slices.Equal(img.Tags, []string{"2.0.0", "latest"}) || !strings.Contains(img.Reason, "2.0.0 given") {
			t.Errorf("released %+v, want api 2.0.0 (previous 0.2.0, bump none, git tag api/v2.0.0, tags 2.0.0 latest, given)", img)
		}
		if len(full.Skipped) != 1 || full.Skipped[0].Image != "ctl" {
			t.Errorf("skipped %+v, want ctl", full.Skipped)
		}
		if k := e.deployFile(t, "main", "kustomization.yaml"); !strings.Contains(k, img.Digest) || strings.Contains(k, digests["0.2.0"]) {
			t.Errorf("kustomization.yaml does not name api 2.0.0 (%s) instead of 0.2.0:\n%s", img.Digest, k)
		}
		e.checkReleased(t, e.src, rep)
		e.checkOutput(t, full, "main")
	})

	// The GitOps commit goes to release/x, created from main, then added
	// to; main is never touched.
	t.Run("GitOps branch", func(t *testing.T) {
		mainBefore := strings.TrimSpace(testutil.Git(t, e.deploy, "rev-parse", "main"))
		parent := mainBefore // release/x is made from main
		for _, version := range []string{"2.0.1", "2.0.2"} {
			t.Run(version, func(t *testing.T) {
				msg := "fix: api " + version + " on a branch"
				commitChange(t, e.src, apiMain, "// "+msg, msg)
				rep, full := e.releaseFull(t, "api", "--gitops-branch", "release/x")
				if got := rep.versions(); !mapsEqual(got, map[string]string{"api": version}) {
					t.Fatalf("versions = %v, want api %s", got, version)
				}
				if got := strings.TrimSpace(testutil.Git(t, e.deploy, "rev-parse", "main")); got != mainBefore {
					t.Errorf("main of the GitOps repository moved from %s to %s", mainBefore, got)
				}
				if got := strings.TrimSpace(testutil.Git(t, e.deploy, "rev-parse", "release/x^")); got != parent {
					t.Errorf("release/x is not one commit on %s: parent %s", parent, got)
				}
				parent = strings.TrimSpace(testutil.Git(t, e.deploy, "rev-parse", "release/x"))
				if k := e.deployFile(t, "main", "kustomization.yaml"); strings.Contains(k, rep.Images[0].Digest) {
					t.Errorf("main's kustomization.yaml names the branch release's digest:\n%s", k)
				}
				e.checkReleasedOn(t, e.src, rep, "release/x")
				e.checkOutput(t, full, "release/x")
			})
		}
	})
}
