// Package cli is the plumbing every mf binary shares: injected IO streams,
// one place that maps errors to exit codes and prints them, the --home
// flag, and man page generation.
package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/mainframe/mf/pkg/buildinfo"
	"github.com/mainframe/mf/pkg/localapi"
	"github.com/mainframe/mf/pkg/termtext"
)

// Exit codes of every mf binary.
const (
	ExitOK          = 0
	ExitFailure     = 1
	ExitUsage       = 2
	ExitNotRunning  = 3
	ExitInterrupted = 130
)

// ExitCodesHelp is appended to every command's long help.
const ExitCodesHelp = `
Exit status: 0 success, 1 failure, 2 usage error, 3 the daemon is not
running, 130 interrupted.`

// Streams are a command's standard streams. Data goes to Out, messages and
// progress to Err.
type Streams struct {
	In    io.Reader
	Out   io.Writer
	Err   io.Writer
	IsTTY bool // Err is a terminal: progress may be shown
}

// System returns the process's streams.
func System() Streams {
	return Streams{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, IsTTY: term.IsTerminal(int(os.Stderr.Fd()))}
}

// UsageError is a mistake in how a command was called.
type UsageError struct{ Err error }

func (e UsageError) Error() string { return e.Err.Error() }
func (e UsageError) Unwrap() error { return e.Err }

// Usagef makes a UsageError.
func Usagef(format string, args ...any) error { return UsageError{fmt.Errorf(format, args...)} }

// HintError carries a second line telling the user what to do.
type HintError struct {
	Err  error
	Hint string
}

func (e HintError) Error() string { return e.Err.Error() }
func (e HintError) Unwrap() error { return e.Err }

// WithHint attaches a hint to err.
func WithHint(err error, format string, args ...any) error {
	return HintError{Err: err, Hint: fmt.Sprintf(format, args...)}
}

// NotRunning is the error for a daemon that does not answer.
func NotRunning(binary, home string) error {
	return WithHint(fmt.Errorf("%s daemon is not running", binary), "start it with %s daemon --home %s", binary, home)
}

// DaemonErr is what a client command reports for err from its daemon's
// socket: NotRunning when nothing answered, err itself otherwise.
func DaemonErr(binary, home string, err error) error {
	if errors.Is(err, localapi.ErrNotRunning) {
		return NotRunning(binary, home)
	}
	return err
}

// ExactArgs is cobra.ExactArgs returning a UsageError.
func ExactArgs(n int) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != n {
			return Usagef("%s takes %d argument(s), got %d; see --help", cmd.CommandPath(), n, len(args))
		}
		return nil
	}
}

// NoArgs refuses positional arguments with a UsageError.
func NoArgs(cmd *cobra.Command, args []string) error { return ExactArgs(0)(cmd, args) }

// Prepare sets the conventions on a root command and its children.
func Prepare(root *cobra.Command) {
	// --version on every binary, from the build (buildinfo.Version).
	root.Version = buildinfo.Version()
	root.SilenceUsage = true
	root.SilenceErrors = true
	root.DisableAutoGenTag = true
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return UsageError{err} })
	for _, c := range root.Commands() {
		c.DisableAutoGenTag = true
	}
}

// Main runs root with args and returns the exit code; it is the whole of
// every mf binary's main.
func Main(root *cobra.Command, args []string, s Streams) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root.SetArgs(args)
	root.SetIn(s.In)
	root.SetOut(s.Out)
	root.SetErr(s.Err)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return ExitOK
	}
	code := Code(err)
	if ctx.Err() != nil && code == ExitFailure {
		code = ExitInterrupted
	}
	jsonOut := false
	if cmd != nil {
		if f := cmd.Flags().Lookup("json"); f != nil && f.Value.String() == "true" {
			jsonOut = true
		}
	}
	PrintError(s.Err, root.Name(), err, jsonOut)
	return code
}

// Code maps an error to an exit code.
func Code(err error) int {
	var ue UsageError
	switch {
	case err == nil:
		return ExitOK
	case errors.As(err, &ue), isCobraUsage(err):
		return ExitUsage
	case errors.Is(err, localapi.ErrNotRunning), strings.HasSuffix(err.Error(), "daemon is not running"):
		return ExitNotRunning
	case errors.Is(err, context.Canceled):
		return ExitInterrupted
	}
	return ExitFailure
}

func isCobraUsage(err error) bool {
	s := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "invalid argument", "flag needs an argument", "required flag"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

// PrintError writes err once, as `binary: error: ...` plus an optional
// hint line, or as one JSON object when the command was asked for JSON.
func PrintError(w io.Writer, binary string, err error, asJSON bool) {
	var he HintError
	hint := ""
	if errors.As(err, &he) {
		hint = he.Hint
	}
	msg := err.Error()
	if asJSON {
		_ = json.NewEncoder(w).Encode(map[string]any{"error": msg, "hint": hint, "exit_code": Code(err)})
		return
	}
	// An error may carry a peer's words (a storer's refusal, a
	// provider's answer): printed as text, never as terminal control.
	fmt.Fprintf(w, "%s: error: %s\n", binary, termtext.Clean(msg, true))
	if hint != "" {
		fmt.Fprintf(w, "hint: %s\n", termtext.Clean(hint, true))
	}
}

// WriteJSON prints v indented, for --json output.
func WriteJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

// Table is the aligned text table every command prints: columns separated
// by tabs, two spaces apart. Flush it when done.
func Table(out io.Writer) *tabwriter.Writer { return tabwriter.NewWriter(out, 0, 4, 2, ' ', 0) }

// WriteList prints a list command's items: as JSON with asJSON, else as a
// Table, header first, then row(item) for each.
func WriteList[T any](out io.Writer, asJSON bool, items []T, header string, row func(T) string) error {
	if asJSON {
		return WriteJSON(out, items)
	}
	w := Table(out)
	fmt.Fprintln(w, header)
	for _, it := range items {
		fmt.Fprintln(w, row(it))
	}
	return w.Flush()
}

// HomeFlag adds the --home flag every mf binary takes, into home.
func HomeFlag(root *cobra.Command, home *string) {
	root.PersistentFlags().StringVar(home, "home", "", "node directory (env MF_HOME, default ~/.mainframe)")
}

// Finish completes a binary's root command the same way everywhere: the
// gen-man command, completion (added now rather than lazily at Execute, so
// the man pages list it too), and Prepare.
func Finish(root *cobra.Command) *cobra.Command {
	root.AddCommand(ManCommand(root))
	root.InitDefaultCompletionCmd()
	Prepare(root)
	return root
}
