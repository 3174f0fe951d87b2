// Package buildinfo says which version of mf a binary is, for --version and
// for the agent version its libp2p host announces to peers.
package buildinfo

import "runtime/debug"

// version is set at link time, for builds outside a module-aware go build:
//
//	go build -ldflags "-X github.com/mainframe/mf/pkg/buildinfo.version=v1.2.3" ./cmd/...
var version = ""

// Version is the link-time version if one was set, else the main module's
// version from the build info (a tag, or a pseudo-version that names the
// commit), else "devel": a test binary or a build from a tree without
// version control has none.
func Version() string {
	if version != "" {
		return version
	}
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return "devel"
}

// AgentVersion is what mf-route's libp2p host announces in identify, so that
// other libp2p software can tell what it is talking to.
func AgentVersion() string { return "mf-route/" + Version() }
