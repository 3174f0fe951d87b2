package storecmd

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/mainframe/mf/pkg/cli"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/store/chunk"
	"github.com/mainframe/mf/pkg/store/storeapi"
)

func newServeCmd(g *globals) *cobra.Command {
	var addr string
	cmd := &cobra.Command{
		Use:   "serve --http 127.0.0.1:PORT",
		Short: "Serve files over HTTP: GET /mf/REF, with ranges and a content type",
		Long: `Serve the network's files over plain HTTP, so that curl, a browser or a
media player can read them: GET /mf/REF answers the file REF names, with
its content type (sniffed from its first bytes), and honours a Range
header (one range of bytes: 206 Partial Content). HEAD answers the headers.
Every byte comes through this node's mf-store daemon, checked chunk by
chunk. Anyone who can reach the address can read any file whose reference
they know: keep it on 127.0.0.1 unless that is what you want.

  curl -r 1000-1999 http://127.0.0.1:8080/mf/REF
` + cli.ExitCodesHelp,
		Args: cli.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if addr == "" {
				return cli.Usagef("serve needs --http ADDRESS:PORT")
			}
			ln, err := net.Listen("tcp", addr)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.streams.Err, "serving http://%s/mf/REF\n", ln.Addr())
			srv := &http.Server{Handler: newGateway(g.home(), slog.New(slog.NewTextHandler(g.streams.Err, nil))), ReadHeaderTimeout: 10 * time.Second}
			go func() {
				<-cmd.Context().Done()
				srv.Close()
			}()
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				return err
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&addr, "http", "", "address to listen on, like 127.0.0.1:8080")
	return cmd
}

// gateway answers GET /mf/REF from the daemon's socket.
type gateway struct {
	home  string
	log   *slog.Logger
	mu    sync.Mutex
	types map[string]string // content types sniffed, by reference
	hc    *http.Client
}

func newGateway(home string, log *slog.Logger) *gateway {
	return &gateway{home: home, log: log, types: map[string]string{}, hc: localapi.HTTPClient(storeapi.SocketPath(home), 0)}
}

func (gw *gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ref, ok := strings.CutPrefix(r.URL.Path, "/mf/")
	if !ok || (r.Method != http.MethodGet && r.Method != http.MethodHead) {
		http.Error(w, "mf-store serves GET /mf/REF", http.StatusNotFound)
		return
	}
	if _, err := chunk.ParseRef(ref); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	ct, err := gw.contentType(r, ref)
	if err != nil {
		gw.fail(w, err)
		return
	}
	if r.Method == http.MethodHead {
		st, err := storeapi.NewClient(gw.home).Stat(r.Context(), ref)
		if err != nil {
			gw.fail(w, err)
			return
		}
		w.Header().Set("Content-Type", ct)
		w.Header().Set("Content-Length", fmt.Sprint(st.Size))
		w.Header().Set("Accept-Ranges", "bytes")
		return
	}
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://mf/v0/files/"+ref+"?type="+urlQuery(ct), nil)
	if rg := r.Header.Get("Range"); rg != "" {
		req.Header.Set("Range", rg)
	}
	resp, err := gw.hc.Do(req)
	if err != nil {
		gw.fail(w, err)
		return
	}
	defer resp.Body.Close()
	for _, h := range []string{"Content-Type", "Content-Length", "Content-Range", "Accept-Ranges"} {
		if v := resp.Header.Get(h); v != "" {
			w.Header().Set(h, v)
		}
	}
	w.WriteHeader(resp.StatusCode)
	if _, err := io.CopyBuffer(w, resp.Body, make([]byte, 256<<10)); err != nil {
		panic(http.ErrAbortHandler)
	}
}

// contentType sniffs a file's type from its first 512 bytes, once per
// reference.
func (gw *gateway) contentType(r *http.Request, ref string) (string, error) {
	gw.mu.Lock()
	ct, ok := gw.types[ref]
	gw.mu.Unlock()
	if ok {
		return ct, nil
	}
	req, _ := http.NewRequestWithContext(r.Context(), http.MethodGet, "http://mf/v0/files/"+ref, nil)
	req.Header.Set("Range", "bytes=0-511")
	resp, err := gw.hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusRequestedRangeNotSatisfiable {
		return "application/octet-stream", nil // empty
	}
	if resp.StatusCode >= 300 {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return "", &httpErr{resp.StatusCode, strings.TrimSpace(string(b))}
	}
	head, err := io.ReadAll(io.LimitReader(resp.Body, 512))
	if err != nil {
		return "", err
	}
	ct = http.DetectContentType(head)
	if bytes.HasPrefix(head, []byte("{")) || bytes.HasPrefix(head, []byte("[")) {
		ct = "application/json"
	}
	gw.mu.Lock()
	if len(gw.types) > 1000 {
		gw.types = map[string]string{}
	}
	gw.types[ref] = ct
	gw.mu.Unlock()
	return ct, nil
}

type httpErr struct {
	status int
	body   string
}

func (e *httpErr) Error() string { return e.body }

func (gw *gateway) fail(w http.ResponseWriter, err error) {
	var he *httpErr
	if errors.As(err, &he) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(he.status)
		io.WriteString(w, he.body+"\n")
		return
	}
	var le *localapi.Error
	if errors.As(err, &le) {
		http.Error(w, le.Message, le.Status)
		return
	}
	if localapi.IsConnRefused(err) || errors.Is(err, localapi.ErrNotRunning) {
		http.Error(w, "mf-store daemon is not running", http.StatusServiceUnavailable)
		return
	}
	http.Error(w, err.Error(), http.StatusBadGateway)
}

func urlQuery(s string) string {
	return strings.NewReplacer("%", "%25", "&", "%26", "+", "%2B", " ", "%20", ";", "%3B", "=", "%3D", "/", "%2F").Replace(s)
}
