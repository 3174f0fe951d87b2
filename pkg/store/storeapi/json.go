package storeapi

import (
	"encoding/json"
	"io"
)

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func decodeJSON(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }
