package gitops

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"text/template"

	"github.com/gobake/gobake/internal/config"
)

// Trailer marks the commits gobake makes in a deployment repository.
const Trailer = "Gobake-Release: true"

// messageData is what the message template sees for changes.
func messageData(updates []Update, changes []Change, pin config.Pin) config.GitOpsMessageData {
	var d config.GitOpsMessageData
	for _, u := range updates {
		var olds []string
		for _, c := range changes {
			if c.Image == u.Image && c.Changed() && !slices.Contains(olds, c.OldRef) {
				olds = append(olds, c.OldRef)
			}
		}
		if len(olds) == 0 {
			continue
		}
		d.Images = append(d.Images, config.GitOpsImageData{
			Name:      u.Image,
			Version:   u.Version,
			Old:       strings.Join(olds, ", "),
			New:       u.pinned(pin),
			Digest:    u.Digest,
			Reference: u.Reference(),
			Notes:     u.Notes,
		})
	}
	slices.SortFunc(d.Images, func(a, b config.GitOpsImageData) int { return strings.Compare(a.Name, b.Name) })
	return d
}

// Message renders the commit message of a release: the template, one
// "image: old → new" line per changed image, the release notes of each
// image that has some ("api 1.2.3:" and its groups), and the
// Gobake-Release trailer.
func Message(tmpl string, data config.GitOpsMessageData) (string, error) {
	t, err := template.New("message").Option("missingkey=error").Parse(tmpl)
	if err != nil {
		return "", fmt.Errorf("gitops message: %w", err)
	}
	var b bytes.Buffer
	if err := t.Execute(&b, data); err != nil {
		return "", fmt.Errorf("gitops message: %w", err)
	}
	msg := strings.TrimSpace(b.String()) + "\n\n"
	for _, img := range data.Images {
		msg += fmt.Sprintf("%s: %s → %s\n", img.Name, img.Old, img.New)
	}
	for _, img := range data.Images {
		if notes := strings.TrimSpace(img.Notes); notes != "" {
			msg += fmt.Sprintf("\n%s %s:\n%s\n", img.Name, img.Version, notes)
		}
	}
	return msg + "\n" + Trailer + "\n", nil
}
