// Command ctl prints its identity and the client identifiers of the
// sample's services. Its image is built for linux/amd64 and linux/arm64.
package main

import (
	"fmt"

	"example.com/mono/internal/auth"
	"example.com/mono/internal/greet"
)

var version = "unset"

func main() {
	for _, l := range greet.Header("ctl", version) {
		fmt.Println(l)
	}
	for _, svc := range []string{"api", "web", "worker"} {
		fmt.Printf("client %s: %s\n", svc, auth.ClientID(svc))
	}
}
