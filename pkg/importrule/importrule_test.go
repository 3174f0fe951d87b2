package importrule

import (
	"bufio"
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// TestModule checks the whole module: every package's imports and what
// each service's binary links.
func TestModule(t *testing.T) {
	imports := goList(t, "-f", "{{.ImportPath}} {{join .Imports \" \"}}", Module+"/...")
	for _, v := range CheckImports(imports) {
		t.Error(v)
	}
	deps := map[string][]string{}
	for _, s := range Services {
		cmd := Module + "/cmd/mf-" + s
		if _, ok := imports[cmd]; !ok {
			continue // not built yet
		}
		deps[cmd] = goList(t, "-deps", cmd)[""]
	}
	if len(deps) < 3 {
		t.Fatalf("found %d service commands, want mf-route, mf-swap and mf-court at least", len(deps))
	}
	for _, v := range CheckLinks(deps) {
		t.Error(v)
	}
}

// goList runs go list in the module. With -f, each line is a package and
// its imports; without, the lines are one list under "".
func goList(t *testing.T, args ...string) map[string][]string {
	t.Helper()
	cmd := exec.Command("go", append([]string{"list"}, args...)...)
	cmd.Dir = "../.."
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list %v: %v\n%s", args, err, stderr.Bytes())
	}
	m := map[string][]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) == 0 {
			continue
		}
		if args[0] == "-f" {
			m[f[0]] = f[1:]
		} else {
			m[""] = append(m[""], f[0])
		}
	}
	return m
}

// The checks catch each kind of wrong arrow, with the rule in the message.
func TestWrongImports(t *testing.T) {
	p := func(s string) string { return Module + "/" + s }
	imports := map[string][]string{
		p("pkg/court"):              {p("pkg/swap"), p("pkg/swap/swapapi"), p("pkg/amount")},
		p("pkg/swap/swapapi"):       {p("pkg/route/routeapi"), p("pkg/localapi")},
		p("pkg/route/routeapi"):     {p("pkg/route")},
		p("pkg/devnet"):             {p("pkg/route"), p("pkg/court")},
		p("pkg/db/dbcmd"):           {p("pkg/db"), p("pkg/db/dbapi"), p("pkg/hold/holdapi")},
		p("pkg/route/routecmd"):     {p("pkg/devnet"), p("pkg/sim")},
		p("pkg/hold"):               {"github.com/libp2p/go-libp2p/p2p/host/basic"},
		p("cmd/mf-store"):           {p("pkg/store/storecmd")},
		p("pkg/store/storecmd/sub"): {p("pkg/chat/chatapi")},
	}
	want := []string{
		p("pkg/court") + " imports " + p("pkg/swap") + ": " + RuleImpl,
		p("pkg/devnet") + " imports " + p("pkg/court") + ": " + RuleImpl,
		p("pkg/route/routeapi") + " imports " + p("pkg/route") + ": " + RuleAPI,
		p("pkg/swap/swapapi") + " imports " + p("pkg/route/routeapi") + ": " + RuleAPI,
	}
	got := CheckImports(imports)
	if len(got) != len(want) {
		t.Fatalf("got %d violations, want %d: %v", len(got), len(want), got)
	}
	for i := range want {
		if got[i].String() != want[i] {
			t.Errorf("violation %d:\n got %s\nwant %s", i, got[i], want[i])
		}
	}

	links := CheckLinks(map[string][]string{
		p("cmd/mf-swap"):  {p("pkg/swap"), p("pkg/route/routeapi"), "github.com/libp2p/go-libp2p/core/peer", "github.com/libp2p/go-libp2p/p2p/net/swarm"},
		p("cmd/mf-court"): {p("pkg/court"), "github.com/libp2p/go-libp2p-kad-dht"},
		p("cmd/mf-route"): {p("pkg/route"), "github.com/libp2p/go-libp2p-kad-dht", p("pkg/swap")},
	})
	wantLinks := []string{
		p("cmd/mf-court") + " links github.com/libp2p/go-libp2p-kad-dht: " + RuleNode,
		p("cmd/mf-route") + " links " + p("pkg/swap") + ": " + RuleImpl,
		p("cmd/mf-swap") + " links github.com/libp2p/go-libp2p/p2p/net/swarm: " + RuleNode,
	}
	if len(links) != len(wantLinks) {
		t.Fatalf("got %d link violations, want %d: %v", len(links), len(wantLinks), links)
	}
	for i := range wantLinks {
		if links[i].String() != wantLinks[i] {
			t.Errorf("link violation %d:\n got %s\nwant %s", i, links[i], wantLinks[i])
		}
	}
}
