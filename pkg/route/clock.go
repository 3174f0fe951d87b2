package route

import "time"

// nowFunc is the clock, replaceable in tests.
var nowFunc = time.Now
