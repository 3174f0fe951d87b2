package chattui

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// Actions of the window a key can be bound to ([chat.keys] in
// config.toml), with their default keys. Keys are named as bubbletea
// names them: "ctrl+n", "alt+j", "pgup", "f2", "j", "G", "?".
var defaultKeys = map[string][]string{
	// In both modes.
	"quit":      {"ctrl+c"},
	"next":      {"ctrl+n"},
	"prev":      {"ctrl+p"},
	"page_up":   {"pgup"},
	"page_down": {"pgdown"},
	"help":      {"f1"},
	// In insert mode.
	"normal":   {"esc"},
	"send":     {"enter"},
	"newline":  {"alt+enter", "ctrl+j"},
	"complete": {"tab"},
	// In normal mode.
	"down":        {"j", "down"},
	"up":          {"k", "up"},
	"top":         {"g", "home"},
	"bottom":      {"G", "end"},
	"search":      {"/"},
	"help_normal": {"?"},
	"insert":      {"i", "enter", "a"},
	"quit_normal": {"q"},
}

// keymap is the bindings in force: action to keys.
type keymap map[string][]string

// newKeymap is the default bindings with those of custom in their place.
// An unknown action or an empty list of keys is an error.
func newKeymap(custom map[string]string) (keymap, error) {
	km := keymap{}
	for a, ks := range defaultKeys {
		km[a] = ks
	}
	var names []string
	for a := range custom {
		names = append(names, a)
	}
	sort.Strings(names)
	for _, a := range names {
		if _, ok := defaultKeys[a]; !ok {
			return nil, fmt.Errorf("config: [chat.keys] has no action %q (actions: %s)", a, strings.Join(actions(), ", "))
		}
		var ks []string
		for _, k := range strings.Split(custom[a], ",") {
			if k = strings.TrimSpace(k); k != "" {
				ks = append(ks, k)
			}
		}
		if len(ks) == 0 {
			return nil, fmt.Errorf("config: [chat.keys] %s names no key", a)
		}
		km[a] = ks
	}
	return km, nil
}

func actions() []string {
	var out []string
	for a := range defaultKeys {
		out = append(out, a)
	}
	sort.Strings(out)
	return out
}

// is reports whether key k is bound to action a.
func (km keymap) is(a, k string) bool { return slices.Contains(km[a], k) }

// first is the first key of action a, for the help.
func (km keymap) first(a string) string {
	if ks := km[a]; len(ks) > 0 {
		return ks[0]
	}
	return ""
}
