package dbapi

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// CmpOp is a comparison in a where clause.
type CmpOp string

// The comparisons.
const (
	Eq CmpOp = "="
	Gt CmpOp = ">"
	Lt CmpOp = "<"
	Ge CmpOp = ">="
	Le CmpOp = "<="
)

// Cond is one where clause on an indexed top-level field of JSON rows.
// Value is a float64 (numbers compare as numbers) or a string (strings
// compare byte by byte); a row whose field holds the other type, or no such
// field, does not match.
type Cond struct {
	Field string `json:"field"`
	Op    CmpOp  `json:"op"`
	Value any    `json:"value"`
}

// Query selects rows: keys starting with Prefix, matching every Where,
// at most Limit of them (0: no limit).
type Query struct {
	Prefix string `json:"prefix,omitempty"`
	Where  []Cond `json:"where,omitempty"`
	Limit  int    `json:"limit,omitempty"`
}

// jsonNumber is JSON's number grammar, which strconv alone would widen
// (it takes "1_000", "0x10", "Inf").
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$`)

// ParseWhere reads FIELD=V, FIELD>V, FIELD<V, FIELD>=V or FIELD<=V. V is a
// number when it is a JSON number, a string otherwise; a JSON string in
// double quotes is a string whatever it holds ("\"42\"").
func ParseWhere(s string) (Cond, error) {
	i := strings.IndexAny(s, "=<>")
	if i <= 0 {
		return Cond{}, fmt.Errorf("%w: where %q: want FIELD=V, FIELD>V, FIELD<V, FIELD>=V or FIELD<=V", ErrInvalid, s)
	}
	c := Cond{Field: s[:i], Op: CmpOp(s[i : i+1])}
	rest := s[i+1:]
	if (c.Op == Gt || c.Op == Lt) && strings.HasPrefix(rest, "=") {
		c.Op += "="
		rest = rest[1:]
	}
	if err := checkWord("field", c.Field, MaxField); err != nil {
		return Cond{}, err
	}
	v, err := parseCondValue(rest)
	if err != nil {
		return Cond{}, fmt.Errorf("where %q: %w", s, err)
	}
	c.Value = v
	return c, nil
}

func parseCondValue(s string) (any, error) {
	if jsonNumber.MatchString(s) {
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, fmt.Errorf("%w: number %s out of range", ErrInvalid, s)
		}
		return f, nil
	}
	if strings.HasPrefix(s, `"`) {
		var str string
		if err := json.Unmarshal([]byte(s), &str); err != nil {
			return nil, fmt.Errorf("%w: %s is not a JSON string", ErrInvalid, s)
		}
		return str, nil
	}
	return s, nil
}

// Check validates a clause as it arrives in JSON: a known comparison and
// a number or string value (JSON numbers decode as float64).
func (c *Cond) Check() error {
	if err := checkWord("field", c.Field, MaxField); err != nil {
		return err
	}
	switch c.Op {
	case Eq, Gt, Lt, Ge, Le:
	default:
		return fmt.Errorf("%w: comparison %q: want =, >, <, >= or <=", ErrInvalid, c.Op)
	}
	switch c.Value.(type) {
	case float64, string:
	default:
		return fmt.Errorf("%w: where %s: value must be a number or a string", ErrInvalid, c.Field)
	}
	return nil
}

// Match reports whether a field's value v (float64 or string, as a JSON
// decoder gives them; anything else never matches) satisfies the clause.
func (c *Cond) Match(v any) bool {
	var cmp int
	switch want := c.Value.(type) {
	case float64:
		got, ok := v.(float64)
		if !ok {
			return false
		}
		switch {
		case got < want:
			cmp = -1
		case got > want:
			cmp = 1
		}
	case string:
		got, ok := v.(string)
		if !ok {
			return false
		}
		cmp = strings.Compare(got, want)
	default:
		return false
	}
	switch c.Op {
	case Eq:
		return cmp == 0
	case Gt:
		return cmp > 0
	case Lt:
		return cmp < 0
	case Ge:
		return cmp >= 0
	case Le:
		return cmp <= 0
	}
	return false
}
