package main

import (
	"bytes"
	"context"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/alecthomas/kong"
	"github.com/google/go-cmp/cmp"
)

// exampleCommands returns the gobake command lines of an Examples: block:
// the words from "gobake" up to a pipe, redirection or comment.
func exampleCommands(detail string) [][]string {
	var out [][]string
	for line := range strings.Lines(detail) {
		if !strings.HasPrefix(line, "    ") || strings.HasPrefix(strings.TrimSpace(line), "#") {
			continue
		}
		line, _, _ = strings.Cut(line, " #")
		words := strings.Fields(line)
		start := -1
		for i, w := range words {
			if strings.TrimPrefix(w, "<(") == "gobake" {
				start = i
				break
			}
		}
		if start < 0 {
			continue
		}
		var args []string
		for _, w := range words[start+1:] {
			if w == "|" || w == ">" || w == ">>" || w == ";" || w == "&&" || w == "||" {
				break
			}
			args = append(args, strings.TrimSuffix(w, ")"))
		}
		out = append(out, args)
	}
	return out
}

// TestHelpExamples checks that every command's --help shows one or more
// examples of that command, that each example parses as gobake's command
// line does (so a renamed flag breaks this test, not the user), and that
// the help says what the exit status means.
func TestHelpExamples(t *testing.T) {
	parser, err := kong.New(&cli{}, kong.Name("gobake"), kong.Exit(func(int) {}), kong.Writers(&bytes.Buffer{}, &bytes.Buffer{}))
	noErr(t, err)
	if len(parser.Model.Children) < 10 {
		t.Fatalf("only %d commands", len(parser.Model.Children))
	}
	for _, node := range parser.Model.Children {
		t.Run(node.Name, func(t *testing.T) {
			if !strings.HasPrefix(node.Detail, "Examples:\n") || !strings.Contains(node.Detail, "\nExit status: "+exitStatuses()[node.Name]) || exitStatuses()[node.Name] == "" {
				t.Fatalf("help of %s lacks examples or its exit status:\n%s", node.Name, node.Detail)
			}
			examples := exampleCommands(node.Detail)
			ofCommand := 0
			for _, args := range examples {
				if len(args) > 0 && args[0] == node.Name {
					ofCommand++
				}
				p, err := kong.New(&cli{}, kong.Name("gobake"), kong.Exit(func(int) {}), kong.Writers(&bytes.Buffer{}, &bytes.Buffer{}))
				noErr(t, err)
				if _, err := p.Parse(args); err != nil {
					t.Errorf("example gobake %s: %v", strings.Join(args, " "), err)
				}
			}
			if ofCommand == 0 {
				t.Errorf("no example runs gobake %s:\n%s", node.Name, node.Detail)
			}
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), []string{node.Name, "--help"}, &stdout, &stderr); code != 0 || !strings.Contains(stdout.String(), "Examples:") {
				t.Errorf("gobake %s --help: exit %d, no examples:\n%s%s", node.Name, code, stdout.String(), stderr.String())
			}
		})
	}
}

// TestExitStatusDocumented checks README.md's exit status table against
// what each command's --help says.
func TestExitStatusDocumented(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	noErr(t, err)
	_, section, ok := strings.Cut(string(readme), "\n### Exit status\n")
	if !ok {
		t.Fatal("README.md has no Exit status section")
	}
	row := regexp.MustCompile("^\\| `(\\w+)` \\| (.*) \\|$")
	got := map[string]string{}
	for line := range strings.Lines(section) {
		m := row.FindStringSubmatch(strings.TrimSpace(line))
		if m == nil && len(got) > 0 {
			break // the end of the table
		}
		if m != nil {
			got[m[1]] = m[2]
		}
	}
	if diff := cmp.Diff(exitStatuses(), got); diff != "" {
		t.Errorf("README.md exit status table (-help +README):\n%s", diff)
	}
}
