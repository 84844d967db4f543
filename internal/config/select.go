package config

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
)

// Select returns the images named, in configuration order and each once;
// every image when names is empty. Every command selects images with it,
// so that an unknown name gets the same message everywhere: the names not
// found, the closest known name when one is near, else the known names.
func (c *Config) Select(names []string) ([]Image, error) {
	if len(names) == 0 {
		return slices.Clone(c.Images), nil
	}
	var unknown []string
	for _, n := range names {
		if _, ok := c.Image(n); !ok && !slices.Contains(unknown, n) {
			unknown = append(unknown, n)
		}
	}
	if len(unknown) > 0 {
		return nil, c.unknownImages(unknown)
	}
	var out []Image
	for _, img := range c.Images {
		if slices.Contains(names, img.Name) {
			out = append(out, img)
		}
	}
	return out, nil
}

// SelectNames is Select returning the names of the images.
func (c *Config) SelectNames(names []string) ([]string, error) {
	imgs, err := c.Select(names)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(imgs))
	for i, img := range imgs {
		out[i] = img.Name
	}
	return out, nil
}

// LayoutDir is the OCI layout images go to when there is no registry, and
// where plan reads the previous build from then: DefaultLayoutDir beside
// gobake.yaml.
func (c *Config) LayoutDir() string {
	return filepath.Join(c.Root, filepath.FromSlash(DefaultLayoutDir))
}

// unknownImages is the error for image names c does not have.
func (c *Config) unknownImages(unknown []string) error {
	file := filepath.Base(c.Path)
	quoted := make([]string, len(unknown))
	for i, n := range unknown {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	msg := fmt.Sprintf("no image %s in %s", strings.Join(quoted, ", "), file)
	if len(unknown) == 1 {
		if s := c.closest(unknown[0]); s != "" {
			return fmt.Errorf("%s; did you mean %q?", msg, s)
		}
	}
	known := make([]string, len(c.Images))
	for i, img := range c.Images {
		known[i] = img.Name
	}
	if len(known) == 0 {
		return fmt.Errorf("%s (it has no images)", msg)
	}
	return fmt.Errorf("%s (images: %s)", msg, strings.Join(known, ", "))
}

// closest returns the image name nearest to n by edit distance, when it is
// near enough to be a typo (at most a third of the longer name, at least
// one edit); "" otherwise.
func (c *Config) closest(n string) string {
	best, bestDist := "", -1
	for _, img := range c.Images {
		d := editDistance(n, img.Name) // see load.go
		limit := max(1, max(len(n), len(img.Name))/3)
		if d <= limit && (bestDist < 0 || d < bestDist) {
			best, bestDist = img.Name, d
		}
	}
	return best
}
