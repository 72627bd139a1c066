package store

// The public API's lookups, for the plan test.
var (
	FindPublicMessageTargetSQL = findPublicMessageTarget
	FindPublicConversationSQL  = findPublicConversation
)
