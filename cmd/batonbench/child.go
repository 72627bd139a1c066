package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"time"
)

// child is a process that -mode table starts (`baton serve`, the bare
// handler): the first line of its standard output says where it listens,
// the rest is discarded.
type child struct {
	name string
	cmd  *exec.Cmd
	done chan error // its Wait, once its output has been read to the end
}

// startChild starts cmd and returns it with the first line it prints,
// waiting for that line at most limit.
func startChild(name string, cmd *exec.Cmd, limit time.Duration) (*child, string, error) {
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, "", err
	}
	if err := cmd.Start(); err != nil {
		return nil, "", err
	}
	c := &child{name: name, cmd: cmd, done: make(chan error, 1)}
	first := make(chan string, 1)
	// One goroutine reads the pipe to its end before Wait, as os/exec
	// requires, so that done is fed however the child ends.
	go func() {
		lines := bufio.NewScanner(out)
		lines.Scan()
		first <- lines.Text()
		_, _ = io.Copy(io.Discard, out)
		c.done <- cmd.Wait()
	}()
	select {
	case line := <-first:
		return c, line, nil
	case <-time.After(limit):
		c.stop()
		return nil, "", fmt.Errorf("%s printed nothing within %s", name, limit)
	}
}

func (c *child) pid() int { return c.cmd.Process.Pid }

// stop ends the child as an operator does (SIGINT) and waits for it. Every
// wait is bounded, so that the bench never hangs on a child: one still
// running 30 s after SIGINT is killed, and one not reaped 10 s after that
// is left behind, named on stderr.
func (c *child) stop() {
	_ = c.cmd.Process.Signal(os.Interrupt)
	select {
	case <-c.done:
		return
	case <-time.After(30 * time.Second):
	}
	fmt.Fprintf(os.Stderr, "batonbench: %s (pid %d) still running 30 s after SIGINT; killing it\n", c.name, c.pid())
	_ = c.cmd.Process.Kill()
	select {
	case <-c.done:
	case <-time.After(10 * time.Second):
		fmt.Fprintf(os.Stderr, "batonbench: %s (pid %d) not reaped 10 s after SIGKILL; going on without it\n", c.name, c.pid())
	}
}
