package appstack

import (
	"strconv"
	"strings"
)

// Logical ids. Each resource of a service or timer is a kind's prefix
// followed by the name's CamelCase form (camel), and camel always starts
// with a capital. So two ids can only be equal when their prefixes are,
// as long as no prefix, followed by a capital or a digit, starts another
// prefix or a fixed id (ids_test.go checks the list); and within one
// prefix camel never maps two names to one id.
const (
	idRepository    = "Repository"
	idLogGroup      = "LogGroup"
	idExecutionRole = "ExecutionRole" // the tasks' execution role, shared by the app's services and timers
	idSchedulerRole = "SchedulerRole" // the role the app's schedules run their tasks with

	prefixTaskDefinition = "TaskDefinition"
	prefixService        = "Service"
	prefixTaskRole       = "TaskRole"
	prefixSecurityGroup  = "SecurityGroup"
	prefixTargetGroup    = "TargetGroup" // then External or Internal
	prefixRule           = "Rule"        // then External or Internal, a chunk's number after the first
	prefixScalableTarget = "ScalableTarget"
	prefixScaling        = "Scaling" // then Cpu, Memory, Requests, or Custom and a number

	prefixSchedule            = "Schedule"
	prefixTimerTaskDefinition = "TimerTaskDefinition"
	prefixTimerTaskRole       = "TimerTaskRole"
)

// The template's outputs.
const (
	outputRepositoryName = "RepositoryName"
	outputRepositoryURI  = "RepositoryUri"
	outputLogGroup       = "LogGroup"
	outputRelease        = "Release"
	prefixOutputService  = "Service" // the ECS service's ARN
	prefixOutputHosts    = "Hosts"   // the service's host names, comma-separated
)

// OutputService is the output of an app stack that holds the ARN of
// service's ECS service.
func OutputService(service string) string { return prefixOutputService + camel(service) }

// OutputHosts is the output of an app stack that lists the host names
// service answers on, comma-separated; it is there only for a service
// with a port.
func OutputHosts(service string) string { return prefixOutputHosts + camel(service) }

// OutputRelease is the output of an app stack that names the release it
// runs.
const OutputRelease = outputRelease

// id is the logical id of the resource of kind (a prefix) for the service
// or timer name.
func id(prefix, name string) string { return prefix + camel(name) }

// idN is id with n, when above 0, between prefix and name: the nth of
// several resources of a kind.
func idN(prefix string, n int, name string) string {
	if n == 0 {
		return id(prefix, name)
	}
	return prefix + strconv.Itoa(n) + camel(name)
}

// camel writes a manifest name (lowercase letters, digits and hyphens,
// starting with a letter) in the letters and digits a logical id is made
// of: "web" is Web, "web-api" WebApi. It reads the name as if a hyphen
// came first and writes each hyphen with what follows it as one token:
// before a letter a to y, that letter's capital; "-z" as ZZ; before a
// digit, Z and the digit; before another hyphen or at the end, ZH.
// Letters and digits not after a hyphen are written as they are. No token
// is the start of another, so the name can be read back from the result:
// "a-b" (AB) and "ab" (Ab), "a-1" (AZ1) and "a1" (A1) stay apart.
func camel(name string) string {
	s := "-" + name
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '-' {
			b.WriteByte(c)
			continue
		}
		var next byte
		if i+1 < len(s) {
			next = s[i+1]
		}
		switch {
		case next >= 'a' && next <= 'y':
			b.WriteByte(next - 'a' + 'A')
			i++
		case next == 'z':
			b.WriteString("ZZ")
			i++
		case next >= '0' && next <= '9':
			b.WriteByte('Z')
			b.WriteByte(next)
			i++
		default:
			b.WriteString("ZH")
		}
	}
	return b.String()
}
