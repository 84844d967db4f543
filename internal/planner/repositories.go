package planner

import (
	"slices"

	"github.com/gobake/gobake/internal/config"
)

// Repositories maps the selected images of cfg (every image when images
// is empty) to their repositories.
func Repositories(cfg *config.Config, images []string) map[string]string {
	out := make(map[string]string)
	for _, img := range cfg.Images {
		if len(images) == 0 || slices.Contains(images, img.Name) {
			out[img.Name] = img.Repository
		}
	}
	return out
}
