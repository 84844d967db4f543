// Command api is the repository's own service.
package main

import "fmt"

func main() { fmt.Println("api of example.com/koreplace") }
