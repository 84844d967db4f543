package config

import (
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// ImageNames returns the image names of the gobake.yaml at path, in file
// order, reading only the keys of images: no check, no defaults, so that
// shell completion answers fast and even from a file with mistakes.
func ImageNames(path string) ([]string, error) {
	src, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		return nil, fmt.Errorf("load %s: %w", path, err)
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, nil
	}
	top := doc.Content[0].Content
	var names []string
	for i := 0; i+1 < len(top); i += 2 {
		if top[i].Value != "images" || top[i+1].Kind != yaml.MappingNode {
			continue
		}
		images := top[i+1].Content
		for j := 0; j+1 < len(images); j += 2 {
			if images[j].Kind == yaml.ScalarNode && images[j].Value != "<<" {
				names = append(names, images[j].Value)
			}
		}
	}
	return names, nil
}
