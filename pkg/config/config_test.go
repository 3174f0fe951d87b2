package config

import (
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// clearEnv unsets every MF_* variable for the test, so the developer's
// environment cannot leak in.
func clearEnv(t testing.TB) {
	t.Helper()
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, "MF_") {
			t.Setenv(name, "") // restores the value after the test
			os.Unsetenv(name)
		}
	}
}

func writeConfig(t *testing.T, content string) string {
	t.Helper()
	home := t.TempDir()
	if err := os.WriteFile(filepath.Join(home, FileName), []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return home
}

func TestLoadMissingHome(t *testing.T) {
	clearEnv(t)
	for name, home := range map[string]string{
		"empty dir":   t.TempDir(),
		"missing dir": filepath.Join(t.TempDir(), "nope"),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Load(home); !errors.Is(err, ErrNoHome) {
				t.Fatalf("err = %v, want ErrNoHome", err)
			}
		})
	}
}

func TestLoadDefaults(t *testing.T) {
	clearEnv(t)
	c, err := Load(writeConfig(t, ""))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, Default()) {
		t.Fatalf("empty file gave %+v, want the defaults %+v", c, Default())
	}
	if err := Default().Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestLoadFile(t *testing.T) {
	clearEnv(t)
	c, err := Load(writeConfig(t, `
# a comment
[route]
listen = ["/ip4/127.0.0.1/tcp/9000"]
bootstrap = ["/ip4/10.0.0.1/tcp/7700/p2p/16Uiu2HAm"]
dev = true
password_file = "/run/secrets/pw"
allow_peers = ["a", "b"]
ttl = 8
log_level = "debug"
`))
	if err != nil {
		t.Fatal(err)
	}
	want := Default().Route
	want.Listen = []string{"/ip4/127.0.0.1/tcp/9000"}
	want.Bootstrap = []string{"/ip4/10.0.0.1/tcp/7700/p2p/16Uiu2HAm"}
	want.Dev = true
	want.PasswordFile = "/run/secrets/pw"
	want.AllowPeers = []string{"a", "b"}
	want.TTL = 8
	want.LogLevel = "debug"
	if !reflect.DeepEqual(c.Route, want) {
		t.Fatalf("got %+v, want %+v", c.Route, want)
	}
}

func TestLoadErrors(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		name    string
		content string
		want    []string // substrings of the error
	}{

		{"garbage", "\x00\x01 this is not toml ][", []string{"config:"}},
		{"binary", "\xff\xfe\xfd", []string{"config:"}},
		{"wrong type", "[route]\nttl = \"eight\"\n", []string{"config:"}},
		{"unclosed string", "[route]\nlog_level = \"info\n", []string{"line 2"}},
		{"ttl zero", "[route]\nttl = 0\n", []string{"ttl"}},
		{"ttl too big", "[route]\nttl = 256\n", []string{"ttl"}},
		{"bad log level", "[route]\nlog_level = \"loud\"\n", []string{"log_level", "loud"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			home := writeConfig(t, tt.content)
			_, err := Load(home)
			if err == nil {
				t.Fatal("loaded a bad configuration")
			}
			if errors.Is(err, ErrNoHome) {
				t.Fatalf("err = %v: the home exists", err)
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Errorf("error %q does not mention %q", err, s)
				}
			}
		})
	}
}

// TestLoadUnknownKey checks that a typo in a key is an error that says
// where the typo is.
func TestLoadUnknownKey(t *testing.T) {
	clearEnv(t)
	tests := []struct {
		name    string
		content string
		want    []string
	}{
		{"unknown key", "[route]\nttl = 8\nlisten_on = []\n", []string{"line 3", "listen_on"}},
		{"unknown table", "# comment\n[rout]\nttl = 8\n", []string{"line 2", "rout"}},
		{"top-level key", "ttl = 8\n", []string{"line 1", "ttl"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(writeConfig(t, tt.content))
			if err == nil {
				t.Fatal("an unknown key passed silently")
			}
			for _, s := range tt.want {
				if !strings.Contains(err.Error(), s) {
					t.Fatalf("the error for an unknown key does not say where it is: %q does not mention %q", err, s)
				}
			}
		})
	}
}

func TestEnvOverridesFile(t *testing.T) {
	clearEnv(t)
	home := writeConfig(t, `
[route]
listen = ["/ip4/127.0.0.1/tcp/9000"]
bootstrap = ["/ip4/10.0.0.1/tcp/1"]
allow_peers = ["a"]
password_file = "file"
dev = false
ttl = 8
log_level = "debug"
`)
	t.Setenv("MF_LISTEN", " /ip4/0.0.0.0/tcp/1 ,, /ip4/0.0.0.0/tcp/2 ")
	t.Setenv("MF_BOOTSTRAP", "")
	t.Setenv("MF_ALLOW_PEERS", "x,y")
	t.Setenv("MF_PASSWORD_FILE", "env")
	t.Setenv("MF_DEV", "true")
	t.Setenv("MF_TTL", "3")
	t.Setenv("MF_LOG_LEVEL", "warn")
	c, err := Load(home)
	if err != nil {
		t.Fatal(err)
	}
	want := Default().Route
	want.Listen = []string{"/ip4/0.0.0.0/tcp/1", "/ip4/0.0.0.0/tcp/2"}
	want.Bootstrap = nil
	want.AllowPeers = []string{"x", "y"}
	want.PasswordFile = "env"
	want.Dev = true
	want.TTL = 3
	want.LogLevel = "warn"
	if !reflect.DeepEqual(c.Route, want) {
		t.Fatalf("got %+v, want %+v", c.Route, want)
	}
}

func TestEnvErrors(t *testing.T) {
	tests := []struct {
		name, key, value, want string
	}{
		{"MF_DEV not a bool", "MF_DEV", "maybe", "MF_DEV"},
		{"MF_TTL not a number", "MF_TTL", "lots", "MF_TTL"},
		{"MF_TTL out of range", "MF_TTL", "0", "ttl"},
		{"MF_LOG_LEVEL invalid", "MF_LOG_LEVEL", "chatty", "log_level"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearEnv(t)
			home := writeConfig(t, "[route]\nttl = 8\n")
			t.Setenv(tt.key, tt.value)
			_, err := Load(home)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want one mentioning %s", err, tt.want)
			}
		})
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		alter func(c *Config)
		ok    bool
	}{
		{"default", func(c *Config) {}, true},
		{"ttl 1", func(c *Config) { c.Route.TTL = 1 }, true},
		{"ttl 255", func(c *Config) { c.Route.TTL = 255 }, true},
		{"ttl 0", func(c *Config) { c.Route.TTL = 0 }, false},
		{"ttl negative", func(c *Config) { c.Route.TTL = -1 }, false},
		{"ttl 256", func(c *Config) { c.Route.TTL = 256 }, false},
		{"log level error", func(c *Config) { c.Route.LogLevel = "error" }, true},
		{"log level empty", func(c *Config) { c.Route.LogLevel = "" }, false},
		{"log level upper case", func(c *Config) { c.Route.LogLevel = "INFO" }, false},
		{"log level unknown", func(c *Config) { c.Route.LogLevel = "trace" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Default()
			tt.alter(&c)
			if err := c.Validate(); (err == nil) != tt.ok {
				t.Fatalf("Validate = %v, want ok %v", err, tt.ok)
			}
		})
	}
}

func TestSaveLoad(t *testing.T) {
	clearEnv(t)
	home := t.TempDir()
	c := Default()
	c.Route.Bootstrap = []string{"/ip4/10.0.0.1/tcp/7700/p2p/16Uiu2HAm", "mfc1AAAA"}
	c.Route.AllowPeers = []string{"p1"}
	c.Route.Dev = true
	c.Route.PasswordFile = `C:\odd "path"`
	c.Route.TTL = 200
	c.Route.LogLevel = "error"
	if err := Save(home, c); err != nil {
		t.Fatal(err)
	}
	got, err := Load(home)
	if err != nil {
		t.Fatal(err)
	}
	if !sameConfig(got, c) {
		t.Fatalf("got %+v, want %+v", got, c)
	}
	fi, err := os.Stat(filepath.Join(home, FileName))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("config has mode %v, want 0600", fi.Mode().Perm())
	}
	// Saving again replaces the file and leaves no temporary behind.
	c.Route.TTL = 5
	if err := Save(home, c); err != nil {
		t.Fatal(err)
	}
	if got, _ := Load(home); got.Route.TTL != 5 {
		t.Fatalf("second save: ttl %d", got.Route.TTL)
	}
	entries, err := os.ReadDir(home)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Fatalf("home holds %q, want only %s", names, FileName)
	}
}

func TestHome(t *testing.T) {
	user := t.TempDir()
	t.Setenv("HOME", user)
	t.Run("flag wins", func(t *testing.T) {
		t.Setenv("MF_HOME", "/from/env")
		if got := Home("/from/flag"); got != "/from/flag" {
			t.Fatalf("Home = %q", got)
		}
	})
	t.Run("MF_HOME next", func(t *testing.T) {
		t.Setenv("MF_HOME", "/from/env")
		if got := Home(""); got != "/from/env" {
			t.Fatalf("Home = %q", got)
		}
	})
	t.Run("~/.mainframe last", func(t *testing.T) {
		t.Setenv("MF_HOME", "")
		if got, want := Home(""), filepath.Join(user, ".mainframe"); got != want {
			t.Fatalf("Home = %q, want %q", got, want)
		}
	})
}

// sameConfig is reflect.DeepEqual, except that an empty list is the same
// as none.
func sameConfig(a, b Config) bool {
	norm := func(c *Config) {
		for _, l := range []*[]string{&c.Route.Listen, &c.Route.Bootstrap, &c.Route.AllowPeers} {
			if len(*l) == 0 {
				*l = nil
			}
		}
	}
	norm(&a)
	norm(&b)
	return reflect.DeepEqual(a, b)
}

// FuzzLoad writes arbitrary bytes as config.toml: Load must never panic, and
// a configuration it accepts must be valid and survive Save and Load.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("[route]\nttl = 8\nlog_level = \"warn\"\n"))
	f.Add([]byte("[route]\nlisten = [\"/ip4/0.0.0.0/tcp/1\"]\nbootstrap = []\ndev = true\n"))
	f.Add([]byte("[route]\nttl = 0\n"))
	f.Add([]byte("[route]\nunknown = 1\n"))
	f.Add([]byte("[[route]]\n"))
	f.Add([]byte("route = { ttl = 3, allow_peers = ['a', \"b\"] }\n"))
	f.Add([]byte("\xff\x00"))
	clearEnv(f)
	f.Fuzz(func(t *testing.T, b []byte) {
		home := t.TempDir()
		if err := os.WriteFile(filepath.Join(home, FileName), b, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := Load(home)
		if err != nil {
			if errors.Is(err, ErrNoHome) {
				t.Fatalf("ErrNoHome for an existing file: %v", err)
			}
			return
		}
		if err := c.Validate(); err != nil {
			t.Fatalf("Load accepted an invalid configuration: %v", err)
		}
		if err := Save(home, c); err != nil {
			t.Fatalf("Save of a loaded configuration: %v", err)
		}
		again, err := Load(home)
		if err != nil {
			t.Fatalf("reloading a saved configuration: %v", err)
		}
		if !sameConfig(again, c) {
			t.Fatalf("save and load changed %+v to %+v", c, again)
		}
	})
}
