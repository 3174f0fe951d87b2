//go:build race

package devchain

// raceBuild is true in binaries built with -race. See logIndexOff.
const raceBuild = true
