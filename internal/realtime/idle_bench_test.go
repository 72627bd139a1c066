package realtime_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/batonhq/baton/internal/realtime"
	"github.com/batonhq/baton/internal/store/storetest"
	"github.com/coder/websocket"
)

// The environment that makes TestIdleClients the client side of
// BenchmarkIdleConnections, in a process of its own.
const (
	envIdleURL     = "BATON_BENCH_CABLE_URL"
	envIdleIdent   = "BATON_BENCH_CABLE_IDENTIFIER"
	envIdleWatcher = "BATON_BENCH_CABLE_WATCHER"
	envIdleN       = "BATON_BENCH_CABLE_CLIENTS"
)

// BenchmarkIdleConnections holds idleClients live clients at rest, and
// times idlePosts messages in a row without them and idlePosts with them,
// idleRounds times.
const (
	idleClients = 10000
	idleRounds  = 10
	idlePosts   = 4000
)

// BenchmarkIdleConnections measures what live clients at rest cost the
// server. Another process (TestIdleClients) opens 10,000 subscribed /cable
// connections and closes them again on command, so that their memory, CPU
// and file descriptors are not the server's. The benchmark times the
// message path (a customer's message, POST to response) without and with
// them, idleRounds times, idlePosts messages each time, in the order
// without, with, with, without, without, with… (a drift of the machine
// or of the database during the run falls on both alike), and reports the
// medians of the rounds' p50 and p99 and of each round's p50 with over
// without: one timing of each on a shared machine is noise. An agent
// watches the account throughout, so that both halves load, render and
// send every message alike and differ only by the idle clients. With
// them connected the first time, it also measures the server's heap,
// stacks and RSS a connection and its CPU at rest (pings included). Run
// it once: -benchtime 1x. BATON_BENCH_PING_INTERVAL (a Go duration) sets
// the hub's ping interval, to find what the pings cost.
func BenchmarkIdleConnections(b *testing.B) {
	var mod func(*realtime.Config)
	if d, err := time.ParseDuration(os.Getenv("BATON_BENCH_PING_INTERVAL")); err == nil {
		mod = func(c *realtime.Config) { c.PingInterval = d }
	}
	w := populate(b, newNode(b, storetest.OpenSQLite(b), "", mod))
	idle, busy := w.customer("Idle"), w.customer("Busy")
	w.sync()
	for b.Loop() {
		idleOnce(b, w, idle, busy)
	}
}

// idleOnce is one run of BenchmarkIdleConnections. (Outside the b.Loop
// loop: see rateOnce.)
func idleOnce(b *testing.B, w *world, idle, busy *customer) {
	clients := startIdleClients(b, w, idle)
	defer clients.stop()
	path := fmt.Sprintf("%s/conversations/%d/messages", w.publicPath(busy), busy.conv)
	var without, with [2][]time.Duration // each round's p50 and p99
	var slower []float64                 // each round's p50 with over without
	var heap, rss, stack float64
	var goroutines int
	var rest float64
	connected := false
	for i := range 2 * idleRounds {
		if want := i%4 == 1 || i%4 == 2; want && !connected {
			heapBefore, rssBefore := memory()
			began := time.Now()
			clients.do("open", "ready")
			fmt.Printf("%d clients connected and subscribed in %v\n", idleClients, time.Since(began).Round(time.Millisecond))
			time.Sleep(2 * time.Second) // settle
			if i == 1 {
				heapAfter, rssAfter := memory()
				var m runtime.MemStats
				runtime.ReadMemStats(&m)
				heap, rss = float64(heapAfter-heapBefore), float64(rssAfter-rssBefore)
				stack, goroutines = float64(m.StackInuse), runtime.NumGoroutine()
				if f := os.Getenv("BATON_BENCH_HEAPPROFILE"); f != "" {
					if out, err := os.Create(f); err == nil {
						_ = pprof.WriteHeapProfile(out)
						out.Close()
					}
				}
				cpuBefore, wall := cpu(), time.Now()
				time.Sleep(15 * time.Second)
				rest = float64(cpu()-cpuBefore) / float64(time.Since(wall))
			}
			connected = true
		} else if !want && connected {
			clients.do("close", "closed")
			w.waitConnections(1) // the watcher's
			connected = false
		}
		p50, p99 := postMessages(w, path)
		if connected {
			with[0], with[1] = append(with[0], p50), append(with[1], p99)
		} else {
			without[0], without[1] = append(without[0], p50), append(without[1], p99)
		}
		if i%2 == 1 {
			r := len(slower)
			slower = append(slower, float64(with[0][r])/float64(without[0][r])-1)
			// Printed, not logged: a benchmark's log is cut at 10 lines.
			fmt.Printf("round %2d: p50 %.3f / %.3f ms, p99 %.3f / %.3f ms without / with the clients\n", r+1,
				milliseconds(without[0][r]), milliseconds(with[0][r]), milliseconds(without[1][r]), milliseconds(with[1][r]))
		}
	}
	b.ReportMetric(heap/idleClients/1024, "heap+stack-KB/conn")
	b.ReportMetric(stack/idleClients/1024, "stack-KB/conn")
	b.ReportMetric(float64(goroutines)/idleClients, "goroutines/conn")
	b.ReportMetric(rss/idleClients/1024, "RSS-KB/conn")
	b.ReportMetric(rest*100, "CPU-%-at-rest")
	b.ReportMetric(milliseconds(median(without[0])), "msg-p50-ms-0-clients")
	b.ReportMetric(milliseconds(median(without[1])), "msg-p99-ms-0-clients")
	b.ReportMetric(milliseconds(median(with[0])), "msg-p50-ms-10k-clients")
	b.ReportMetric(milliseconds(median(with[1])), "msg-p99-ms-10k-clients")
	b.ReportMetric(median(slower)*100, "p50-%-slower")
}

// postMessages times idlePosts customer messages posted one after another
// and returns their p50 and p99.
func postMessages(w *world, path string) (p50, p99 time.Duration) {
	took := make([]time.Duration, 0, idlePosts)
	for i := range idlePosts {
		start := time.Now()
		w.call(http.MethodPost, path, "", map[string]any{"content": fmt.Sprint("m", i)}, nil)
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	return took[len(took)/2], took[len(took)*99/100]
}

// median is the middle value, or the mean of the two in the middle.
func median[T time.Duration | float64](v []T) T {
	s := slices.Sorted(slices.Values(v))
	n := len(s)
	return (s[(n-1)/2] + s[n/2]) / 2
}

// waitConnections waits until the first process holds n live connections.
func (w *world) waitConnections(n int) {
	w.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for w.nodes[0].hub.Stats().Connections != n {
		if time.Now().After(deadline) {
			w.t.Fatalf("%d live connections, not %d, after a minute", w.nodes[0].hub.Stats().Connections, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// idleClientProcess is the process of TestIdleClients, told what to do on its
// standard input and answering on its standard output.
type idleClientProcess struct {
	t     testing.TB
	cmd   *exec.Cmd
	stdin io.WriteCloser
	lines *bufio.Scanner
}

// startIdleClients starts the clients' process, with its agent watching
// the account, and no idle client yet.
func startIdleClients(t testing.TB, w *world, idle *customer) *idleClientProcess {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClients$", "-test.count=1")
	cmd.Env = append(os.Environ(), envIdleURL+"="+strings.Replace(w.nodes[0].url, "http://", "ws://", 1)+"/cable",
		envIdleIdent+"="+contactIdentifier(idle.pubsub), envIdleWatcher+"="+userIdentifier(w.admin, w.account),
		envIdleN+"="+strconv.Itoa(idleClients))
	stdin, stdout := pipes(t, cmd)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &idleClientProcess{t: t, cmd: cmd, stdin: stdin, lines: bufio.NewScanner(stdout)}
	p.wait("watching")
	w.waitConnections(1)
	return p
}

// do tells the process a command and waits for its answer.
func (p *idleClientProcess) do(command, answer string) {
	p.t.Helper()
	if _, err := io.WriteString(p.stdin, command+"\n"); err != nil {
		p.t.Fatal(err)
	}
	p.wait(answer)
}

func (p *idleClientProcess) wait(answer string) {
	p.t.Helper()
	for p.lines.Scan() {
		if p.lines.Text() == answer {
			return
		}
	}
	_ = p.cmd.Wait()
	p.t.Fatalf("the clients' process ended before it said %q", answer)
}

func (p *idleClientProcess) stop() {
	p.stdin.Close()
	_ = p.cmd.Wait()
}

// memory returns the process's heap and stacks in use, after collections,
// and its resident set, in bytes. A collection shrinks a stack that uses a
// quarter of its size by half; a server collects at least every 2 minutes.
func memory() (heap, rss uint64) {
	for range 3 {
		runtime.GC()
	}
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	heap = m.HeapInuse + m.StackInuse
	b, err := os.ReadFile("/proc/self/statm")
	if err == nil {
		f := strings.Fields(string(b))
		if len(f) > 1 {
			pages, _ := strconv.ParseUint(f[1], 10, 64)
			rss = pages * uint64(os.Getpagesize())
		}
	}
	return heap, rss
}

// cpu returns the CPU time the process has used.
func cpu() time.Duration {
	var u syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &u)
	return time.Duration(u.Utime.Nano() + u.Stime.Nano())
}

// TestIdleClients is the client side of BenchmarkIdleConnections, run in a
// process of its own; without its environment it is skipped. It connects
// the watching agent, reading its frames, and prints "watching"; then, for
// each line of its standard input, "open" opens and subscribes the idle
// clients, reading their pings, and prints "ready", "close" closes them
// and prints "closed". It ends when its standard input closes.
func TestIdleClients(t *testing.T) {
	url, ident, watcher := os.Getenv(envIdleURL), os.Getenv(envIdleIdent), os.Getenv(envIdleWatcher)
	n, _ := strconv.Atoi(os.Getenv(envIdleN))
	if url == "" || n == 0 {
		t.Skip("the client side of BenchmarkIdleConnections")
	}
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err == nil && lim.Cur < uint64(n)+100 {
		lim.Cur = min(lim.Max, uint64(n)+1000)
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
			t.Fatalf("raising the open-file limit: %v", err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	watching := dialSubscribed(ctx, t, url, watcher)
	if watching == nil {
		return
	}
	watching.SetReadLimit(1 << 20)
	defer watching.CloseNow()
	fmt.Println("watching")
	var conns []*websocket.Conn
	commands := bufio.NewScanner(os.Stdin)
	for commands.Scan() {
		switch commands.Text() {
		case "open":
			conns = openIdle(ctx, t, url, ident, n)
			if t.Failed() {
				return
			}
			fmt.Println("ready")
		case "close":
			for _, ws := range conns {
				ws.CloseNow()
			}
			conns = nil
			fmt.Println("closed")
		}
	}
	for _, ws := range conns {
		ws.CloseNow()
	}
}

// openIdle opens n subscribed connections, 16 at a time, each read until
// it closes.
func openIdle(ctx context.Context, t *testing.T, url, ident string, n int) []*websocket.Conn {
	var mu sync.Mutex
	var conns []*websocket.Conn
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 16 {
		wg.Go(func() {
			for range jobs {
				if ws := dialSubscribed(ctx, t, url, ident); ws != nil {
					mu.Lock()
					conns = append(conns, ws)
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	return conns
}

// dialSubscribed opens a connection, subscribes it with the identifier
// and reads it, discarding what it reads, until it closes. It reports a
// failure to t and returns nil.
func dialSubscribed(ctx context.Context, t *testing.T, url, ident string) *websocket.Conn {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	ws, _, err := websocket.Dial(dctx, url, &websocket.DialOptions{Subprotocols: []string{"actioncable-v1-json"}})
	if err != nil {
		t.Errorf("dial: %v", err)
		return nil
	}
	subscribe := fmt.Sprintf(`{"command":"subscribe","identifier":%q}`, ident)
	if err := ws.Write(dctx, websocket.MessageText, []byte(subscribe)); err != nil {
		t.Errorf("subscribe: %v", err)
	}
	for { // welcome, pings, then the confirmation
		_, b, err := ws.Read(dctx)
		if err != nil {
			t.Errorf("waiting for the confirmation: %v", err)
			ws.CloseNow()
			return nil
		}
		if strings.Contains(string(b), "confirm_subscription") {
			break
		}
	}
	go func() {
		for {
			if _, _, err := ws.Read(ctx); err != nil {
				return
			}
		}
	}()
	return ws
}
