// Command controller is a main of the korepo fixture.
package main

func main() {}
