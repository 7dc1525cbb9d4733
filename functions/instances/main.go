// Command instances is the rack's instances Lambda function; pkg/wire/instancesfn says
// what it is made of.
package main

import "github.com/rackhq/rack/pkg/wire/instancesfn"

func main() { instancesfn.Function.Start() }
