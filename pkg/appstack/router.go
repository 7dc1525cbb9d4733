package appstack

import (
	"hash/fnv"
	"slices"
	"strconv"
	"strings"

	"github.com/rackhq/rack/pkg/manifest"
)

// The rack's balancers, as a service's resources name them.
const (
	external = "External"
	internal = "Internal"
)

// balancers are the balancers a service with a port is behind: the
// external one, the internal one (internal: true), or both
// (internalAndExternal: true).
func balancers(s manifest.Service) []string {
	var out []string
	if !s.Internal || s.InternalAndExternal {
		out = append(out, external)
	}
	if s.Internal {
		out = append(out, internal)
	}
	return out
}

// listener is the listener of balancer b that takes services' rules: the
// HTTPS one when there is one (HTTP then redirects to it), else HTTP.
func (r *renderer) listener(b string) (arn string, https bool) {
	rt := r.o.Rack.Router
	plain, secure := rt.HTTP, rt.HTTPS
	if b == internal {
		plain, secure = rt.InternalHTTP, rt.InternalHTTPS
	}
	if secure != "" {
		return secure, true
	}
	return plain, false
}

// hosts are the host names service s answers on: its default one under
// the rack's domain, then its own domains, each once.
func (r *renderer) hosts(s manifest.Service) []string {
	var out []string
	if d := r.o.Rack.Domain; d != "" {
		out = append(out, s.Name+"."+r.o.App+"."+d)
	}
	for _, d := range s.Domains {
		if !slices.Contains(out, d) {
			out = append(out, d)
		}
	}
	return out
}

// targetGroup adds the target group of service s on balancer b.
func (r *renderer) targetGroup(s manifest.Service, b string) string {
	targetType := "instance"
	if r.o.Rack.Fargate {
		targetType = "ip"
	}
	attrs := []keyValueString{
		{Key: "deregistration_delay.timeout_seconds", Value: strconv.Itoa(min(s.Drain, maxDrain))},
		{Key: "stickiness.enabled", Value: strconv.FormatBool(s.Sticky)},
	}
	if s.Sticky {
		attrs = append(attrs, keyValueString{Key: "stickiness.type", Value: "lb_cookie"})
	}
	id := prefixTargetGroup + b + camel(s.Name)
	r.add(id, Resource{Type: "AWS::ElasticLoadBalancingV2::TargetGroup", Properties: targetGroup{
		VpcId:                      r.o.Rack.VPC,
		Port:                       s.Port.Port,
		Protocol:                   strings.ToUpper(s.Port.Scheme),
		TargetType:                 targetType,
		HealthCheckPort:            "traffic-port", // the port the task got, on EC2 one the host picked
		HealthCheckPath:            s.Health.Path,
		HealthCheckIntervalSeconds: s.Health.Interval,
		HealthCheckTimeoutSeconds:  s.Health.Timeout,
		HealthyThresholdCount:      2,
		UnhealthyThresholdCount:    2,
		Matcher:                    matcher{HttpCode: "200-399,401"}, // Convox's: an app behind a login is up
		TargetGroupAttributes:      attrs,
		Tags:                       []tag{{Key: "App", Value: r.o.App}, {Key: "Service", Value: s.Name}},
	}})
	return id
}

// maxDrain bounds how long a stopping task keeps its connections: Convox
// waits 30 s by default, and a deploy waits for it.
const maxDrain = 30

// hostsPerRule is the most host names one listener rule matches: an ALB
// takes 5 condition values per rule.
const hostsPerRule = 5

// rules adds the listener rules that send service s's hosts on balancer b
// to target group tg, at most hostsPerRule hosts each, exact names before
// wildcards, and returns their ids.
func (r *renderer) rules(s manifest.Service, b, tg string) []string {
	listener, _ := r.listener(b)
	var exact, wild []string
	for _, h := range r.hosts(s) {
		if strings.Contains(h, "*") || strings.Contains(h, "?") {
			wild = append(wild, h)
		} else {
			exact = append(exact, h)
		}
	}
	var ids []string
	n := 0
	for _, group := range []struct {
		hosts    []string
		wildcard bool
	}{{exact, false}, {wild, true}} {
		for chunk := range slices.Chunk(group.hosts, hostsPerRule) {
			id := idN(prefixRule+b, n, s.Name)
			r.add(id, Resource{Type: "AWS::ElasticLoadBalancingV2::ListenerRule", Properties: listenerRule{
				ListenerArn: listener,
				Priority:    r.priority(listener, s.Name, b, n, group.wildcard),
				Conditions:  []ruleCondition{{Field: "host-header", HostHeaderConfig: hostHeaderConfig{Values: chunk}}},
				Actions:     []ruleAction{{Type: "forward", TargetGroupArn: ref(tg)}},
			}})
			ids = append(ids, id)
			n++
		}
	}
	return ids
}

// Listener rule priorities. A listener's rules come from every app of the
// rack, and no two may share a priority, but an app stack knows nothing of
// the others: each rule's priority is a hash of (app, service, balancer,
// rule number), so it is the same at every render and different apps'
// rules rarely meet. Within the app a taken priority moves to the next
// free one. Rules matching exact host names take 1-40000 and those with
// wildcards 40001-50000, so an exact name is matched before a wildcard
// that covers it. Two apps' rules on one listener still collide with a
// chance of about n²/80000 for n rules (1% at 28, 12% at 100, an ALB's
// default quota); the update then fails ("PriorityInUse") and rolls back.
// docs/app-stack.md says more.
const (
	priorityExact    = 1
	priorityWildcard = 40001
	priorityEnd      = 50001
)

// priority is the priority of rule n of service on balancer b, on
// listener.
func (r *renderer) priority(listener, service, b string, n int, wildcard bool) int {
	lo, hi := priorityExact, priorityWildcard
	if wildcard {
		lo, hi = priorityWildcard, priorityEnd
	}
	p := lo + int(rulePriorityHash(r.o.App, service, b, n)%uint32(hi-lo))
	taken := r.priorities[listener]
	if taken == nil {
		taken = map[int]bool{}
		r.priorities[listener] = taken
	}
	for taken[p] {
		p = lo + (p-lo+1)%(hi-lo)
	}
	taken[p] = true
	return p
}

// rulePriorityHash is FNV-1a of app, service, balancer and rule number
// joined by slashes, which no name holds.
func rulePriorityHash(app, service, b string, n int) uint32 {
	h := fnv.New32a()
	h.Write([]byte(app + "/" + service + "/" + b + "/" + strconv.Itoa(n)))
	return h.Sum32()
}
