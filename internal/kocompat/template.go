package kocompat

import (
	"errors"
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"
	"text/template"
	"text/template/parse"
)

// templateFields maps the fields of ko's template data (pkg/build/gobuild.go
// createTemplateData) to gobake's TemplateData. A field missing here has no
// gobake equivalent. Prefix "Env." entries are handled apart.
func templateFields() map[string]string {
	return map[string]string{
		".Env":                 ".Env",
		".Date":                ".Date",
		".Git.Branch":          ".Git.Branch",
		".Git.Tag":             ".Git.Tag",
		".Git.ShortCommit":     ".Git.ShortCommit",
		".Git.FullCommit":      ".Git.Commit",
		".Git.CommitTimestamp": ".Git.CommitTimestamp",
		".Git.TreeState":       ".Git.TreeState",
		".Git.IsDirty":         `(eq .Git.TreeState "dirty")`,
		".Git.IsClean":         `(eq .Git.TreeState "clean")`,
	}
}

// untranslatable explains the ko fields known to have no gobake equivalent.
func untranslatable() map[string]string {
	return map[string]string{
		".Git.CommitDate": "gobake has no commit date as RFC 3339 (.Git.CommitTimestamp has it in Unix seconds)",
		".Timestamp":      "gobake has no build date in Unix seconds (.Date has it as RFC 3339)",
		".GoEnv":          "gobake templates do not see `go env`",
		".Git":            "gobake's .Git has other fields; use them one by one",
	}
}

var actionRE = regexp.MustCompile(`(?s)\{\{.*?\}\}`)

// TranslateTemplate rewrites one of ko's flags or ldflags templates into
// gobake's template language. It fails, naming the field, when the template
// uses something gobake's templates cannot provide.
func TranslateTemplate(s string) (string, error) {
	if !strings.Contains(s, "{{") {
		return s, nil
	}
	t, err := template.New("ko").Option("missingkey=error").Parse(s)
	if err != nil {
		return "", fmt.Errorf("parse template: %w", err)
	}
	fields := map[string]bool{}
	collectFields(t.Root, fields)
	known := templateFields()
	bad := untranslatable()
	var problems []string
	for _, f := range slices.Sorted(maps.Keys(fields)) {
		switch {
		case strings.HasPrefix(f, ".Env.") || known[f] != "":
		case strings.HasPrefix(f, ".GoEnv"):
			problems = append(problems, fmt.Sprintf("%s: %s", f, bad[".GoEnv"]))
		case bad[f] != "":
			problems = append(problems, fmt.Sprintf("%s: %s", f, bad[f]))
		default:
			problems = append(problems, fmt.Sprintf("%s: not a field of ko's template data", f))
		}
	}
	if len(problems) > 0 {
		return "", errors.New(strings.Join(problems, "; "))
	}
	// Rewrite inside actions only, longest field names first.
	names := slices.Sorted(maps.Keys(known))
	slices.SortFunc(names, func(a, b string) int { return len(b) - len(a) })
	return actionRE.ReplaceAllStringFunc(s, func(action string) string {
		for _, from := range names {
			to := known[from]
			if from == to {
				continue
			}
			re := regexp.MustCompile(regexp.QuoteMeta(from) + `\b`)
			action = re.ReplaceAllLiteralString(action, to)
		}
		return action
	}), nil
}

// collectFields records every field chain (".Git.Tag") used in n.
func collectFields(n parse.Node, out map[string]bool) {
	switch n := n.(type) {
	case *parse.ListNode:
		if n == nil {
			return
		}
		for _, c := range n.Nodes {
			collectFields(c, out)
		}
	case *parse.ActionNode:
		collectFields(n.Pipe, out)
	case *parse.PipeNode:
		if n == nil {
			return
		}
		for _, c := range n.Cmds {
			collectFields(c, out)
		}
	case *parse.CommandNode:
		for _, a := range n.Args {
			collectFields(a, out)
		}
	case *parse.FieldNode:
		out["."+strings.Join(n.Ident, ".")] = true
	case *parse.ChainNode:
		collectFields(n.Node, out)
	case *parse.IfNode:
		collectBranch(&n.BranchNode, out)
	case *parse.RangeNode:
		collectBranch(&n.BranchNode, out)
	case *parse.WithNode:
		collectBranch(&n.BranchNode, out)
	case *parse.TemplateNode:
		collectFields(n.Pipe, out)
	}
}

func collectBranch(b *parse.BranchNode, out map[string]bool) {
	collectFields(b.Pipe, out)
	collectFields(b.List, out)
	collectFields(b.ElseList, out)
}
