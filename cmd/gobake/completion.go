package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/alecthomas/kong"
	"github.com/posener/complete"
	"github.com/willabides/kongplete"

	"github.com/gobake/gobake/internal/config"
)

// completionCmd prints the script that makes a shell complete gobake's
// commands, flags and image names.
type completionCmd struct {
	Shell string `arg:"" enum:"bash,zsh,fish" help:"Shell to print the script for: ${enum}."`
}

func (c *completionCmd) Run(g *globals) error {
	bin, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find gobake's own path for the completion script: %w", err)
	}
	if bin, err = filepath.Abs(bin); err != nil {
		return fmt.Errorf("find gobake's own path for the completion script: %w", err)
	}
	_, err = fmt.Fprint(g.stdout, completionScript(c.Shell, bin))
	return err
}

// completionScript returns the script for shell: it registers bin as the
// completer of the gobake command. The shell runs bin with $COMP_LINE set,
// and kongplete answers (see answerCompletion).
func completionScript(shell, bin string) string {
	switch shell {
	case "fish":
		q := "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(bin) + "'"
		return "# gobake completion for fish: gobake completion fish | source\n" +
			"function __gobake_complete\n" +
			"    set -lx COMP_LINE (commandline -cp)\n" +
			"    test -z (commandline -ct)\n" +
			"    and set COMP_LINE \"$COMP_LINE \"\n" +
			"    " + q + "\n" +
			"end\n" +
			"complete -c gobake -f -a '(__gobake_complete)'\n"
	case "zsh":
		return "# gobake completion for zsh: source <(gobake completion zsh)\n" +
			"(( $+functions[compdef] )) || { autoload -U +X compinit && compinit; }\n" +
			"autoload -U +X bashcompinit && bashcompinit\n" +
			"complete -o default -C " + shellQuote(bin) + " gobake\n"
	default:
		return "# gobake completion for bash: source <(gobake completion bash)\n" +
			"complete -o default -C " + shellQuote(bin) + " gobake\n"
	}
}

// shellQuote quotes s for bash and zsh.
func shellQuote(s string) string {
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// answerCompletion answers a shell's completion request ($COMP_LINE set by the
// script completionScript prints) from parser's model, image names coming
// from gobake.yaml, and reports whether it did: gobake then exits.
func answerCompletion(parser *kong.Kong, getenv func(string) string) bool {
	done := false
	kongplete.Complete(parser,
		kongplete.WithPredictor("image", imagePredictor(getenv)),
		kongplete.WithExitFunc(func(int) { done = true }),
	)
	return done
}

// imagePredictor predicts the image names of the gobake.yaml the command
// line ($COMP_LINE: the predictor's arguments start at the subcommand)
// names with --config (or -c), else $GOBAKE_CONFIG, else gobake.yaml.
func imagePredictor(getenv func(string) string) complete.Predictor {
	return complete.PredictFunc(func(complete.Args) []string {
		path := getenv("GOBAKE_CONFIG")
		words := strings.Fields(getenv("COMP_LINE"))
		for i, w := range words {
			switch {
			case (w == "-c" || w == "--config") && i+1 < len(words):
				path = words[i+1]
			case strings.HasPrefix(w, "--config="):
				path = strings.TrimPrefix(w, "--config=")
			}
		}
		if path == "" {
			path = config.FileName
		}
		names, err := config.ImageNames(path)
		if err != nil {
			return nil
		}
		return names
	})
}
