// Command worker prints its identity and the jobs it would run. Its image
// is built on scratch.
package main

import (
	"fmt"

	"example.com/mono/internal/greet"
)

var version = "unset"

func main() {
	for _, l := range greet.Header("worker", version) {
		fmt.Println(l)
	}
	for i, job := range []string{"resize", "index", "notify"} {
		fmt.Printf("job %d: %s\n", i+1, job)
	}
}
