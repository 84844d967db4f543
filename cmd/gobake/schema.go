package main

import "github.com/gobake/gobake/schema"

type schemaCmd struct{}

func (schemaCmd) Run(g *globals) error {
	_, err := g.stdout.Write(schema.JSON)
	return err
}
