package names

// The environment variables the rack stack gives its functions, and that
// the local API reads.
const (
	EnvRack             = "RACK_NAME"              // the rack's name
	EnvTable            = "RACK_TABLE"             // the DynamoDB table
	EnvKey              = "RACK_KEY"               // the KMS key that seals app environments
	EnvVersion          = "RACK_VERSION"           // the rack's version
	EnvDomain           = "RACK_DOMAIN"            // the API's host name, when known
	EnvBuilder          = "RACK_BUILDER"           // the CodeBuild project that builds apps
	EnvEventBus         = "RACK_EVENT_BUS"         // where rack events go
	EnvWebhooks         = "RACK_WEBHOOKS"          // comma-separated URLs rack events are posted to
	EnvCluster          = "RACK_CLUSTER"           // the ECS cluster's name
	EnvInstancesGroup   = "RACK_INSTANCES_GROUP"   // the Auto Scaling group of the cluster's instances
	EnvLogLevel         = "RACK_LOG_LEVEL"         // debug, info, warn or error
	EnvStackRole        = "RACK_STACK_ROLE"        // the role CloudFormation carries out the API's changes of the rack stack with
	EnvBucket           = "RACK_BUCKET"            // the rack's bucket: uploaded sources
	EnvRegistry         = "RACK_REGISTRY"          // the host of the apps' image repositories
	EnvBuildLogs        = "RACK_BUILD_LOGS"        // the log group of the builder's output
	EnvBuildRetention   = "RACK_BUILD_RETENTION"   // how many builds an app keeps
	EnvVPC              = "RACK_VPC"               // the rack's VPC
	EnvSubnets          = "RACK_SUBNETS"           // the rack's public subnets, comma-separated
	EnvCapacityProvider = "RACK_CAPACITY_PROVIDER" // the cluster's EC2 capacity provider
	EnvFargate          = "RACK_FARGATE"           // "Yes": apps' services run on Fargate
	EnvCertificate      = "RACK_CERTIFICATE"       // an ACM certificate for the router's HTTPS, when set
	EnvAppDomain        = "RACK_APP_DOMAIN"        // services' default host names are <service>.<app>.<this>, when set
	EnvAppStackRole     = "RACK_APP_STACK_ROLE"    // the role CloudFormation changes app stacks and the router with
	EnvRackLogs         = "RACK_LOG_GROUPS"        // the rack's functions' log groups: function=group, comma-separated
)
