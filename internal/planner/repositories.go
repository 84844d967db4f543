package planner

import "github.com/gobake/gobake/internal/config"

// Repositories maps the selected images of cfg (every image when images
// is empty) to their repositories.
func Repositories(cfg *config.Config, images []string) (map[string]string, error) {
	imgs, err := cfg.Select(images)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(imgs))
	for _, img := range imgs {
		out[img.Name] = img.Repository
	}
	return out, nil
}
