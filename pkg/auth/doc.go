// Package auth checks the credentials the convox CLI sends: HTTP Basic auth
// with the user "convox" and the rack password.
//
// The password itself is never stored. A Hasher turns it into a bcrypt
// hash, SettingHashes keeps that hash sealed (by the rack's KMS key) in the
// rack table, and a Verifier checks each request against it, caching the
// last success so that only the first request of a Lambda instance pays
// for bcrypt, and slowing down addresses that keep guessing.
package auth
