package config

import (
	"bytes"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"text/template"

	"gopkg.in/yaml.v3"

	"github.com/gobake/gobake/internal/gitexec"
)

// rawGitOps is the gitops stanza as written.
type rawGitOps struct {
	n                           *yaml.Node
	repo, branch, message, pin  *strVal
	changelog                   *strVal
	targets                     []rawGitOpsTarget
	targetsWritten, repoWritten bool
}

// rawGitOpsTarget is one entry of gitops.targets as written.
type rawGitOpsTarget struct {
	path string
	file *strVal
	helm []rawHelm
}

// rawHelm is one image of a target's helm mapping.
type rawHelm struct {
	key   strVal
	paths HelmPaths
}

// gitOpsFields are the keys of the gitops stanza.
var gitOpsFields = map[string]decoder[rawGitOps]{
	"repo": func(w *walker, p string, n *yaml.Node, g *rawGitOps) {
		g.repoWritten = true
		g.repo = w.checkedStr(p, n, func(v string) string {
			if strings.TrimSpace(v) == "" {
				return "must not be empty; set it to the URL or path of the deployment repository"
			}
			return ""
		})
	},
	"branch": func(w *walker, p string, n *yaml.Node, g *rawGitOps) {
		g.branch = w.checkedStr(p, n, func(v string) string {
			if !ValidBranch(v) {
				return fmt.Sprintf("%q is not a valid git branch name", v)
			}
			return ""
		})
	},
	"message": func(w *walker, p string, n *yaml.Node, g *rawGitOps) {
		g.message = w.checkedStr(p, n, checkGitOpsMessage)
	},
	"changelog": func(w *walker, p string, n *yaml.Node, g *rawGitOps) {
		g.changelog = w.checkedStr(p, n, checkChangelog)
	},
	"pin": func(w *walker, p string, n *yaml.Node, g *rawGitOps) {
		g.pin = w.checkedStr(p, n, func(v string) string {
			if !slices.Contains(Pins(), Pin(v)) {
				return fmt.Sprintf("%q is not a pin (one of tag, digest, tag+digest)", v)
			}
			return ""
		})
	},
	"targets": func(w *walker, p string, n *yaml.Node, g *rawGitOps) {
		g.targetsWritten = true
		w.gitOpsTargets(p, n, g)
	},
}

// gitOpsTargetFields are the keys of an entry of gitops.targets.
var gitOpsTargetFields = map[string]decoder[rawGitOpsTarget]{
	"file": func(w *walker, p string, n *yaml.Node, t *rawGitOpsTarget) {
		t.file = w.checkedStr(p, n, checkTargetFile)
	},
	"helm": func(w *walker, p string, n *yaml.Node, t *rawGitOpsTarget) {
		w.helm(p, n, t)
	},
}

// helmPathFields are the keys of one image of a target's helm mapping.
var helmPathFields = map[string]decoder[HelmPaths]{
	"repository": helmPath(func(h *HelmPaths, v string) { h.Repository = v }),
	"tag":        helmPath(func(h *HelmPaths, v string) { h.Tag = v }),
	"digest":     helmPath(func(h *HelmPaths, v string) { h.Digest = v }),
}

var helmPathRE = regexp.MustCompile(`^(\.[^.\s]+)+$`)

// helmPath decodes one YAML path of a helm mapping.
func helmPath(set func(*HelmPaths, string)) decoder[HelmPaths] {
	return func(w *walker, p string, n *yaml.Node, h *HelmPaths) {
		s := w.checkedStr(p, n, func(v string) string {
			if !helmPathRE.MatchString(v) {
				return fmt.Sprintf("%q is not a YAML path of keys, like .image.tag", v)
			}
			return ""
		})
		if s != nil {
			set(h, s.v)
		}
	}
}

// gitOps decodes the gitops stanza.
func (w *walker) gitOps(p string, n *yaml.Node) *rawGitOps {
	g := &rawGitOps{n: deref(n)}
	walkFields(w, p, n, gitOpsFields, g)
	if g.n.Kind != yaml.MappingNode {
		return nil
	}
	if !g.repoWritten {
		w.p.add(g.n.Line, g.n.Column, joinPath(p, "repo"), "missing; set it to the URL or path of the deployment repository")
	}
	if !g.targetsWritten {
		w.p.add(g.n.Line, g.n.Column, joinPath(p, "targets"), "missing; list the files a release edits")
	}
	return g
}

// gitOpsTargets decodes gitops.targets.
func (w *walker) gitOpsTargets(p string, n *yaml.Node, g *rawGitOps) {
	n = deref(n)
	if n.Kind != yaml.SequenceNode {
		w.p.add(n.Line, n.Column, p, "must be a list of targets, got %s", describe(n))
		return
	}
	if len(n.Content) == 0 {
		w.p.add(n.Line, n.Column, p, "must list at least one target")
	}
	for i, item := range n.Content {
		ip := indexPath(p, i)
		t := rawGitOpsTarget{path: ip}
		walkFields(w, ip, item, gitOpsTargetFields, &t)
		if m := deref(item); m.Kind == yaml.MappingNode && !hasKey(m, "file") {
			w.p.add(deref(item).Line, deref(item).Column, joinPath(ip, "file"), "missing; set it to a path or glob in the deployment repository")
		}
		g.targets = append(g.targets, t)
	}
}

// helm decodes the helm mapping of a target.
func (w *walker) helm(p string, n *yaml.Node, t *rawGitOpsTarget) {
	ps, ok := w.pairs(p, n)
	if !ok {
		return
	}
	for _, pr := range ps {
		kp := joinPath(p, pr.key.Value)
		var h HelmPaths
		walkFields(w, kp, pr.value, helmPathFields, &h)
		if m := deref(pr.value); m.Kind == yaml.MappingNode && !hasKey(m, "tag") && !hasKey(m, "digest") {
			w.p.add(pr.value.Line, pr.value.Column, kp, "must set tag or digest (a YAML path like .image.tag)")
		}
		t.helm = append(t.helm, rawHelm{key: strVal{pr.key.Value, pr.key}, paths: h})
	}
}

// hasKey reports whether the mapping m writes key.
func hasKey(m *yaml.Node, key string) bool {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return true
		}
	}
	return false
}

// resolveGitOps applies the defaults of the gitops stanza and checks that
// the images its helm mappings name exist.
func (w *walker) resolveGitOps(g *rawGitOps, images []Image) *GitOps {
	if g == nil {
		return nil
	}
	out := &GitOps{Branch: DefaultGitOpsBranch, Message: DefaultGitOpsMessage, Pin: DefaultGitOpsPin}
	if g.repo != nil {
		out.Repo = g.repo.v
		if !IsRemoteRepo(out.Repo) && !filepath.IsAbs(out.Repo) {
			out.Repo = filepath.Join(w.root, filepath.FromSlash(out.Repo))
		}
	}
	setStr(&out.Branch, g.branch)
	setStr(&out.Message, g.message)
	setStr(&out.Pin, g.pin)
	setStr(&out.Changelog, g.changelog)
	for _, rt := range g.targets {
		t := GitOpsTarget{}
		setStr(&t.File, rt.file)
		for _, h := range rt.helm {
			if !slices.ContainsFunc(images, func(img Image) bool { return img.Name == h.key.v }) {
				w.p.add(h.key.n.Line, h.key.n.Column, joinPath(joinPath(rt.path, "helm"), h.key.v), "no image named %q in images", h.key.v)
			}
			if t.Helm == nil {
				t.Helm = map[string]HelmPaths{}
			}
			t.Helm[h.key.v] = h.paths
		}
		out.Targets = append(out.Targets, t)
	}
	return out
}

// IsRemoteRepo reports whether repo is a git URL (scheme://… or the
// scp-like user@host:path) rather than a local path.
func IsRemoteRepo(repo string) bool {
	if strings.Contains(repo, "://") {
		return true
	}
	colon := strings.IndexByte(repo, ':')
	slash := strings.IndexByte(repo, '/')
	return colon > 0 && (slash < 0 || colon < slash)
}

// ValidBranch reports whether name is a valid git branch name, by git's
// own rules (see gitexec.CheckBranch).
func ValidBranch(name string) bool {
	return gitexec.CheckBranch(name) == nil
}

// checkTargetFile checks the file of a target: a relative, slash-separated
// path or glob inside the deployment repository.
func checkTargetFile(f string) string {
	switch {
	case f == "":
		return "must not be empty"
	case strings.HasPrefix(f, "/") || filepath.IsAbs(f):
		return "must be relative to the deployment repository"
	case slices.Contains(strings.Split(f, "/"), ".."):
		return "must stay inside the deployment repository (no ..)"
	}
	if _, err := path.Match(f, ""); err != nil {
		return "bad glob: " + err.Error()
	}
	return ""
}

// checkChangelog checks the changelog template: it renders, names each
// image's file and gives a path as a target's file.
func checkChangelog(text string) string {
	f, err := ChangelogPath(text, "api")
	switch {
	case err != nil:
		return "bad template: " + trimTemplateErr("changelog", err)
	case !strings.Contains(text, "{{"):
		return "must name each image's file: use {{.Image}}, e.g. changelogs/{{.Image}}/CHANGELOG.md"
	}
	return checkTargetFile(f)
}

// checkGitOpsMessage checks the commit message template by rendering it
// with sample data.
func checkGitOpsMessage(text string) string {
	const name = "t"
	t, err := template.New(name).Option("missingkey=error").Parse(text)
	if err != nil {
		return "bad template: " + trimTemplateErr(name, err)
	}
	if err := t.Execute(new(bytes.Buffer), sampleGitOpsData()); err != nil {
		return "template: " + trimTemplateErr(name, err)
	}
	return ""
}

// sampleGitOpsData is GitOpsMessageData with every field set.
func sampleGitOpsData() GitOpsMessageData {
	return GitOpsMessageData{Images: []GitOpsImageData{{
		Name:      "api",
		Version:   "1.2.3",
		Old:       "ghcr.io/acme/api:1.2.2",
		New:       "ghcr.io/acme/api@sha256:" + strings.Repeat("0", 64),
		Digest:    "sha256:" + strings.Repeat("0", 64),
		Reference: "ghcr.io/acme/api:1.2.3@sha256:" + strings.Repeat("0", 64),
		Notes:     "Fixes:\n- handle empty tokens (0123abc)\n",
	}}}
}
