// Command hello is the example of the documentation.
package main

func main() {}
