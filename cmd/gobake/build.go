package main

import "errors"

type buildCmd struct {
	Images []string `arg:"" optional:"" help:"Images to build (default: all)."`
}

func (c *buildCmd) Run(g *globals) error { return errors.New("build: not implemented yet") }
