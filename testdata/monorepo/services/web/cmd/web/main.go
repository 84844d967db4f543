// Command web prints its identity and the files embedded in its binary;
// `web serve` serves them on :8080.
package main

import (
	"embed"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"strings"

	"example.com/mono/internal/greet"
	"example.com/mono/internal/httpx"
)

var version = "unset"

//go:embed static
var static embed.FS

func main() {
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		sub, err := fs.Sub(static, "static")
		if err == nil {
			err = httpx.Serve(":8080", http.FileServerFS(sub))
		}
		if err != nil {
			fmt.Fprintf(os.Stderr, "web: %v\n", err)
			os.Exit(1)
		}
		return
	}
	for _, l := range greet.Header("web", version) {
		fmt.Println(l)
	}
	err := fs.WalkDir(static, "static", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := static.ReadFile(path)
		if err != nil {
			return err
		}
		fmt.Printf("%s: %s\n", path, strings.TrimSpace(string(b)))
		return nil
	})
	if err != nil {
		fmt.Fprintf(os.Stderr, "web: %v\n", err)
		os.Exit(1)
	}
}
