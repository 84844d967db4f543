// Command helloworld is an image the e2e tests deploy.
package main

func main() {}
