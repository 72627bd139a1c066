package baton

import "time"

// CustomAttribute is the definition of a custom attribute of an account's
// conversations or contacts, as Chatwoot's custom_attribute_definitions
// keep it: a key in their custom attributes, the name and type people see
// it by, its choices when it is a list, and a pattern its text must match.
type CustomAttribute struct {
	ID           int64
	AccountID    int64
	Key          string
	DisplayName  string
	DisplayType  string // one of CustomAttributeTypes
	Description  string
	Model        int // AttributeOfConversation or AttributeOfContact
	Values       []string
	RegexPattern string
	RegexCue     string
	DefaultValue string
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// The things a custom attribute belongs to, as Chatwoot numbers them.
const (
	AttributeOfConversation = 0
	AttributeOfContact      = 1
)

// CustomAttributeModels are the names of the things, by number.
var CustomAttributeModels = []string{"conversation_attribute", "contact_attribute"}

// CustomAttributeTypes are the display types a custom attribute may have.
var CustomAttributeTypes = []string{"text", "number", "currency", "percent", "link", "date", "list", "checkbox"}

// Limits of custom attributes: as many as a person manages in a settings
// page, and the choices of a list.
const (
	MaxCustomAttributes      = 200
	MaxCustomAttributeValues = 100
)
