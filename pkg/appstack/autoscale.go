package appstack

import (
	"maps"
	"slices"
	"strings"

	"github.com/rackhq/rack/pkg/manifest"
)

// autoscale adds the scalable target of service s (its ECS service svc)
// and a target-tracking policy for each of its targets. The bounds are its
// manifest's count, widened to take its desired count, as Convox widens
// them for a count set by `convox scale`. The target uses Application
// Auto Scaling's service-linked role for ECS, which it creates itself.
func (r *renderer) autoscale(s manifest.Service, svc string, count int) {
	target := id(prefixScalableTarget, s.Name)
	r.add(target, Resource{Type: "AWS::ApplicationAutoScaling::ScalableTarget", Properties: scalableTarget{
		MinCapacity:       min(s.Scale.Min, count),
		MaxCapacity:       max(s.Scale.Max, count),
		ResourceId:        sub("service/" + subLiteral(r.o.Rack.Cluster) + "/${" + svc + ".Name}"),
		ScalableDimension: "ecs:service:DesiredCount",
		ServiceNamespace:  "ecs",
	}})
	add := func(id, name string, value float64, predefined *predefinedMetric, custom *customizedMetric) {
		r.add(id, Resource{Type: "AWS::ApplicationAutoScaling::ScalingPolicy", Properties: scalingPolicy{
			PolicyName:      s.Name + "-" + name,
			PolicyType:      "TargetTrackingScaling",
			ScalingTargetId: ref(target),
			TargetTrackingScalingPolicyConfiguration: targetTracking{
				TargetValue:                   value,
				ScaleInCooldown:               s.Scale.Cooldown.Down,
				ScaleOutCooldown:              s.Scale.Cooldown.Up,
				PredefinedMetricSpecification: predefined,
				CustomizedMetricSpecification: custom,
			},
		}})
	}
	t := s.Scale.Targets
	if t.CPU > 0 {
		add(id(prefixScaling+"Cpu", s.Name), "cpu", float64(t.CPU),
			&predefinedMetric{PredefinedMetricType: "ECSServiceAverageCPUUtilization"}, nil)
	}
	if t.Memory > 0 {
		add(id(prefixScaling+"Memory", s.Name), "memory", float64(t.Memory),
			&predefinedMetric{PredefinedMetricType: "ECSServiceAverageMemoryUtilization"}, nil)
	}
	if t.Requests > 0 {
		// Requests per target are counted at one balancer: the first the
		// service is behind. Checked: a service with a requests target has
		// a port, and its listener's ARN names its balancer.
		b := balancers(s)[0]
		listener, _ := r.listener(b)
		balancer, _ := balancerName(listener)
		add(id(prefixScaling+"Requests", s.Name), "requests", float64(t.Requests), &predefinedMetric{
			PredefinedMetricType: "ALBRequestCountPerTarget",
			ResourceLabel:        sub(subLiteral(balancer) + "/${" + prefixTargetGroup + b + camel(s.Name) + ".TargetGroupFullName}"),
		}, nil)
	}
	for i, m := range t.Custom {
		var dims []metricDimension
		for _, k := range slices.Sorted(maps.Keys(m.Dimensions)) {
			dims = append(dims, metricDimension{Name: k, Value: m.Dimensions[k]})
		}
		add(idN(prefixScaling+"Custom", i, s.Name), "custom-"+itoa(i), m.Value, nil, &customizedMetric{
			Namespace: m.Namespace, MetricName: m.Name, Statistic: m.Statistic(), Dimensions: dims,
		})
	}
}

// balancerName is the name of an application load balancer as
// CloudWatch's dimensions and request-count targets name it,
// app/<name>/<id>, read from the ARN of one of its listeners
// (arn:...:listener/app/<name>/<id>/<listener id>).
func balancerName(listener string) (string, bool) {
	_, rest, ok := strings.Cut(listener, ":listener/")
	parts := strings.Split(rest, "/")
	if !ok || len(parts) != 4 || parts[0] != "app" || parts[1] == "" || parts[2] == "" {
		return "", false
	}
	return strings.Join(parts[:3], "/"), true
}
