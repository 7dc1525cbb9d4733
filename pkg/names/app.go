package names

// The names of what an app's stack holds beyond its repository and log
// group. Service and timer names are manifest names: lowercase letters,
// digits and hyphens, like app names, so each join below stays
// unambiguous by its capitalized infix, as AppStack's does.

// TaskFamily is the family of the task definitions of app's service:
// "<rack>-App-<app>-Service-<service>". Listing a family's tasks lists
// that service's and no other's.
func TaskFamily(rack, app, service string) string {
	return AppStack(rack, app) + "-Service-" + service
}

// TimerFamily is the family of the task definitions of app's timer:
// "<rack>-App-<app>-Timer-<timer>".
func TimerFamily(rack, app, timer string) string {
	return AppStack(rack, app) + "-Timer-" + timer
}
