// Command notifications is the rack's notifications Lambda function; pkg/wire/notificationsfn says
// what it is made of.
package main

import "github.com/rackhq/rack/pkg/wire/notificationsfn"

func main() { notificationsfn.Function.Start() }
