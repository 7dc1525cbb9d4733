package appstack

// The properties of the CloudFormation resource types an app stack holds,
// as far as the rack sets them. Field names are CloudFormation's; a field
// typed any holds a literal or an intrinsic function's call (fn).

type tag struct {
	Key   string
	Value any
}

type ecrRepository struct {
	RepositoryName any
	EmptyOnDelete  bool
}

type logGroup struct {
	LogGroupName    any
	RetentionInDays any
}

// IAM

type iamRole struct {
	AssumeRolePolicyDocument policyDocument
	ManagedPolicyArns        []string    `json:",omitempty"`
	Policies                 []iamPolicy `json:",omitempty"`
}

type iamPolicy struct {
	PolicyName     string
	PolicyDocument policyDocument
}

type policyDocument struct {
	Version   string
	Statement []statement
}

type statement struct {
	Effect    string
	Principal map[string]any `json:",omitempty"`
	Action    []string
	Resource  any            `json:",omitempty"` // one or a list
	Condition map[string]any `json:",omitempty"`
}

// ECS

type taskDefinition struct {
	Family                  string
	ContainerDefinitions    []containerDefinition
	Cpu                     string `json:",omitempty"` // the task's size, on Fargate
	Memory                  string `json:",omitempty"`
	NetworkMode             string
	RequiresCompatibilities []string
	ExecutionRoleArn        any
	TaskRoleArn             any      `json:",omitempty"`
	Volumes                 []volume `json:",omitempty"`
	Tags                    []tag    `json:",omitempty"`
}

type containerDefinition struct {
	Name             string
	Image            any
	Essential        bool
	Command          []string      `json:",omitempty"`
	Cpu              int           `json:",omitempty"`
	Memory           int           `json:",omitempty"`
	PortMappings     []portMapping `json:",omitempty"`
	Environment      []keyValue    `json:",omitempty"`
	Secrets          []secret      `json:",omitempty"`
	LogConfiguration logConfiguration
	StopTimeout      *int              `json:",omitempty"`
	LinuxParameters  *linuxParameters  `json:",omitempty"`
	Privileged       bool              `json:",omitempty"`
	MountPoints      []mountPoint      `json:",omitempty"`
	Ulimits          []ulimit          `json:",omitempty"`
	DockerLabels     map[string]string `json:",omitempty"`
}

type portMapping struct {
	ContainerPort int
	HostPort      *int `json:",omitempty"` // 0 in bridge mode: a port the host picks
	Protocol      string
}

type keyValue struct {
	Name  string
	Value any
}

type secret struct {
	Name      string
	ValueFrom string
}

type logConfiguration struct {
	LogDriver string
	Options   map[string]any
}

type linuxParameters struct {
	InitProcessEnabled bool
}

type mountPoint struct {
	SourceVolume  string
	ContainerPath string
}

type ulimit struct {
	Name      string
	SoftLimit int
	HardLimit int
}

type volume struct {
	Name string
	Host hostVolume
}

type hostVolume struct {
	SourcePath string
}

type ecsService struct {
	Cluster                       string
	TaskDefinition                any
	SchedulingStrategy            string
	DesiredCount                  *int                   `json:",omitempty"`
	LaunchType                    string                 `json:",omitempty"`
	CapacityProviderStrategy      []capacityProviderItem `json:",omitempty"`
	PlacementStrategies           []placementStrategy    `json:",omitempty"`
	NetworkConfiguration          *networkConfiguration  `json:",omitempty"`
	DeploymentConfiguration       deploymentConfiguration
	HealthCheckGracePeriodSeconds *int                  `json:",omitempty"`
	LoadBalancers                 []serviceLoadBalancer `json:",omitempty"`
	Tags                          []tag                 `json:",omitempty"`
}

type capacityProviderItem struct {
	CapacityProvider string
	Weight           int
}

type placementStrategy struct {
	Type  string
	Field string
}

type networkConfiguration struct {
	AwsvpcConfiguration awsvpcConfiguration
}

type awsvpcConfiguration struct {
	AssignPublicIp string
	SecurityGroups []any
	Subnets        []string
}

type deploymentConfiguration struct {
	DeploymentCircuitBreaker circuitBreaker
	MinimumHealthyPercent    int
	MaximumPercent           int
}

type circuitBreaker struct {
	Enable   bool
	Rollback bool
}

type serviceLoadBalancer struct {
	ContainerName  string
	ContainerPort  int
	TargetGroupArn any
}

// EC2

type securityGroup struct {
	GroupDescription     string
	VpcId                string
	SecurityGroupIngress []ingress `json:",omitempty"`
	Tags                 []tag     `json:",omitempty"`
}

type ingress struct {
	Description           string
	IpProtocol            string
	FromPort              int
	ToPort                int
	SourceSecurityGroupId string
}

// Elastic Load Balancing

type targetGroup struct {
	VpcId                      string
	Port                       int
	Protocol                   string
	TargetType                 string
	HealthCheckPort            string
	HealthCheckPath            string
	HealthCheckIntervalSeconds int
	HealthCheckTimeoutSeconds  int
	HealthyThresholdCount      int
	UnhealthyThresholdCount    int
	Matcher                    matcher
	TargetGroupAttributes      []keyValueString
	Tags                       []tag `json:",omitempty"`
}

type matcher struct {
	HttpCode string
}

type keyValueString struct {
	Key   string
	Value string
}

type listenerRule struct {
	ListenerArn string
	Priority    int
	Conditions  []ruleCondition
	Actions     []ruleAction
}

type ruleCondition struct {
	Field            string
	HostHeaderConfig hostHeaderConfig
}

type hostHeaderConfig struct {
	Values []string
}

type ruleAction struct {
	Type           string
	TargetGroupArn any
}

// Application Auto Scaling

type scalableTarget struct {
	MinCapacity       int
	MaxCapacity       int
	ResourceId        any
	ScalableDimension string
	ServiceNamespace  string
}

type scalingPolicy struct {
	PolicyName                               string
	PolicyType                               string
	ScalingTargetId                          any
	TargetTrackingScalingPolicyConfiguration targetTracking
}

type targetTracking struct {
	TargetValue                   float64
	ScaleInCooldown               int
	ScaleOutCooldown              int
	PredefinedMetricSpecification *predefinedMetric `json:",omitempty"`
	CustomizedMetricSpecification *customizedMetric `json:",omitempty"`
}

type predefinedMetric struct {
	PredefinedMetricType string
	ResourceLabel        any `json:",omitempty"`
}

type customizedMetric struct {
	Namespace  string
	MetricName string
	Statistic  string
	Dimensions []metricDimension `json:",omitempty"`
}

type metricDimension struct {
	Name  string
	Value string
}

// EventBridge Scheduler

type schedule struct {
	Description        string
	ScheduleExpression string
	FlexibleTimeWindow flexibleTimeWindow
	State              string
	Target             scheduleTarget
}

type flexibleTimeWindow struct {
	Mode string
}

type scheduleTarget struct {
	Arn           any
	RoleArn       any
	EcsParameters ecsParameters
}

type ecsParameters struct {
	TaskDefinitionArn        any
	TaskCount                int
	LaunchType               string                 `json:",omitempty"`
	CapacityProviderStrategy []capacityProviderItem `json:",omitempty"`
	NetworkConfiguration     *networkConfiguration  `json:",omitempty"`
}
