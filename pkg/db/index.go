package db

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

	"github.com/mainframe/mf/pkg/db/dbapi"
)

// An index entry orders a row by one top-level field of its JSON value:
//
//	x id len(field) field  tag value  key
//
// tag 1 is a number, value its float64 in 8 bytes that sort as the
// numbers do (sign bit flipped; all bits of a negative number flipped);
// tag 2 is a string, value its bytes with 0x00 written 0x00 0xff and ended
// by 0x00 0x01, so that no string's entry is a prefix of another's and the
// entries sort as the strings do. Other JSON types are not indexed.
const (
	tagNumber = 1
	tagString = 2
)

func encodeNumber(f float64) []byte {
	if f == 0 {
		f = 0 // -0 sorts with 0
	}
	b := math.Float64bits(f)
	if b>>63 == 1 {
		b = ^b
	} else {
		b |= 1 << 63
	}
	return append([]byte{tagNumber}, u64(b)...)
}

func encodeString(s string) []byte {
	out := make([]byte, 0, len(s)+3)
	out = append(out, tagString)
	for i := 0; i < len(s); i++ {
		out = append(out, s[i])
		if s[i] == 0 {
			out = append(out, 0xff)
		}
	}
	return append(out, 0, 1)
}

// encodeValue is the sortable form of a field value (float64 or string),
// nil for types that are not indexed.
func encodeValue(v any) []byte {
	switch v := v.(type) {
	case float64:
		return encodeNumber(v)
	case string:
		return encodeString(v)
	}
	return nil
}

func fieldPrefix(id dbapi.ID, field string) []byte {
	return dkey(pIndex, id, []byte{byte(len(field))}, []byte(field))
}

// fields decodes the top-level fields of a JSON object row that a where
// clause can compare: numbers as float64, strings as string. Anything else
// (a raw row, an array, a value over float64) yields no fields.
func fields(c *dbapi.Change) map[string]any {
	if c == nil || c.Raw {
		return nil
	}
	var obj map[string]json.RawMessage
	if json.Unmarshal(c.Value, &obj) != nil {
		return nil
	}
	out := make(map[string]any, len(obj))
	for k, raw := range obj {
		raw = bytes.TrimSpace(raw)
		if len(raw) == 0 {
			continue
		}
		switch {
		case raw[0] == '"':
			var s string
			if json.Unmarshal(raw, &s) == nil {
				out[k] = s
			}
		case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
			if f, err := strconv.ParseFloat(string(raw), 64); err == nil {
				out[k] = f
			}
		}
	}
	return out
}

// indexKeys are the index entries of a live row (none for nil).
func indexKeys(m *dbapi.Meta, c *dbapi.Change) [][]byte {
	if c == nil || len(m.Indexes) == 0 {
		return nil
	}
	fs := fields(c)
	var out [][]byte
	for _, f := range m.Indexes {
		v, ok := fs[f]
		if !ok {
			continue
		}
		k := fieldPrefix(m.ID, f)
		k = append(k, encodeValue(v)...)
		out = append(out, append(k, c.Key...))
	}
	return out
}
