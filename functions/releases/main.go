// Command releases is the rack's releases Lambda function; pkg/wire/releasesfn says
// what it is made of.
package main

import "github.com/rackhq/rack/pkg/wire/releasesfn"

func main() { releasesfn.Function.Start() }
