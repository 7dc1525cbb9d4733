package customresource

// AnswerKey exposes the answer memory key of a request to the tests.
var AnswerKey = answerKey

// EncodeResponse exposes the answer encoder to the tests.
var EncodeResponse = encodeResponse
