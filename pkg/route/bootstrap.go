package route

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	ma "github.com/multiformats/go-multiaddr"

	"github.com/mainframe/mf/pkg/identity"
)

// Limits on a bootstrap file: a list of peers, not a data set.
const (
	maxBootstrapFile    = 1 << 20
	maxBootstrapEntries = 1024
)

// expandBootstrap replaces each bootstrap entry that is neither a multiaddr
// nor a card with the entries of the file it names: one multiaddr or card a
// line, blank lines and lines starting with # ignored. An operator keeps
// the list of a network's public nodes in one file and hands it to every
// node. A file that cannot be read or holds a bad line is an error naming
// the file and line, so that a typo does not leave a node quietly alone.
func expandBootstrap(entries []string) ([]string, error) {
	var out []string
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if e == "" {
			continue
		}
		if _, err := ma.NewMultiaddr(e); err == nil || identity.LooksLikeCard(e) {
			// Held to the rule of a file's lines: an address without its
			// peer id, or a broken card, stops the daemon here as there.
			if _, err := parseBootstrap(e); err != nil {
				return nil, fmt.Errorf("route: bootstrap entry %q: %v", e, err)
			}
			out = append(out, e)
			continue
		}
		// Neither an address nor a card, so a file; one that is missing
		// (a typo, or a list moved away) stops the daemon as a bad line does.
		lines, err := readBootstrapFile(e)
		if err != nil {
			return nil, err
		}
		out = append(out, lines...)
	}
	return out, nil
}

func readBootstrapFile(path string) ([]string, error) {
	f, err := os.Open(path)
	if err == nil {
		if st, serr := f.Stat(); serr == nil && st.IsDir() {
			err = errors.New("is a directory")
		}
	}
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, fmt.Errorf("route: bootstrap entry %q is not a multiaddr, a card or a readable file: %w", path, err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxBootstrapFile+1))
	if err != nil {
		return nil, fmt.Errorf("route: bootstrap file %s: %w", path, err)
	}
	return parseBootstrapList(path, b)
}

// parseBootstrapList parses the contents b of the bootstrap file name.
func parseBootstrapList(name string, b []byte) ([]string, error) {
	path := name
	if len(b) > maxBootstrapFile {
		return nil, fmt.Errorf("route: bootstrap file %s is over %d bytes", path, maxBootstrapFile)
	}
	var out []string
	sc := bufio.NewScanner(strings.NewReader(string(b)))
	sc.Buffer(make([]byte, 0, 4096), maxBootstrapFile)
	for line := 1; sc.Scan(); line++ {
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		if _, err := parseBootstrap(s); err != nil {
			return nil, fmt.Errorf("route: bootstrap file %s line %d: %v", path, line, err)
		}
		if len(out) == maxBootstrapEntries {
			return nil, fmt.Errorf("route: bootstrap file %s has over %d entries", path, maxBootstrapEntries)
		}
		out = append(out, s)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("route: bootstrap file %s: %w", path, err)
	}
	return out, nil
}
