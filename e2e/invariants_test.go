package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/Masterminds/semver/v3"

	"github.com/gobake/gobake/internal/testutil"
)

// The invariant checker holds the release contract of docs/release.md
// against the world as independent clients see it: the registry through
// skopeo (straight, not through the fault proxy), the source and GitOps
// remotes through the git CLI, and every report gobake wrote. It keeps a
// history, so that a version tag or git tag that ever named something
// else is caught whenever it moved.

var (
	gitTagRE     = regexp.MustCompile(`^([a-z]+)/v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?)$`)
	versionTagRE = regexp.MustCompile(`^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$`)
	gitopsRefRE  = regexp.MustCompile(`/acme/([a-z]+)(?::[^@\s"]+)?@(sha256:[0-9a-f]{64})`)
)

// history is what the checker saw in earlier calls.
type history struct {
	regTags map[string]string         // IMAGE:VERSION → digest, first seen
	gitTags map[string]string         // IMAGE/vVERSION → commit, first seen
	facts   map[string]imageFacts     // digest → what the image says about itself
	gitops  map[string][]gitopsPin    // GitOps commit → what it deploys
	checked int                       // runs whose reports were checked
	pending violations                // found by observe, reported by the next check
	snaps   map[*tinyRun][2]worldSnap // before and after of sequential runs
}

func newHistory() history {
	return history{regTags: map[string]string{}, gitTags: map[string]string{}, facts: map[string]imageFacts{},
		gitops: map[string][]gitopsPin{}, snaps: map[*tinyRun][2]worldSnap{}}
}

// imageFacts are the labels and annotations of a released image.
type imageFacts struct {
	Version, Revision, Inputs string
}

// gitopsPin is one image reference in the GitOps repository.
type gitopsPin struct {
	Image, Digest string
}

// worldSnap is the cheap part of the world, taken around sequential runs.
type worldSnap struct {
	deployHead string
	originTags map[string]string // tag → commit
	regTags    map[string]string // IMAGE:VERSION → digest
}

// violations collects broken invariants.
type violations []string

func (v *violations) add(format string, args ...any) { *v = append(*v, fmt.Sprintf(format, args...)) }

// originTags returns the release tags of the source remote: tag → commit.
func (e *tinyEnv) originTags(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range strings.Split(strings.TrimSpace(testutil.Git(t, e.origin, "for-each-ref", "refs/tags",
		"--format=%(refname:strip=2) %(objectname) %(*objectname)")), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 || !gitTagRE.MatchString(f[0]) {
			continue
		}
		out[f[0]] = f[len(f)-1] // the commit an annotated tag names
	}
	return out
}

// registryTags returns IMAGE:VERSION → digest of every version tag, read
// from the registry itself with plain distribution API requests (the
// registry straight, not through the fault proxy). With viaSkopeo, skopeo
// reads it too, as an independent client: every tag list, and the digest
// of the newest version tag of each image (one skopeo process per tag
// for all of them cost more CPU than the rest of the checker); what it
// reads must agree with the API requests.
func (e *tinyEnv) registryTags(t *testing.T, viaSkopeo bool) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, img := range tinyImages {
		repo := e.reg.Host + "/acme/" + img
		tags := httpTags(t, e.reg.Host, "acme/"+img)
		if viaSkopeo {
			var list struct{ Tags []string }
			res, err := testutil.SkopeoErr(t, "list-tags", "docker://"+repo)
			switch {
			case err != nil && (strings.Contains(err.Error(), "404 (Not Found)") || strings.Contains(err.Error(), "NAME_UNKNOWN")):
			case err != nil:
				t.Fatalf("list tags of %s: %v", img, err)
			default:
				if err := json.Unmarshal([]byte(res.Stdout), &list); err != nil {
					t.Fatalf("skopeo list-tags %s: %v", repo, err)
				}
			}
			if got, want := slices.Sorted(slices.Values(list.Tags)), slices.Sorted(slices.Values(tags)); !slices.Equal(got, want) {
				t.Errorf("tags of %s: skopeo lists %q, the registry API %q", img, got, want)
			}
		}
		var newest *semver.Version
		for _, tag := range tags {
			if !versionTagRE.MatchString(tag) {
				continue
			}
			d := httpDigest(t, e.reg.Host, "acme/"+img, tag)
			// The registry lists a tag once it has written the tag's index
			// link and serves it once it has written the current link: a
			// release killed during a tag PUT leaves the registry finishing
			// the request as the checker starts. Read again for a moment.
			for try := 0; d == "" && try < 20; try++ {
				time.Sleep(50 * time.Millisecond)
				d = httpDigest(t, e.reg.Host, "acme/"+img, tag)
			}
			if d == "" { // deleted between listing and reading: a moved tag
				d = "(unreadable)"
			}
			out[img+":"+tag] = d
			if sv, err := semver.NewVersion(tag); err == nil && (newest == nil || newest.LessThan(sv)) {
				newest = sv
			}
		}
		if viaSkopeo && newest != nil {
			tag := newest.Original()
			raw, err := testutil.SkopeoErr(t, "inspect", "--raw", "docker://"+repo+":"+tag)
			if err != nil {
				t.Fatalf("skopeo inspect %s:%s: %v", img, tag, err)
			}
			if d := "sha256:" + sha256Hex(raw.Stdout); d != out[img+":"+tag] {
				t.Errorf("%s:%s: skopeo reads %s, the registry API %s", img, tag, d, out[img+":"+tag])
			}
		}
	}
	return out
}

// manifestAccept are the manifest media types a registry may serve.
const manifestAccept = "application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, " +
	"application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json"

// httpTags lists the tags of repo on the registry host; none when the
// repository does not exist.
func httpTags(t *testing.T, host, repo string) []string {
	t.Helper()
	resp, err := http.Get("http://" + host + "/v2/" + repo + "/tags/list?n=10000")
	if err != nil {
		t.Fatalf("list tags of %s: %v", repo, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	var list struct{ Tags []string }
	if err := json.NewDecoder(resp.Body).Decode(&list); err != nil {
		t.Fatalf("list tags of %s: %s: %v", repo, resp.Status, err)
	}
	return list.Tags
}

// httpDigest returns the digest of the manifest repo:tag names, "" when
// it is not there.
func httpDigest(t *testing.T, host, repo, tag string) string {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+host+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", manifestAccept)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("read %s:%s: %v", repo, tag, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return ""
	}
	return "sha256:" + sha256Hex(string(b))
}

// facts returns what the image digest of img says about itself, read
// with skopeo when viaSkopeo, else with plain API requests.
func (e *tinyEnv) facts(t *testing.T, img, digest string, viaSkopeo bool) (imageFacts, bool) {
	t.Helper()
	if f, ok := e.hist.facts[digest]; ok {
		return f, true
	}
	if !viaSkopeo {
		f, ok := httpFacts(t, e.reg.Host, "acme/"+img, digest)
		if ok && f.Inputs != "" { // a record pushed later is read again
			e.hist.facts[digest] = f
		}
		return f, ok
	}
	ref := "docker://" + e.reg.Host + "/acme/" + img + "@" + digest
	raw, err := testutil.SkopeoErr(t, "inspect", "--raw", ref)
	if err != nil {
		return imageFacts{}, false
	}
	var m struct{ Annotations map[string]string }
	_ = json.Unmarshal([]byte(raw.Stdout), &m)
	cfg, err := testutil.SkopeoErr(t, "inspect", "--config", "--raw", ref)
	if err != nil {
		return imageFacts{}, false
	}
	var c struct {
		Config struct{ Labels map[string]string }
	}
	_ = json.Unmarshal([]byte(cfg.Stdout), &c)
	f := imageFacts{
		Version:  c.Config.Labels["org.opencontainers.image.version"],
		Revision: c.Config.Labels["org.opencontainers.image.revision"],
		Inputs:   m.Annotations["dev.gobake.inputs.digest"],
	}
	if f.Inputs == "" {
		// Images carry no inputs annotation (same output, same image):
		// the record is the artifact under the fallback tag
		// sha256-<hex>.inputs, whose manifest names the record's digest.
		fallback := "docker://" + e.reg.Host + "/acme/" + img + ":" + strings.Replace(digest, ":", "-", 1) + ".inputs"
		if art, err := testutil.SkopeoErr(t, "inspect", "--raw", fallback); err == nil {
			var am struct{ Annotations map[string]string }
			_ = json.Unmarshal([]byte(art.Stdout), &am)
			f.Inputs = am.Annotations["dev.gobake.inputs.digest"]
		}
	}
	if f.Inputs != "" {
		e.hist.facts[digest] = f
	}
	return f, true
}

// httpGet returns the body of the registry path on host, false when it
// is not there.
func httpGet(t *testing.T, host, path, accept string) ([]byte, bool) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, "http://"+host+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if accept != "" {
		req.Header.Set("Accept", accept)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return nil, false
	}
	return b, true
}

// httpFacts is facts read with plain API requests: the annotations of the
// manifest (or index) digest, the labels of the config of its (first)
// image.
func httpFacts(t *testing.T, host, repo, digest string) (imageFacts, bool) {
	t.Helper()
	b, ok := httpGet(t, host, "/v2/"+repo+"/manifests/"+digest, manifestAccept)
	if !ok {
		return imageFacts{}, false
	}
	var m struct {
		Annotations map[string]string
		Manifests   []struct{ Digest string }
		Config      struct{ Digest string }
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return imageFacts{}, false
	}
	f := imageFacts{Inputs: m.Annotations["dev.gobake.inputs.digest"]}
	if len(m.Manifests) > 0 { // an index: its first image
		b, ok := httpGet(t, host, "/v2/"+repo+"/manifests/"+m.Manifests[0].Digest, manifestAccept)
		if !ok || json.Unmarshal(b, &m) != nil {
			return imageFacts{}, false
		}
	}
	b, ok = httpGet(t, host, "/v2/"+repo+"/blobs/"+m.Config.Digest, "")
	if !ok {
		return imageFacts{}, false
	}
	var c struct {
		Config struct{ Labels map[string]string }
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return imageFacts{}, false
	}
	f.Version = c.Config.Labels["org.opencontainers.image.version"]
	f.Revision = c.Config.Labels["org.opencontainers.image.revision"]
	if f.Inputs == "" { // the inputs record's fallback artifact (see facts)
		if b, ok := httpGet(t, host, "/v2/"+repo+"/manifests/"+strings.Replace(digest, ":", "-", 1)+".inputs", manifestAccept); ok {
			var am struct{ Annotations map[string]string }
			_ = json.Unmarshal(b, &am)
			f.Inputs = am.Annotations["dev.gobake.inputs.digest"]
		}
	}
	return f, true
}

// gitopsHistory returns the commits of the GitOps main, oldest first, and
// what each deploys.
func (e *tinyEnv) gitopsHistory(t *testing.T) ([]string, map[string][]gitopsPin) {
	t.Helper()
	commits := strings.Fields(testutil.Git(t, e.deploy, "rev-list", "--reverse", "main"))
	for _, c := range commits {
		if _, ok := e.hist.gitops[c]; ok {
			continue
		}
		var pins []gitopsPin
		for _, m := range gitopsRefRE.FindAllStringSubmatch(testutil.Git(t, e.deploy, "show", c+":deployment.yaml"), -1) {
			pins = append(pins, gitopsPin{Image: m[1], Digest: m[2]})
		}
		e.hist.gitops[c] = pins
	}
	return commits, e.hist.gitops
}

// snap takes the cheap part of the world.
func (e *tinyEnv) snap(t *testing.T) worldSnap {
	t.Helper()
	return worldSnap{
		deployHead: strings.TrimSpace(testutil.Git(t, e.deploy, "rev-parse", "main")),
		originTags: e.originTags(t),
		regTags:    e.registryTags(t, false),
	}
}

// releaseSeq is release for a run nothing else races with: the world is
// taken before and after, so the checker can hold each claim of the run's
// reports against what changed.
func (e *tinyEnv) releaseSeq(t *testing.T, dir string, args ...string) *tinyRun {
	t.Helper()
	before := e.snap(t)
	run := e.release(t, dir, args...)
	after := e.snap(t)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.hist.snaps[run] = [2]worldSnap{before, after}
	e.observe(before.originTags, before.regTags)
	e.observe(after.originTags, after.regTags)
	return run
}

// observeNow adds what the remotes show now to the history.
func (e *tinyEnv) observeNow(t *testing.T) {
	t.Helper()
	s := e.snap(t)
	e.mu.Lock()
	defer e.mu.Unlock()
	e.observe(s.originTags, s.regTags)
}

// observe adds the git tags and registry tags seen to the history and
// notes every one that moved or disappeared. Call it with e.mu held.
func (e *tinyEnv) observe(origin, reg map[string]string) {
	v := &e.hist.pending
	for tag, c := range origin {
		if old, ok := e.hist.gitTags[tag]; ok && old != c {
			v.add("git tag %s moved from %.12s to %.12s", tag, old, c)
		} else if !ok {
			e.hist.gitTags[tag] = c
		}
	}
	for tag, d := range reg {
		if old, ok := e.hist.regTags[tag]; ok && old != d {
			v.add("registry tag %s moved from %s to %s", tag, old, d)
		} else if !ok {
			e.hist.regTags[tag] = d
		}
	}
	for tag := range e.hist.gitTags {
		if _, ok := origin[tag]; !ok {
			v.add("git tag %s was deleted from the source remote", tag)
		}
	}
	for tag := range e.hist.regTags {
		if _, ok := reg[tag]; !ok {
			v.add("registry tag %s was deleted", tag)
		}
	}
}

// check holds the contract against the world and returns what is broken.
// final says that every release was run to completion: partial states are
// then violations too. The registry is read with skopeo when viaSkopeo,
// else with plain API requests (cheaper, for the checks between runs).
func (e *tinyEnv) check(t *testing.T, final, viaSkopeo bool) violations {
	t.Helper()
	e.mu.Lock()
	defer e.mu.Unlock()
	var v violations
	origin := e.originTags(t)
	reg := e.registryTags(t, viaSkopeo)

	// A version, once visible, never names anything else.
	e.observe(origin, reg)
	v = append(v, e.hist.pending...)
	e.hist.pending = nil
	slices.Sort(v)
	v = slices.Compact(v)

	// Git tag ↔ registry tag, and the image says which version and commit
	// it is.
	commitsOf := map[string]map[string]string{} // image → commit → git tag
	for tag, c := range origin {
		m := gitTagRE.FindStringSubmatch(tag)
		img, ver := m[1], m[2]
		if commitsOf[img] == nil {
			commitsOf[img] = map[string]string{}
		}
		if other, dup := commitsOf[img][c]; dup {
			v.add("commit %.12s released twice as %s: %s and %s", c, img, other, tag)
		}
		commitsOf[img][c] = tag
		d, ok := reg[img+":"+ver]
		if !ok {
			if final {
				v.add("git tag %s has no registry tag %s:%s", tag, img, ver)
			}
			continue
		}
		f, ok := e.facts(t, img, d, viaSkopeo)
		switch {
		case !ok:
			v.add("registry tag %s:%s names %s, which cannot be read", img, ver, d)
		case f.Revision != c:
			v.add("registry tag %s:%s is a build of %.12s, git tag %s names %.12s", img, ver, f.Revision, tag, c)
		}
	}
	sameInputs := map[string]string{} // IMAGE inputs → version
	for _, tag := range slices.Sorted(maps.Keys(reg)) {
		d := reg[tag]
		img, ver, _ := strings.Cut(tag, ":")
		if f, ok := e.facts(t, img, d, viaSkopeo); ok && f.Inputs != "" {
			if other, dup := sameInputs[img+" "+f.Inputs]; dup {
				v.add("%s released twice: versions %s and %s have the same inputs %s", img, other, ver, f.Inputs)
			}
			sameInputs[img+" "+f.Inputs] = ver
		}
		if f, ok := e.facts(t, img, d, viaSkopeo); ok {
			if f.Version != ver {
				v.add("registry tag %s names an image labelled version %q", tag, f.Version)
			}
			if f.Inputs == "" {
				v.add("registry tag %s names an image without its inputs digest", tag)
			}
		}
		if _, ok := origin[img+"/v"+ver]; !ok && final {
			v.add("registry tag %s (%s) has no git tag %s/v%s on the source remote", tag, d, img, ver)
		}
	}

	// GitOps: what each commit deploys is a released version (found by
	// digest), never going back; the head deploys the newest release of
	// each image.
	versionOf := map[string]string{} // IMAGE@digest → version
	for tag, d := range e.hist.regTags {
		img, ver, _ := strings.Cut(tag, ":")
		key := img + "@" + d
		if other, ok := versionOf[key]; ok && other != ver {
			v.add("one build of %s (%s) is tagged as two versions: %s and %s", img, d, other, ver)
		}
		versionOf[key] = ver
	}
	commits, pins := e.gitopsHistory(t)
	newest := map[string]*semver.Version{}
	for _, c := range commits {
		for _, p := range pins[c] {
			ver, ok := versionOf[p.Image+"@"+p.Digest]
			if !ok {
				if final {
					v.add("GitOps commit %.12s deploys %s@%s, which no version tag names", c, p.Image, p.Digest)
				}
				continue
			}
			sv, err := semver.NewVersion(ver)
			if err != nil {
				continue
			}
			if n := newest[p.Image]; n != nil && sv.LessThan(n) {
				v.add("GitOps commit %.12s takes %s back from %s to %s (a lost update)", c, p.Image, n, sv)
			}
			newest[p.Image] = sv
		}
	}
	head := map[string]string{} // image → version deployed
	if len(commits) > 0 {
		for _, p := range pins[commits[len(commits)-1]] {
			if _, ok := e.facts(t, p.Image, p.Digest, viaSkopeo); !ok {
				v.add("GitOps deploys %s@%s, which is not in the registry", p.Image, p.Digest)
			}
			ver := versionOf[p.Image+"@"+p.Digest]
			head[p.Image] = ver
			if _, ok := origin[p.Image+"/v"+ver]; !ok && final {
				v.add("GitOps deploys %s@%s (version %q), which has no git tag", p.Image, p.Digest, ver)
			}
		}
	}
	if final {
		for img, ver := range newestTags(origin) {
			if head[img] != ver {
				v.add("GitOps deploys %s %q, the newest release is %s (a lost update)", img, head[img], ver)
			}
		}
	}

	// Reports: each run's outputs agree with each other and the world.
	released := map[string]string{} // IMAGE:VERSION → digest@commit
	for _, r := range e.runs {
		if !r.Report.Released {
			continue
		}
		for _, img := range r.Report.Images {
			from := r.Report.Commit
			if img.Commit != "" { // a claim of another commit, completed
				from = img.Commit
			}
			key, val := img.Image+":"+img.Version, img.Digest+" from "+from
			if old, ok := released[key]; ok && old != val {
				v.add("%s released twice: %s and %s", key, old, val)
			}
			released[key] = val
		}
	}
	for _, r := range e.runs[e.hist.checked:] {
		e.checkRun(t, &v, r, origin, reg, commits)
	}
	e.hist.checked = len(e.runs)
	return v
}

// newestTags returns image → newest final or pre-release version tagged.
func newestTags(origin map[string]string) map[string]string {
	newest := map[string]*semver.Version{}
	for tag := range origin {
		m := gitTagRE.FindStringSubmatch(tag)
		sv, err := semver.NewVersion(m[2])
		if err != nil {
			continue
		}
		if n := newest[m[1]]; n == nil || n.LessThan(sv) {
			newest[m[1]] = sv
		}
	}
	out := map[string]string{}
	for img, sv := range newest {
		out[img] = sv.Original()
	}
	return out
}

// checkRun holds the reports of one run against each other and the world.
func (e *tinyEnv) checkRun(t *testing.T, v *violations, r *tinyRun, origin, reg map[string]string, gitops []string) {
	t.Helper()
	if r.Killed {
		return
	}
	name := fmt.Sprintf("release in %s (exit %d)", r.Dir, r.Out.ExitCode)
	rep := r.Report
	if !r.HasJSON {
		v.add("%s: no --output report", name)
		return
	}
	if r.NoSchema != nil {
		v.add("%s: --output %v", name, r.NoSchema)
	}
	if (r.Out.ExitCode == 0) != (len(rep.Errors) == 0) {
		v.add("%s: exit code and the report's errors %q disagree", name, rep.Errors)
	}
	if rep.Released && r.Out.ExitCode != 0 {
		v.add("%s: report says released", name)
	}
	// $GITHUB_OUTPUT
	if !strings.Contains(r.GHOutput, fmt.Sprintf("released=%t\n", rep.Released)) {
		v.add("%s: $GITHUB_OUTPUT %q disagrees with released=%t", name, r.GHOutput, rep.Released)
	}
	var gh []struct{ Image, Version, Digest, Reference string }
	if _, after, ok := strings.Cut(r.GHOutput, "images="); ok {
		line, _, _ := strings.Cut(after, "\n")
		if err := json.Unmarshal([]byte(line), &gh); err != nil {
			v.add("%s: $GITHUB_OUTPUT images= is not JSON: %v", name, err)
		}
	} else {
		v.add("%s: $GITHUB_OUTPUT has no images=", name)
	}
	var want []string
	if rep.Released {
		for _, img := range rep.Images {
			want = append(want, img.Image+" "+img.Version+" "+img.Digest)
		}
	}
	var got []string
	for _, g := range gh {
		got = append(got, g.Image+" "+g.Version+" "+g.Digest)
	}
	if !slices.Equal(got, want) {
		v.add("%s: $GITHUB_OUTPUT images %q, --output %q", name, got, want)
	}
	if line := ghValue(r.GHOutput, "gitTags"); line != "" {
		var tags []string
		if err := json.Unmarshal([]byte(line), &tags); err != nil {
			v.add("%s: $GITHUB_OUTPUT gitTags= is not JSON: %v", name, err)
		} else if !slices.Equal(tags, rep.GitTags) {
			v.add("%s: $GITHUB_OUTPUT gitTags %q, --output %q", name, tags, rep.GitTags)
		}
	} else {
		v.add("%s: $GITHUB_OUTPUT has no gitTags=", name)
	}
	wantCommit := ""
	if rep.GitOps != nil && rep.GitOps.Pushed {
		wantCommit = rep.GitOps.Commit
	}
	if !strings.Contains(r.GHOutput, "gitopsCommit="+wantCommit+"\n") {
		v.add("%s: $GITHUB_OUTPUT gitopsCommit=%q, --output pushed %q", name, ghValue(r.GHOutput, "gitopsCommit"), wantCommit)
	}
	// stdout and the stderr summary
	var refs []string
	if rep.Released {
		for _, img := range rep.Images {
			refs = append(refs, img.Reference)
		}
	}
	if gotRefs := strings.Fields(r.Out.Stdout); !slices.Equal(gotRefs, refs) {
		v.add("%s: stdout %q, --output references %q", name, gotRefs, refs)
	}
	pushed := rep.GitOps != nil && rep.GitOps.Pushed
	switch {
	case rep.Released && !strings.Contains(r.Out.Stderr, fmt.Sprintf("released %d image(s)", len(rep.Images))):
		v.add("%s: stderr does not say what was released:\n%s", name, r.Out.Stderr)
	case r.Out.ExitCode != 0 && !strings.Contains(r.Out.Stderr, "FAILED"):
		v.add("%s: stderr does not say it failed:\n%s", name, r.Out.Stderr)
	}
	if pushed && strings.Contains(r.Out.Stderr, "no GitOps commit") {
		v.add("%s: stderr says no GitOps commit, --output says pushed %.12s", name, rep.GitOps.Commit)
	}
	if len(rep.GitTags) > 0 && strings.Contains(r.Out.Stderr, "no git tag") {
		v.add("%s: stderr says no git tag, --output says %v", name, rep.GitTags)
	}
	if len(rep.GitTags) > 0 && !strings.Contains(r.Out.Stderr, "git tags: "+strings.Join(rep.GitTags, " ")) {
		v.add("%s: stderr does not list the git tags %v of --output:\n%s", name, rep.GitTags, r.Out.Stderr)
	}
	// $GITHUB_STEP_SUMMARY
	if (r.Out.ExitCode != 0) != strings.Contains(firstLine(r.Summary), "failed") {
		v.add("%s: step summary %q disagrees with the exit code", name, firstLine(r.Summary))
	}
	for _, img := range rep.Images {
		if img.Digest != "" && !strings.Contains(r.Summary, img.Digest) {
			v.add("%s: step summary lacks %s %s", name, img.Image, img.Digest)
		}
	}
	if pushed != (strings.Contains(r.Summary, "GitOps: `")) {
		v.add("%s: step summary and --output disagree on the GitOps commit (pushed %t)", name, pushed)
	}
	if pushed && !strings.Contains(r.Summary, "GitOps: `"+rep.GitOps.Commit[:12]+"`") {
		v.add("%s: step summary does not name the GitOps commit %.12s", name, rep.GitOps.Commit)
	}
	if r.Out.ExitCode != 0 && len(rep.GitTags) > 0 && !strings.Contains(r.Summary, "git tags "+strings.Join(rep.GitTags, " ")+" claimed") {
		v.add("%s: failed, step summary does not say which git tags %v it claimed:\n%s", name, rep.GitTags, r.Summary)
	}
	// The world.
	if pushed && !slices.Contains(gitops, rep.GitOps.Commit) {
		v.add("%s: GitOps commit %.12s reported pushed is not on the GitOps main", name, rep.GitOps.Commit)
	}
	for _, tag := range rep.GitTags {
		if c, ok := origin[tag]; !ok || c != rep.Commit {
			v.add("%s: git tag %s reported pushed, the source remote has %q", name, tag, c)
		}
	}
	for _, img := range rep.Images {
		if (rep.Released || img.Tagged) && reg[img.Image+":"+img.Version] != img.Digest {
			v.add("%s: %s:%s reported tagged as %s, the registry has %q", name, img.Image, img.Version, img.Digest, reg[img.Image+":"+img.Version])
		}
	}
	snaps, ok := e.hist.snaps[r]
	if !ok {
		return
	}
	before, after := snaps[0], snaps[1]
	if moved := before.deployHead != after.deployHead; moved != pushed {
		v.add("%s: GitOps main moved %t, --output says pushed %t", name, moved, pushed)
	}
	var added []string
	for tag := range after.originTags {
		if _, ok := before.originTags[tag]; !ok {
			added = append(added, tag)
		}
	}
	slices.Sort(added)
	reported := slices.Clone(rep.GitTags)
	slices.Sort(reported)
	reported = slices.DeleteFunc(reported, func(tag string) bool { _, ok := before.originTags[tag]; return ok })
	if !slices.Equal(added, reported) {
		v.add("%s: git tags new on the source remote %q, reported created %q", name, added, reported)
	}
	for _, img := range rep.Images {
		key := img.Image + ":" + img.Version
		if before.regTags[key] != after.regTags[key] && !img.Tagged {
			v.add("%s: registry tag %s set to %s, but the report says not tagged", name, key, after.regTags[key])
		}
	}
}

// ghValue returns the value of key in $GITHUB_OUTPUT content, "" when
// it is not there.
func ghValue(out, key string) string {
	for _, l := range strings.Split(out, "\n") {
		if v, ok := strings.CutPrefix(l, key+"="); ok {
			return v
		}
	}
	return ""
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// requireInvariants fails t with every broken invariant and reports
// whether all held.
func (e *tinyEnv) requireInvariants(t *testing.T, final bool) bool {
	t.Helper()
	return e.report(t, e.check(t, final, false))
}

// requireInvariantsEnd is requireInvariants after the last run of a
// scenario: final, with the registry read by skopeo.
func (e *tinyEnv) requireInvariantsEnd(t *testing.T) bool {
	t.Helper()
	return e.report(t, e.check(t, true, true))
}

func (e *tinyEnv) report(t *testing.T, v violations) bool {
	t.Helper()
	if len(v) > 0 { // the runs not shown yet, for whoever reads the failure
		e.mu.Lock()
		for i, r := range e.runs[e.logged:] {
			i += e.logged
			t.Logf("run %d in %s %v: %s, exit %d\n%s\n--- step summary\n%s", i, r.Dir, r.Args, r.outcome(), r.Out.ExitCode, r.Out.Stderr, r.Summary)
		}
		e.logged = len(e.runs)
		e.mu.Unlock()
	}
	for _, s := range v {
		t.Errorf("invariant: %s", s)
	}
	return len(v) == 0
}
