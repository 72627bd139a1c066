package realtime_test

import (
	"bufio"
	"context"
	"fmt"
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

	"github.com/coder/websocket"
)

// The environment that makes TestIdleClients the client side of
// BenchmarkIdleConnections, in a process of its own.
const (
	envIdleURL   = "BATON_BENCH_CABLE_URL"
	envIdleIdent = "BATON_BENCH_CABLE_IDENTIFIER"
	envIdleN     = "BATON_BENCH_CABLE_CLIENTS"
)

// idleClients is how many live clients BenchmarkIdleConnections holds.
const idleClients = 10000

// BenchmarkIdleConnections measures what live clients at rest cost the
// server: it times the message path (a customer's message, POST to
// response, 300 of them) without live clients, then has another process
// open 10,000 subscribed /cable connections, measures the server's heap,
// stacks and RSS per connection and its CPU over 30 s at rest (pings every
// 3 s included), and times the message path again with them connected.
// The clients live in another process so that their memory, CPU and file
// descriptors are not the server's. Run it once: -benchtime 1x.
func BenchmarkIdleConnections(b *testing.B) {
	w := setup(b)
	idle, busy := w.customer("Idle"), w.customer("Busy")
	w.sync()
	path := fmt.Sprintf("%s/conversations/%d/messages", w.publicPath(busy), busy.conv)
	messages := func() (p50, p99 time.Duration) {
		var took []time.Duration
		for i := range 300 {
			start := time.Now()
			w.call(http.MethodPost, path, "", map[string]any{"content": fmt.Sprint("m", i)}, nil)
			took = append(took, time.Since(start))
		}
		slices.Sort(took)
		return took[len(took)/2], took[len(took)*99/100]
	}
	for b.Loop() {
		p50Before, p99Before := messages()
		heapBefore, rssBefore := memory()

		cmd := exec.Command(os.Args[0], "-test.run=^TestIdleClients$", "-test.count=1")
		cmd.Env = append(os.Environ(), envIdleURL+"="+strings.Replace(w.nodes[0].url, "http://", "ws://", 1)+"/cable",
			envIdleIdent+"="+contactIdentifier(idle.pubsub), envIdleN+"="+strconv.Itoa(idleClients))
		stdin, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		cmd.Stderr = os.Stderr
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		lines := bufio.NewScanner(stdout)
		ready := false
		for lines.Scan() {
			if lines.Text() == "ready" {
				ready = true
				break
			}
		}
		if !ready {
			_ = cmd.Wait()
			b.Fatal("the clients' process ended before its clients were ready")
		}
		time.Sleep(5 * time.Second) // settle
		heapAfter, rssAfter := memory()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		goroutines := runtime.NumGoroutine()
		if f := os.Getenv("BATON_BENCH_HEAPPROFILE"); f != "" {
			if out, err := os.Create(f); err == nil {
				_ = pprof.WriteHeapProfile(out)
				out.Close()
			}
		}
		cpuBefore, wall := cpu(), time.Now()
		time.Sleep(30 * time.Second)
		rest := float64(cpu()-cpuBefore) / float64(time.Since(wall))
		p50After, p99After := messages()
		stdin.Close()
		_ = cmd.Wait()

		b.ReportMetric(float64(heapAfter-heapBefore)/idleClients/1024, "heap+stack-KB/conn")
		b.ReportMetric(float64(m.StackInuse)/idleClients/1024, "stack-KB/conn")
		b.ReportMetric(float64(goroutines)/idleClients, "goroutines/conn")
		b.ReportMetric(float64(rssAfter-rssBefore)/idleClients/1024, "RSS-KB/conn")
		b.ReportMetric(rest*100, "CPU-%-at-rest")
		b.ReportMetric(float64(p50Before.Microseconds())/1000, "msg-p50-ms-0-clients")
		b.ReportMetric(float64(p99Before.Microseconds())/1000, "msg-p99-ms-0-clients")
		b.ReportMetric(float64(p50After.Microseconds())/1000, "msg-p50-ms-10k-clients")
		b.ReportMetric(float64(p99After.Microseconds())/1000, "msg-p99-ms-10k-clients")
	}
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
// process of its own; without its environment it is skipped. It opens the
// connections, subscribes each, prints "ready", reads (pings) until its
// standard input closes.
func TestIdleClients(t *testing.T) {
	url, ident := os.Getenv(envIdleURL), os.Getenv(envIdleIdent)
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
	subscribe := fmt.Sprintf(`{"command":"subscribe","identifier":%q}`, ident)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var mu sync.Mutex
	var conns []*websocket.Conn
	var wg sync.WaitGroup
	jobs := make(chan int)
	for range 16 {
		wg.Go(func() {
			for range jobs {
				dctx, dcancel := context.WithTimeout(ctx, 30*time.Second)
				ws, _, err := websocket.Dial(dctx, url, &websocket.DialOptions{Subprotocols: []string{"actioncable-v1-json"}})
				if err != nil {
					dcancel()
					t.Errorf("dial: %v", err)
					continue
				}
				if err := ws.Write(dctx, websocket.MessageText, []byte(subscribe)); err != nil {
					t.Errorf("subscribe: %v", err)
				}
				for { // welcome, pings, then the confirmation
					_, b, err := ws.Read(dctx)
					if err != nil {
						t.Errorf("waiting for the confirmation: %v", err)
						break
					}
					if strings.Contains(string(b), "confirm_subscription") {
						break
					}
				}
				dcancel()
				go func() {
					for {
						if _, _, err := ws.Read(ctx); err != nil {
							return
						}
					}
				}()
				mu.Lock()
				conns = append(conns, ws)
				mu.Unlock()
			}
		})
	}
	for i := range n {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	if t.Failed() {
		return
	}
	fmt.Println("ready")
	_, _ = bufio.NewReader(os.Stdin).ReadString('\n')
	for _, ws := range conns {
		ws.CloseNow()
	}
}
