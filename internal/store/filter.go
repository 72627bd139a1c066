package store

import "strings"

// Operators of a FilterCondition.
const (
	FilterEqual       = "equal_to"
	FilterNotEqual    = "not_equal_to"
	FilterContains    = "contains"
	FilterNotContains = "does_not_contain"
	FilterPresent     = "is_present"
	FilterNotPresent  = "is_not_present"
	FilterGreater     = "is_greater_than"
	FilterLess        = "is_less_than"
)

// FilterCondition is one condition of Chatwoot's conversation or contact
// filter, as the caller checked and translated it: a column (Column: of a
// conversation status, assignee_id, inbox_id, team_id, display_id or
// priority, whose Values are int64s; created_at or last_activity_at,
// int64 microseconds; a conversation's labels, strings; with Text, a
// column of text, such as a contact's name, compared as an attribute is)
// or an attribute (Attributes: additional_attributes or
// custom_attributes, with Key; its value read as text, the case of letters
// ignored, Values strings), compared by Op. Or joins it to the next
// condition with OR instead of AND, as Chatwoot writes them, SQL's
// precedence deciding (AND before OR).
type FilterCondition struct {
	Column     string
	Text       bool
	Attributes string
	Key        string
	Op         string
	Values     []any
	Or         bool
}

// filterWhere writes the conditions on the table with the alias as one
// condition, with their parameters from args' next on.
func (q *Queries) filterWhere(alias string, cs []FilterCondition, args *[]any) string {
	var b strings.Builder
	b.WriteString("(")
	for i, c := range cs {
		if i > 0 {
			if cs[i-1].Or {
				b.WriteString(" OR ")
			} else {
				b.WriteString(" AND ")
			}
		}
		b.WriteString("(" + q.filterCondition(alias, c, args) + ")")
	}
	b.WriteString(")")
	return b.String()
}

// filterCondition writes one condition on the table with the alias.
func (q *Queries) filterCondition(alias string, c FilterCondition, args *[]any) string {
	param := func(v any) string {
		*args = append(*args, v)
		return "$" + itoa(len(*args))
	}
	list := func(wrap string) string {
		ps := make([]string, len(c.Values))
		for i, v := range c.Values {
			ps[i] = strings.ReplaceAll(wrap, "?", param(v))
		}
		return strings.Join(ps, ", ")
	}
	switch {
	case c.Column == "labels":
		has := make([]string, len(c.Values))
		for i, v := range c.Values {
			has[i] = `CAST(` + alias + `.labels AS TEXT) LIKE ` + param(q.labelPattern(v.(string))) + ` ESCAPE '\'`
		}
		switch c.Op {
		case FilterEqual:
			return strings.Join(has, " OR ")
		case FilterNotEqual:
			return "NOT (" + strings.Join(has, " OR ") + ")"
		case FilterPresent:
			return `CAST(` + alias + `.labels AS TEXT) <> '[]'`
		}
		return `CAST(` + alias + `.labels AS TEXT) = '[]'`
	case c.Column != "" && !c.Text:
		col := alias + "." + c.Column
		switch c.Op {
		case FilterEqual:
			return col + " IN (" + list("?") + ")"
		case FilterNotEqual:
			return col + " IS NULL OR " + col + " NOT IN (" + list("?") + ")"
		case FilterPresent:
			return col + " IS NOT NULL"
		case FilterNotPresent:
			return col + " IS NULL"
		case FilterGreater:
			return col + " > " + param(c.Values[0])
		}
		return col + " < " + param(c.Values[0])
	}
	value, key := "LOWER("+alias+"."+c.Column+")", ""
	if !c.Text {
		key = param(c.Key)
		value = q.attributeText(alias+"."+c.Attributes, key)
	}
	switch c.Op {
	case FilterEqual:
		return value + " IN (" + list("LOWER(?)") + ")"
	case FilterNotEqual:
		return value + " IS NULL OR " + value + " NOT IN (" + list("LOWER(?)") + ")"
	case FilterContains, FilterNotContains:
		like := make([]string, len(c.Values))
		for i, v := range c.Values {
			like[i] = value + ` LIKE LOWER(` + param("%"+escapeLike(v.(string))+"%") + `) ESCAPE '\'`
		}
		if c.Op == FilterContains {
			return strings.Join(like, " OR ")
		}
		return value + " IS NULL OR NOT (" + strings.Join(like, " OR ") + ")"
	case FilterPresent:
		return value + " IS NOT NULL AND " + value + " <> ''"
	case FilterGreater, FilterLess:
		cmp := " > "
		if c.Op == FilterLess {
			cmp = " < "
		}
		if n, ok := c.Values[0].(float64); ok {
			return q.attributeNumber(alias+"."+c.Attributes, key) + cmp + param(n)
		}
		return value + cmp + param(c.Values[0])
	}
	return value + " IS NULL OR " + value + " = ''"
}

// attributeNumber is the value of the key (a parameter) of a JSON object
// column as a number when it is one, NULL otherwise (text is never cast,
// so that no value fails the statement).
func (q *Queries) attributeNumber(column, key string) string {
	if q.d.Name() == "postgres" {
		return "(CASE WHEN jsonb_typeof(" + column + " -> " + key + ") = 'number' THEN (" + column + " ->> " + key + ")::numeric END)"
	}
	path := `'$."' || ` + key + ` || '"'`
	return "(CASE WHEN json_type(" + column + ", " + path + ") IN ('integer', 'real') THEN json_extract(" + column + ", " + path + ") END)"
}

// attributeText is the value of the key (a parameter) of a JSON object
// column as lower-case text, alike on both databases: a number as its
// digits, true and false as words, null or none as NULL.
func (q *Queries) attributeText(column, key string) string {
	if q.d.Name() == "postgres" {
		return "LOWER(" + column + " ->> " + key + ")"
	}
	path := `'$."' || ` + key + ` || '"'`
	return "LOWER(CASE json_type(" + column + ", " + path + ") WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' " +
		"ELSE CAST(json_extract(" + column + ", " + path + ") AS TEXT) END)"
}
