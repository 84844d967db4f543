package gitexec

import (
	"fmt"
	"strings"
)

// CheckRefName fails when name is not a valid git reference name by the
// rules of git check-ref-format (with --allow-onelevel): no component
// empty, starting with "." or ending with ".lock"; no "..", "@{", control
// characters, space, ~ ^ : ? * [ or \; not ending with "."; not "@".
func CheckRefName(name string) error {
	if why := refProblem(name); why != "" {
		return fmt.Errorf("%q is not a valid git reference name: %s", name, why)
	}
	return nil
}

// CheckBranch fails when name is not a valid branch name, as git
// check-ref-format --branch: refs/heads/NAME is a valid reference name and
// NAME does not start with "-" and is not HEAD.
func CheckBranch(name string) error {
	why := refProblem("refs/heads/" + name)
	switch {
	case strings.HasPrefix(name, "-"):
		why = "starts with -"
	case name == "HEAD":
		why = "HEAD is not a branch"
	}
	if why != "" {
		return fmt.Errorf("%q is not a valid git branch name: %s", name, why)
	}
	return nil
}

// CheckTag fails when name is not a valid tag name: refs/tags/NAME is a
// valid reference name.
func CheckTag(name string) error {
	if why := refProblem("refs/tags/" + name); why != "" {
		return fmt.Errorf("%q is not a valid git tag name: %s", name, why)
	}
	return nil
}

// refProblem returns why name breaks git's rules for reference names, or
// "" when it does not.
func refProblem(name string) string {
	switch {
	case name == "":
		return "empty"
	case name == "@":
		return "it is @"
	case strings.HasSuffix(name, "."):
		return "ends with ."
	case strings.Contains(name, ".."):
		return "contains .."
	case strings.Contains(name, "@{"):
		return "contains @{"
	}
	for _, r := range name {
		if r < 0x20 || r == 0x7f || strings.ContainsRune(" ~^:?*[\\", r) {
			return fmt.Sprintf("contains %q", r)
		}
	}
	for _, c := range strings.Split(name, "/") {
		switch {
		case c == "":
			return "has an empty component (leading, trailing or double /)"
		case strings.HasPrefix(c, "."):
			return fmt.Sprintf("component %q starts with .", c)
		case strings.HasSuffix(c, ".lock"):
			return fmt.Sprintf("component %q ends with .lock", c)
		}
	}
	return ""
}
