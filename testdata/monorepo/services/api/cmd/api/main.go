// Command api prints its identity and the file kodata/message.txt, found
// through $KO_DATA_PATH; `api serve` serves the same text on :8080.
package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"example.com/mono/internal/auth"
	"example.com/mono/internal/greet"
	"example.com/mono/internal/httpx"
)

var version = "unset"

func main() {
	lines, err := report()
	if err != nil {
		fmt.Fprintf(os.Stderr, "api: %v\n", err)
		os.Exit(1)
	}
	text := strings.Join(lines, "\n") + "\n"
	if len(os.Args) > 1 && os.Args[1] == "serve" {
		if err := httpx.Serve(":8080", httpx.Text(text)); err != nil {
			fmt.Fprintf(os.Stderr, "api: %v\n", err)
			os.Exit(1)
		}
		return
	}
	fmt.Print(text)
}

// report returns the lines api prints.
func report() ([]string, error) {
	dir := os.Getenv("KO_DATA_PATH")
	if dir == "" {
		dir = "kodata"
	}
	msg, err := os.ReadFile(filepath.Join(dir, "message.txt"))
	if err != nil {
		return nil, fmt.Errorf("read data file: %w", err)
	}
	lines := greet.Header("api", version)
	lines = append(lines,
		"client: "+auth.ClientID("api"),
		strings.TrimSpace(string(msg)),
	)
	return lines, nil
}
