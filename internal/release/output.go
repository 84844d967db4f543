package release

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/gobake/gobake/internal/ciout"
	"github.com/gobake/gobake/internal/redact"
)

// Every output of a report goes through redact: URLs in it (the GitOps
// repository's, those in errors) lose their credentials.

// WriteJSON writes the report as indented JSON to the file path.
func (rep *Report) WriteJSON(path string) error {
	b, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return fmt.Errorf("release report: %w", err)
	}
	if err := os.WriteFile(path, []byte(redact.String(string(b))+"\n"), 0o644); err != nil {
		return fmt.Errorf("release report: %w", err)
	}
	return nil
}

// WriteReferences writes one REF@sha256:… line per released image; nothing
// when nothing was released.
func (rep *Report) WriteReferences(w io.Writer) error {
	if !rep.Released {
		return nil
	}
	for _, img := range rep.Images {
		if _, err := fmt.Fprintln(w, img.Reference); err != nil {
			return err
		}
	}
	return nil
}

// WriteSummary writes what the release did, for people, to w.
func (rep *Report) WriteSummary(w io.Writer) {
	rw := redact.NewWriter(w)
	defer rw.Flush()
	rep.writeSummary(rw)
}

// writeSummary is WriteSummary, unredacted.
func (rep *Report) writeSummary(w io.Writer) {
	switch {
	case rep.Shard != "" && len(rep.Errors) == 0:
		fmt.Fprintf(w, "release shard %s of %s: pushed %d image(s) by digest, recorded as %s; nothing released until gobake release --finalize\n", rep.Shard, short(rep.Commit), len(rep.Images), rep.ShardRecord)
	case len(rep.Images) == 0 && len(rep.Errors) == 0:
		fmt.Fprintln(w, "release: nothing to release")
		rep.writeSameOutput(w)
		return
	case rep.DryRun:
		fmt.Fprintf(w, "release (dry run) of %s: nothing pushed\n", short(rep.Commit))
	case rep.Released:
		fmt.Fprintf(w, "released %d image(s) of %s\n", len(rep.Images), short(rep.Commit))
	default:
		fmt.Fprintf(w, "release of %s FAILED: %s\n", short(rep.Commit), rep.done())
	}
	for _, img := range rep.Images {
		fmt.Fprintf(w, "  %-10s %s → %s  %s  tags %s\n", img.Image, orNone(img.Previous), img.Version, orNone(img.Reference), strings.Join(img.Tags, ","))
		fmt.Fprintf(w, "  %-10s %s\n", "", img.Reason)
	}
	rep.writeSameOutput(w)
	if g := rep.GitOps; g != nil {
		switch {
		case rep.DryRun && g.Diff != "":
			fmt.Fprintf(w, "GitOps %s (%s) would change %s:\n%s", g.Repo, g.Branch, strings.Join(g.Files, ", "), g.Diff)
		case g.Pushed:
			fmt.Fprintf(w, "GitOps %s: pushed %s to %s (%s)\n", g.Repo, short(g.Commit), g.Branch, strings.Join(g.Files, ", "))
		case rep.Released || rep.DryRun:
			fmt.Fprintf(w, "GitOps %s: already up to date\n", g.Repo)
		}
	}
	if len(rep.GitTags) > 0 {
		to := ""
		if rep.Remote != "" {
			to = ", pushed to " + rep.Remote
		}
		fmt.Fprintf(w, "git tags: %s%s\n", strings.Join(rep.GitTags, " "), to)
	}
	if len(rep.Errors) > 0 {
		fmt.Fprintf(w, "%d failure(s):\n", len(rep.Errors))
		for _, e := range rep.Errors {
			fmt.Fprintf(w, "  - %s\n", strings.ReplaceAll(e, "\n", "\n    "))
		}
	}
}

// writeSameOutput lists the images not released because their build is
// the image of their last release.
func (rep *Report) writeSameOutput(w io.Writer) {
	for _, s := range rep.sameOutput() {
		fmt.Fprintf(w, "  %-10s not released: %s\n", s.Image, s.Reason)
	}
}

// done says what a failed release changed anyway, from the report's facts.
func (rep *Report) done() string {
	var parts []string
	if g := rep.GitOps; g != nil && g.Pushed {
		parts = append(parts, "GitOps commit "+short(g.Commit)+" pushed")
	} else {
		parts = append(parts, "no GitOps commit")
	}
	if len(rep.GitTags) > 0 {
		parts = append(parts, "git tags "+strings.Join(rep.GitTags, " ")+" claimed (run the release again to complete it)")
	} else {
		parts = append(parts, "no git tag")
	}
	var tagged []string
	for _, img := range rep.Images {
		if img.Tagged {
			tagged = append(tagged, img.Image)
		}
	}
	if len(tagged) > 0 {
		parts = append(parts, "image tags moved for "+strings.Join(tagged, ", "))
	}
	return strings.Join(parts, ", ")
}

// githubImage is one image of the images output of a GitHub Actions step.
type githubImage struct {
	Image     string   `json:"image"`
	Version   string   `json:"version"`
	Digest    string   `json:"digest"`
	Reference string   `json:"reference"`
	Tags      []string `json:"tags"`
}

// AppendGitHubOutput appends the step outputs images=<JSON array>,
// released=true|false, gitTags=<JSON array> (the versions claimed on the
// source remote, also by a failed release), gitopsCommit=<hash> (""
// when none was pushed) and sameOutput=<JSON array> (the images not
// released because their build is the image of their last release) to
// the file path ($GITHUB_OUTPUT).
func (rep *Report) AppendGitHubOutput(path string) error {
	imgs := []githubImage{}
	if rep.Released {
		for _, img := range rep.Images {
			imgs = append(imgs, githubImage{img.Image, img.Version, img.Digest, img.Reference, img.Tags})
		}
	}
	b, err := json.Marshal(imgs)
	if err != nil {
		return fmt.Errorf("GitHub outputs: %w", err)
	}
	tags, err := json.Marshal(append([]string{}, rep.GitTags...))
	if err != nil {
		return fmt.Errorf("GitHub outputs: %w", err)
	}
	commit := ""
	if g := rep.GitOps; g != nil && g.Pushed {
		commit = g.Commit
	}
	same := []string{}
	for _, s := range rep.sameOutput() {
		same = append(same, s.Image)
	}
	sb, err := json.Marshal(same)
	if err != nil {
		return fmt.Errorf("GitHub outputs: %w", err)
	}
	outs := []ciout.Output{{Name: "images", Value: string(b)},
		{Name: "released", Value: fmt.Sprint(rep.Released)},
		{Name: "gitTags", Value: string(tags)}, {Name: "gitopsCommit", Value: commit},
		{Name: "sameOutput", Value: string(sb)}}
	if rep.Shard != "" {
		outs = append(outs, ciout.Output{Name: "shardRecord", Value: rep.ShardRecord})
	}
	return ciout.AppendOutputs(path, outs...)
}

// AppendStepSummary appends a markdown table of the release, then the
// release notes of each image, to the file path ($GITHUB_STEP_SUMMARY).
func (rep *Report) AppendStepSummary(path string) error {
	var b strings.Builder
	title := "Release"
	switch {
	case rep.Shard != "":
		title += " shard " + rep.Shard
		if len(rep.Errors) > 0 {
			title += " failed"
		}
	case rep.DryRun:
		title += " (dry run)"
	case !rep.Released && len(rep.Errors) > 0:
		title += " failed"
	}
	fmt.Fprintf(&b, "### gobake %s of `%s`\n\n", strings.ToLower(title[:1])+title[1:], short(rep.Commit))
	if len(rep.Images) == 0 {
		b.WriteString("Nothing to release.\n")
	} else {
		b.WriteString("| Image | Version | Previous | Why | Digest |\n|---|---|---|---|---|\n")
		for _, img := range rep.Images {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | `%s` |\n", img.Image, img.Version, orNone(img.Previous),
				ciout.Cell(img.Reason), orNone(img.Digest))
		}
		for _, img := range rep.Images {
			if !img.Notes.Empty() {
				fmt.Fprintf(&b, "\n#### %s %s\n\n%s", img.Image, img.Version, img.Notes.Markdown("#####"))
			}
		}
	}
	if same := rep.sameOutput(); len(same) > 0 {
		b.WriteString("\nNot released, as their build is the image of their last release:\n")
		for _, s := range same {
			fmt.Fprintf(&b, "- %s: %s\n", s.Image, s.Reason)
		}
	}
	if rep.ShardRecord != "" {
		fmt.Fprintf(&b, "\nPushed by digest and recorded as `%s`; released by `gobake release --finalize`.\n", rep.ShardRecord)
	}
	if g := rep.GitOps; g != nil && g.Pushed {
		fmt.Fprintf(&b, "\nGitOps: `%s` on `%s` in %s\n", short(g.Commit), g.Branch, g.Repo)
	}
	if !rep.Released && !rep.DryRun && rep.Shard == "" && len(rep.Errors) > 0 {
		fmt.Fprintf(&b, "\nDone anyway: %s\n", rep.done())
	}
	for _, e := range rep.Errors {
		fmt.Fprintf(&b, "\n- :x: %s", strings.ReplaceAll(e, "\n", " "))
	}
	b.WriteString("\n")
	return ciout.AppendSummary(path, b.String())
}

// short abbreviates a commit hash.
func short(commit string) string {
	if len(commit) > 12 {
		return commit[:12]
	}
	return commit
}
