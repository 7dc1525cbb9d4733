// Command customresources is the rack's customresources Lambda function;
// pkg/wire/customresourcesfn says what it is made of.
package main

import "github.com/rackhq/rack/pkg/wire/customresourcesfn"

func main() { customresourcesfn.Function.Start() }
