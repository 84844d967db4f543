// Command api serves the static files shipped in kodata.
package main

import (
	"fmt"
	"net/http"
	"os"

	"example.com/kouser/internal/version"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "version" {
		fmt.Println(version.Version, version.Commit)
		return
	}
	dir := os.Getenv("KO_DATA_PATH")
	http.Handle("/", http.FileServer(http.Dir(dir)))
	fmt.Println("api listening on :8080")
	if err := http.ListenAndServe(":8080", nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
