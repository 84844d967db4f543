package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gobake/gobake/internal/kocompat"
	"github.com/gobake/gobake/internal/scaffold"
)

// initCmd writes a first gobake.yaml, one image per main package.
type initCmd struct {
	FromKo   bool   `name:"from-ko" help:"Translate .ko.yaml (implied when it exists); $KO_DOCKER_REPO becomes the registry."`
	Force    bool   `help:"Overwrite an existing gobake.yaml."`
	Registry string `help:"Registry to write (default: $KO_DOCKER_REPO when translating ko)."`
	Naming   string `default:"gobake" enum:"gobake,ko,base-import-paths,preserve-import-paths" help:"Write each image's repository with ko's naming so image names stay: ${enum}."`
	Stdout   bool   `help:"Print the file on standard output instead of writing it."`
}

func (c *initCmd) Run(g *globals) error {
	naming, err := kocompat.ParseNaming(c.Naming)
	if err != nil {
		return err
	}
	path, err := filepath.Abs(g.config)
	if err != nil {
		return err
	}
	if !c.Stdout && !c.Force {
		if _, err := os.Stat(path); err == nil {
			return fmt.Errorf("%s already exists; pass --force to overwrite it", path)
		}
	}
	data, plan, err := scaffold.Generate(g.ctx, filepath.Dir(path), scaffold.InitOptions{
		FromKo:       c.FromKo,
		KoDockerRepo: os.Getenv("KO_DOCKER_REPO"),
		Registry:     c.Registry,
		Naming:       naming,
	})
	if err != nil {
		return err
	}
	for _, n := range plan.Notes {
		fmt.Fprintf(g.stderr, "gobake init: not translated: %s\n", n)
	}
	for _, n := range plan.Unresolved {
		fmt.Fprintf(g.stderr, "gobake init: no image: %s\n", n)
	}
	for _, img := range plan.Images {
		if img.Disabled != "" {
			fmt.Fprintf(g.stderr, "gobake init: commented out %s (%s): %s\n", img.Name, img.ImportPath, img.Disabled)
		}
	}
	if c.Stdout {
		_, err := g.stdout.Write(data)
		return err
	}
	if err := scaffold.WriteFile(path, data, c.Force); err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "gobake init: wrote %s\n", path)
	return nil
}
