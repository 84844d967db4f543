package resolve

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// ReadInputs reads the inputs named by paths, in order, like ko's -f: "-"
// is stdin, a file is read whatever its name, a directory gives its .yaml,
// .yml and .json files in lexical order, and those of its subdirectories
// too when recursive is set.
func ReadInputs(ctx context.Context, paths []string, recursive bool, stdin io.Reader) ([]Input, error) {
	var inputs []Input
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if p == "-" {
			data, err := io.ReadAll(stdin)
			if err != nil {
				return nil, fmt.Errorf("read standard input: %w", err)
			}
			inputs = append(inputs, Input{Name: "-", Data: data})
			continue
		}
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("read manifests: %w", err)
		}
		if !fi.IsDir() {
			in, err := readFile(p)
			if err != nil {
				return nil, err
			}
			inputs = append(inputs, in)
			continue
		}
		var files []string
		err = filepath.WalkDir(p, func(f string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if f != p && !recursive {
					return filepath.SkipDir
				}
				return nil
			}
			switch strings.ToLower(filepath.Ext(f)) {
			case ".yaml", ".yml", ".json":
				files = append(files, f)
			}
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("read manifests in %s: %w", p, err)
		}
		slices.Sort(files)
		for _, f := range files {
			in, err := readFile(f)
			if err != nil {
				return nil, err
			}
			inputs = append(inputs, in)
		}
	}
	return inputs, nil
}

func readFile(path string) (Input, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Input{}, fmt.Errorf("read manifests: %w", err)
	}
	return Input{Name: path, Data: data}, nil
}
