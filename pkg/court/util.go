package court

import (
	"bytes"
	"io"
	"strconv"
)

func bytesReader(b []byte) io.Reader { return bytes.NewReader(b) }

func itoa(v uint64) string { return strconv.FormatUint(v, 10) }
