package planner

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/gobake/gobake/internal/config"
	"github.com/gobake/gobake/internal/imageref"
	"github.com/gobake/gobake/internal/layering"
	"github.com/gobake/gobake/internal/signing"
)

// Signed wraps pub, which pushes to registry, so that every planned image
// it publishes is signed with key and carries its SLSA provenance (see
// signing.Publisher): the image's name, platforms, version, commit and
// tree state and input digest come from the plan, the configuration's
// path and SHA-256 from cfg, builder.version is builderVersion.
func (p *Plan) Signed(pub layering.Publisher, key *signing.Key, cfg *config.Config, registry string, builderVersion map[string]string) (layering.Publisher, error) {
	src, err := os.ReadFile(cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	sum := sha256.Sum256(src)
	rel, err := filepath.Rel(cfg.Root, cfg.Path)
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	var builderID string
	if cfg.Sign != nil {
		builderID = cfg.Sign.BuilderID
	}
	provenance := func(r layering.Result) (signing.Provenance, error) {
		rec := p.Snapshot.Records[r.Name]
		i := slices.IndexFunc(p.Targets, func(t layering.Target) bool { return t.Image.Name == r.Name })
		if rec == nil || i < 0 {
			return signing.Provenance{}, fmt.Errorf("provenance of %s: not planned", r.Name)
		}
		info := p.Targets[i].Info
		version := info.Version
		if version == "" {
			version = config.DevVersion
		}
		var platforms []string
		for _, pr := range rec.Platforms {
			platforms = append(platforms, pr.Platform)
		}
		return signing.Provenance{
			Image: r.Name, Platforms: platforms, Version: version,
			Config: filepath.ToSlash(rel), ConfigSHA256: hex.EncodeToString(sum[:]),
			Commit: info.Git.Commit, TreeState: info.Git.TreeState,
			Inputs:    rec.Digest,
			BuilderID: builderID, BuilderVersion: builderVersion,
		}, nil
	}
	repository := func(r layering.Result) string { return imageref.Join(registry, r.Repository) }
	return signing.NewPublisher(pub, key, repository, provenance), nil
}
