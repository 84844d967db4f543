package main

import (
	"bytes"
	"errors"
	"fmt"
	"os/exec"
)

// applyCmd resolves YAML and pipes it to kubectl apply -f -.
type applyCmd struct {
	resolveFlags `embed:""`
	KubectlArgs  []string `arg:"" optional:"" passthrough:"" help:"Extra arguments for kubectl apply, after --."`
}

func (c *applyCmd) Run(g *globals) error {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		return errors.New("kubectl is not on PATH; install it, or run gobake resolve -f … and pipe the output to your deployment tool")
	}
	var resolved bytes.Buffer
	if err := c.resolve(g, &resolved); err != nil {
		return err
	}
	extra := c.KubectlArgs
	if len(extra) > 0 && extra[0] == "--" { // kong keeps the separator
		extra = extra[1:]
	}
	args := append([]string{"apply", "-f", "-"}, extra...)
	cmd := exec.CommandContext(g.ctx, kubectl, args...)
	cmd.Stdin = &resolved
	cmd.Stdout = g.stdout
	cmd.Stderr = g.stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("kubectl apply: %w", err)
	}
	return nil
}
