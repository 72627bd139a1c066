package app

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/batonhq/baton"
	"github.com/batonhq/baton/internal/auth"
	"github.com/batonhq/baton/internal/store"
)

// CustomAttributeInput holds the fields of a custom attribute create or
// update; nil is unchanged. Key and Model are read on create alone, as
// Chatwoot keeps them.
type CustomAttributeInput struct {
	Key          *string
	Model        *string // conversation_attribute or contact_attribute, or Chatwoot's 0 or 1
	DisplayName  *string
	DisplayType  *string
	Description  *string
	Values       []string // nil: unchanged
	RegexPattern *string
	RegexCue     *string
	DefaultValue *string
}

// ParseAttributeModel reads a custom attribute's model as Chatwoot's API
// names it, by name or by number.
func ParseAttributeModel(s string) (int, bool) {
	switch strings.TrimSpace(s) {
	case "conversation_attribute", "0":
		return baton.AttributeOfConversation, true
	case "contact_attribute", "1":
		return baton.AttributeOfContact, true
	}
	return 0, false
}

func (in CustomAttributeInput) apply(c *baton.CustomAttribute) error {
	set := func(dst *string, src *string) {
		if src != nil {
			*dst = strings.TrimSpace(*src)
		}
	}
	set(&c.DisplayName, in.DisplayName)
	set(&c.DisplayType, in.DisplayType)
	set(&c.Description, in.Description)
	set(&c.RegexPattern, in.RegexPattern)
	set(&c.RegexCue, in.RegexCue)
	set(&c.DefaultValue, in.DefaultValue)
	if in.Values != nil {
		c.Values = c.Values[:0:0]
		for _, v := range in.Values {
			if v = strings.TrimSpace(v); v != "" && !slices.Contains(c.Values, v) {
				c.Values = append(c.Values, v)
			}
		}
	}
	switch {
	case c.DisplayName == "":
		return baton.Invalid("Attribute display name can't be blank", "attribute_display_name")
	case !slices.Contains(baton.CustomAttributeTypes, c.DisplayType):
		return baton.Invalid("Attribute display type must be one of "+strings.Join(baton.CustomAttributeTypes, ", "), "attribute_display_type")
	case c.DisplayType == "list" && len(c.Values) == 0:
		return baton.Invalid("Attribute values can't be blank for a list", "attribute_values")
	case len(c.Values) > baton.MaxCustomAttributeValues:
		return baton.Invalid(fmt.Sprintf("Attribute values are at most %d", baton.MaxCustomAttributeValues), "attribute_values")
	}
	for _, f := range []struct{ field, name, v string }{{"attribute_display_name", "Attribute display name", c.DisplayName},
		{"attribute_description", "Attribute description", c.Description}, {"regex_pattern", "Regex pattern", c.RegexPattern},
		{"regex_cue", "Regex cue", c.RegexCue}, {"default_value", "Default value", c.DefaultValue}} {
		if err := baton.TooLong(f.field, f.name, f.v, baton.MaxNameLength); err != nil {
			return err
		}
	}
	for _, v := range c.Values {
		if err := baton.TooLong("attribute_values", "An attribute value", v, baton.MaxNameLength); err != nil {
			return err
		}
	}
	if c.RegexPattern != "" {
		if _, err := regexp.Compile(c.RegexPattern); err != nil {
			return baton.Invalid("Regex pattern is not a valid regular expression", "regex_pattern")
		}
	}
	return nil
}

// attributeScope lets members of the account read its custom attributes
// and administrators change them, as Chatwoot does; bots neither.
func (a *App) attributeScope(ctx context.Context, q *store.Queries, accountID int64, change bool) error {
	if baton.ActorFromContext(ctx).Kind == baton.ActorAgentBot {
		return auth.ErrBotNotPermitted
	}
	if change {
		return a.adminOf(ctx, q, accountID)
	}
	_, err := a.accountScope(ctx, q, accountID)
	return err
}

// CustomAttributes lists the account's custom attributes of the model
// (-1: of both).
func (a *App) CustomAttributes(ctx context.Context, accountID int64, model int) ([]*baton.CustomAttribute, error) {
	q := a.store.Read()
	if err := a.attributeScope(ctx, q, accountID, false); err != nil {
		return nil, err
	}
	return q.ListCustomAttributes(ctx, accountID, model)
}

// CustomAttribute returns one of the account's custom attributes.
func (a *App) CustomAttribute(ctx context.Context, accountID, id int64) (*baton.CustomAttribute, error) {
	q := a.store.Read()
	if err := a.attributeScope(ctx, q, accountID, false); err != nil {
		return nil, err
	}
	return q.FindCustomAttribute(ctx, accountID, id)
}

// CreateCustomAttribute defines a custom attribute of the account's
// conversations or contacts: a key (letters, digits, '_', '.' or '-')
// unique in the model, at most baton.MaxCustomAttributes an account.
func (a *App) CreateCustomAttribute(ctx context.Context, accountID int64, in CustomAttributeInput) (*baton.CustomAttribute, error) {
	// Who may is told before what is wrong with the input.
	if err := a.attributeScope(ctx, a.store.Read(), accountID, true); err != nil {
		return nil, err
	}
	now := a.Now()
	c := &baton.CustomAttribute{AccountID: accountID, DisplayType: "text", CreatedAt: now, UpdatedAt: now}
	if in.Key != nil {
		c.Key = strings.TrimSpace(*in.Key)
	}
	if !attributeKey.MatchString(c.Key) {
		return nil, baton.Invalid("Attribute key must be 1 to 64 letters, digits, '_', '.' or '-'", "attribute_key")
	}
	model, ok := 0, in.Model != nil
	if ok {
		model, ok = ParseAttributeModel(*in.Model)
	}
	if !ok {
		return nil, baton.Invalid("Attribute model must be conversation_attribute or contact_attribute", "attribute_model")
	}
	c.Model = model
	if err := in.apply(c); err != nil {
		return nil, err
	}
	err := a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.attributeScope(ctx, q, accountID, true); err != nil {
			return err
		}
		n, err := q.CountCustomAttributes(ctx, accountID)
		if err != nil {
			return err
		}
		if n >= baton.MaxCustomAttributes {
			return baton.Invalid(fmt.Sprintf("An account has at most %d custom attributes", baton.MaxCustomAttributes), "attribute_key")
		}
		return q.CreateCustomAttribute(ctx, c)
	})
	return c, err
}

// UpdateCustomAttribute changes one of the account's custom attributes;
// its key and model stay.
func (a *App) UpdateCustomAttribute(ctx context.Context, accountID, id int64, in CustomAttributeInput) (*baton.CustomAttribute, error) {
	var c *baton.CustomAttribute
	err := a.store.Write(ctx, func(q *store.Queries) (err error) {
		if err := a.attributeScope(ctx, q, accountID, true); err != nil {
			return err
		}
		if c, err = q.FindCustomAttribute(ctx, accountID, id); err != nil {
			return err
		}
		if err := in.apply(c); err != nil {
			return err
		}
		c.UpdatedAt = a.Now()
		return q.UpdateCustomAttribute(ctx, c)
	})
	return c, err
}

// DeleteCustomAttribute deletes one of the account's custom attributes;
// the values its conversations or contacts hold under the key stay.
func (a *App) DeleteCustomAttribute(ctx context.Context, accountID, id int64) error {
	return a.store.Write(ctx, func(q *store.Queries) error {
		if err := a.attributeScope(ctx, q, accountID, true); err != nil {
			return err
		}
		return q.DeleteCustomAttribute(ctx, accountID, id)
	})
}
