package scaffold

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/gobake/gobake/internal/kocompat"
)

// InitOptions are the inputs of gobake init.
type InitOptions struct {
	// FromKo translates root/.ko.yaml; it is implied when that file exists.
	FromKo bool
	// KoDockerRepo is $KO_DOCKER_REPO, which becomes the registry.
	KoDockerRepo string
	// Registry, when set, wins over KoDockerRepo.
	Registry string
	// Naming writes each image's repository with one of ko's rules.
	Naming kocompat.Naming
}

// Generate returns a gobake.yaml for the repository at root, and the plan
// it wrote: its images (some commented out, see Select), what of .ko.yaml
// it could not translate and the ko:// references it found no main for.
func Generate(ctx context.Context, root string, opts InitOptions) ([]byte, *Plan, error) {
	root, err := filepath.Abs(root)
	if err != nil {
		return nil, nil, err
	}
	mains, err := FindMains(ctx, root)
	if err != nil {
		return nil, nil, err
	}
	if len(mains) == 0 {
		return nil, nil, fmt.Errorf("no main package under %s", root)
	}
	ro := Options{Registry: opts.Registry, Naming: opts.Naming}
	koPath := filepath.Join(root, kocompat.KoFileName)
	_, statErr := os.Stat(koPath)
	haveKo := statErr == nil
	if opts.FromKo && !haveKo {
		return nil, nil, fmt.Errorf("--from-ko: %w", statErr)
	}
	if haveKo {
		data, err := os.ReadFile(koPath)
		if err != nil {
			return nil, nil, err
		}
		// Messages name the file relative to the repository.
		f, err := kocompat.ParseKoFile(kocompat.KoFileName, data)
		if err != nil {
			return nil, nil, err
		}
		ro.Ko = kocompat.Translate(f, root)
		ro.KoFile = kocompat.KoFileName
		if ro.Registry == "" {
			reg, notes := kocompat.Registry(opts.KoDockerRepo)
			ro.Registry = reg
			ro.Notes = append(ro.Notes, notes...)
		}
	}
	koConfigured := map[string]bool{}
	if ro.Ko != nil {
		mains = append(mains, KoDependencyMains(ctx, root, mains, ro.Ko)...)
		for key := range ro.Ko.Images {
			koConfigured[key] = true
		}
	}
	refs, err := kocompat.ScanKoRefs(ctx, root)
	if err != nil {
		return nil, nil, err
	}
	refMains, unresolved := RefMains(ctx, root, mains, refs)
	mains = append(mains, refMains...)
	sel := Select(root, mains, refs, koConfigured)
	sel.Unresolved = unresolved
	ro.Selection = &sel
	p, err := NewPlan(root, mains, ro)
	if err != nil {
		return nil, nil, err
	}
	return Render(p, ro), p, nil
}

// WriteFile writes data to path, refusing to replace an existing file
// unless force is set.
func WriteFile(path string, data []byte, force bool) error {
	flag := os.O_WRONLY | os.O_CREATE | os.O_EXCL
	if force {
		flag = os.O_WRONLY | os.O_CREATE | os.O_TRUNC
	}
	f, err := os.OpenFile(path, flag, 0o644)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("%s already exists; pass --force to overwrite it", path)
	}
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return nil
}
