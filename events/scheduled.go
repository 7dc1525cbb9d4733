package events

// Wire values of the events an EventBridge schedule rule sends, documented
// at https://docs.aws.amazon.com/lambda/latest/dg/services-cloudwatchevents.html
// Their detail is an empty object.
const (
	ScheduledEventSource     = "aws.events"
	ScheduledEventDetailType = "Scheduled Event"
)
