// Package kocompat keeps gobake compatible with ko: it reads .ko.yaml,
// translates ko's build templates, reproduces ko's repository naming rules
// and maps the images Skaffold asks for onto gobake.yaml.
package kocompat
